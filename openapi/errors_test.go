package openapi

import (
	"errors"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/apishield/apishield/authz"
	"github.com/apishield/apishield/ratelimit"
)

// opDoc returns a 3.1 document with one operation, GET /items/{id}
// (operationId getItem), whose members beyond its path parameter and its
// response are extra, written as YAML indented for the operation.
func opDoc(extra string) string {
	return `openapi: 3.1.0
info: {title: t, version: "1"}
paths:
  /items/{id}:
    get:
      operationId: getItem
      responses:
        "200": {description: ok}
` + indent(extra, "      ") + `
components:
  securitySchemes:
    bearer: {type: http, scheme: bearer}
`
}

// paramDoc is opDoc with one more parameter, declared as YAML flow
// mapping p.
func paramDoc(p string) string {
	return opDoc("parameters:\n  - {name: id, in: path, required: true, schema: {type: integer}}\n  - " + p)
}

func indent(s, prefix string) string {
	if s == "" {
		return ""
	}
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = prefix + l
	}
	return strings.Join(lines, "\n")
}

func withPathParam(extra string) string {
	return "parameters:\n  - {name: id, in: path, required: true, schema: {type: integer}}\n" + extra
}

func TestLoadErrors(t *testing.T) {
	t.Parallel()
	// The loader checks names; the limiter and rule are not run.
	withLimiter := Config{RateLimiters: map[string]*ratelimit.Limiter{"default": new(ratelimit.Limiter)}}
	withRule := Config{Rules: map[string]authz.Rule{"owner": authz.AnyScope("x")}}
	cases := []struct {
		name string
		doc  string
		cfg  Config
		kind error
		want []string // substrings of the error, in any order
	}{
		{"swagger 2.0", "swagger: '2.0'\ninfo: {title: t, version: '1'}\npaths: {}\n", Config{}, ErrInvalidDocument,
			[]string{"Swagger 2.0", "3.0.x and 3.1.x"}},
		{"openapi 3.2", "openapi: 3.2.0\ninfo: {title: t, version: '1'}\npaths: {}\n", Config{}, ErrInvalidDocument,
			[]string{`"3.2.0" is not supported`, "3.0.x and 3.1.x"}},
		{"no version", "info: {title: t, version: '1'}\npaths: {}\n", Config{}, ErrInvalidDocument,
			[]string{`"openapi" field is missing`}},
		{"not an object", "- a\n- b\n", Config{}, ErrInvalidDocument, []string{"not an object"}},
		{"yaml duplicate key", "openapi: 3.1.0\nopenapi: 3.1.0\n", Config{}, ErrInvalidDocument, []string{`duplicate key "openapi"`, "line 2"}},
		{"json duplicate key", `{"openapi":"3.1.0","info":{},"info":{}}`, Config{}, ErrInvalidDocument, []string{`duplicate key "info"`}},
		{"json trailing data", `{"openapi":"3.1.0"} {}`, Config{}, ErrInvalidDocument, []string{"data after the document"}},
		{"yaml two documents", "openapi: 3.1.0\n---\nopenapi: 3.1.0\n", Config{}, ErrInvalidDocument, []string{"more than one YAML document"}},
		{"yaml alias", "openapi: &v 3.1.0\nx: *v\n", Config{}, ErrInvalidDocument, []string{"aliases (*v) are not supported"}},
		{"yaml custom tag", "openapi: !env 3.1.0\n", Config{}, ErrInvalidDocument, []string{`tag "!env"`}},
		{"yaml non-scalar key", "openapi: 3.1.0\n? [a]\n: b\n", Config{}, ErrInvalidDocument, []string{"mapping key must be a scalar"}},
		{"yaml infinity", "openapi: 3.1.0\nx: .inf\n", Config{}, ErrInvalidDocument, []string{`".inf" is not a number JSON can hold`}},

		{"local ref missing", paramDoc("$ref: '#/components/parameters/nope'"), Config{}, ErrInvalidDocument,
			[]string{"operation getItem (GET /items/{id})", "has nothing at /components/parameters/nope"}},
		{"remote ref", paramDoc("$ref: 'https://example.com/p.yaml#/limit'"), Config{}, ErrInvalidDocument,
			[]string{"operation getItem (GET /items/{id})", "is remote"}},
		{"host ref", paramDoc("$ref: '//example.com/p.yaml'"), Config{}, ErrInvalidDocument,
			[]string{"operation getItem (GET /items/{id})", "is remote"}},
		{"file ref from bytes", paramDoc("$ref: 'p.yaml#/limit'"), Config{}, ErrInvalidDocument,
			[]string{"operation getItem (GET /items/{id})", "parsed from bytes may reference only itself"}},
		{"remote schema ref", opDoc(withPathParam("requestBody:\n  content:\n    application/json:\n      schema: {$ref: 'http://example.com/s.json'}")), Config{}, ErrInvalidDocument,
			[]string{"operation getItem (GET /items/{id}): requestBody: content application/json: schema", "is remote"}},
		{"schema ref missing", opDoc(withPathParam("requestBody:\n  content:\n    application/json:\n      schema: {$ref: '#/components/schemas/Nope'}")), Config{}, ErrInvalidDocument,
			[]string{"requestBody: content application/json: schema", "nothing at /components/schemas/Nope"}},
		{"ref cycle", paramDoc("$ref: '#/components/parameters/a'") + "  parameters:\n    a: {$ref: '#/components/parameters/b'}\n    b: {$ref: '#/components/parameters/a'}\n", Config{}, ErrInvalidDocument,
			[]string{"$ref cycle", "#/components/parameters/a -> ", "#/components/parameters/b"}},

		{"path param not required", opDoc("parameters:\n  - {name: id, in: path, schema: {type: integer}}"), Config{}, ErrInvalidDocument,
			[]string{"operation getItem (GET /items/{id})", `parameter "id"`, "must be required"}},
		{"template variable undeclared", opDoc(""), Config{}, ErrInvalidDocument,
			[]string{"operation getItem (GET /items/{id})", "template variable {id} has no path parameter"}},
		{"path param not in template", paramDoc("{name: other, in: path, required: true, schema: {type: string}}"), Config{}, ErrInvalidDocument,
			[]string{"operation getItem (GET /items/{id})", `path parameter "other" does not appear in the path template`}},
		{"content parameter", paramDoc("{name: q, in: query, content: {application/json: {schema: {type: object}}}}"), Config{}, ErrInvalidDocument,
			[]string{`operation getItem (GET /items/{id}): parameter "q" in query`, "content instead of schema is not supported"}},
		{"deepObject in path", opDoc("parameters:\n  - {name: id, in: path, required: true, style: deepObject, schema: {type: object, properties: {a: {type: string}}}}"), Config{}, ErrInvalidDocument,
			[]string{"operation getItem (GET /items/{id})", "deepObject"}},
		{"no schema", paramDoc("{name: q, in: query}"), Config{}, ErrInvalidDocument,
			[]string{`parameter "q" in query`, "has no schema"}},
		{"bad path-level parameter", strings.Replace(opDoc(withPathParam("")), "    get:\n", "    parameters: [{name: p, in: nowhere}]\n    get:\n", 1), Config{}, ErrInvalidDocument,
			[]string{"path /items/{id}", `"in" is "nowhere"`}},
		{"unknown style", paramDoc("{name: q, in: query, style: weird, schema: {type: string}}"), Config{}, ErrInvalidDocument,
			[]string{`parameter "q" in query`, `style "weird" is unknown`}},
		{"unknown in", paramDoc("{name: q, in: body, schema: {type: string}}"), Config{}, ErrInvalidDocument,
			[]string{`parameter "q"`, `"in" is "body"`}},
		{"ambiguous type", paramDoc("{name: q, in: query, schema: {oneOf: [{type: integer}, {type: boolean}]}}"), Config{}, ErrInvalidDocument,
			[]string{`parameter "q" in query`, "ambiguous (integer or boolean)"}},
		{"two types", paramDoc("{name: q, in: query, schema: {type: [integer, string]}}"), Config{}, ErrInvalidDocument,
			[]string{`parameter "q" in query`, "ambiguous"}},
		{"allowReserved array", paramDoc("{name: q, in: query, allowReserved: true, schema: {type: array, items: {type: string}}}"), Config{}, ErrInvalidDocument,
			[]string{`parameter "q" in query`, "allowReserved: true cannot be honoured"}},
		{"allowEmptyValue integer", paramDoc("{name: q, in: query, allowEmptyValue: true, schema: {type: integer}}"), Config{}, ErrInvalidDocument,
			[]string{`parameter "q" in query`, "allowEmptyValue: true cannot be honoured"}},
		{"allowEmptyValue header", paramDoc("{name: X-Q, in: header, allowEmptyValue: true, schema: {type: string}}"), Config{}, ErrInvalidDocument,
			[]string{`parameter "X-Q" in header`, "only to query"}},
		{"nested array items", paramDoc("{name: q, in: query, schema: {type: array, items: {type: array}}}"), Config{}, ErrInvalidDocument,
			[]string{`parameter "q" in query`, "only arrays of primitives"}},
		{"exploded form object without properties", paramDoc("{name: q, in: query, schema: {type: object}}"), Config{}, ErrInvalidDocument,
			[]string{"operation getItem (GET /items/{id})", "property names"}},
		{"non-RE2 pattern", paramDoc("{name: q, in: query, schema: {type: string, pattern: '^(?!x)'}}"), Config{}, ErrInvalidDocument,
			[]string{`operation getItem (GET /items/{id}): parameter "q" in query: schema`, "not an RE2 regular expression"}},
		{"non-RE2 pattern in component", opDoc(withPathParam("")) + "  schemas:\n    S: {type: object, properties: {a: {type: string, pattern: '(a)\\1'}}}\n", Config{}, ErrInvalidDocument,
			[]string{"components/schemas/S/properties/a", "not an RE2 regular expression"}},
		{"invalid schema", paramDoc("{name: q, in: query, schema: {type: string, minLength: -1}}"), Config{}, ErrInvalidDocument,
			[]string{`parameter "q" in query: schema`, "minLength"}},
		{"dialect", "jsonSchemaDialect: https://json-schema.org/draft-07/schema\n" + opDoc(withPathParam("")), Config{}, ErrInvalidDocument,
			[]string{"jsonSchemaDialect", "is not supported"}},

		{"servers differ on operation", opDoc(withPathParam("servers: [{url: /v2}]")), Config{}, ErrInvalidDocument,
			[]string{"operation getItem (GET /items/{id})", "servers differ"}},
		{"server variable without default", "servers: [{url: '/{v}', variables: {v: {description: x}}}]\n" + opDoc(withPathParam("")), Config{}, ErrInvalidDocument,
			[]string{"servers[0]", "neither enum nor default"}},

		{"server variable naming itself", "servers: [{url: '/{v}', variables: {v: {default: '{v}'}}}]\n" + opDoc(withPathParam("")), Config{}, ErrInvalidDocument,
			[]string{"servers[0]", "unexpanded variable"}},
		{"server variables past the bound", "servers: [{url: '/{a}/{b}', variables: {a: {default: x, enum: [a1, a2, a3, a4, a5, a6, a7, a8, a9]}, b: {default: x, enum: [b1, b2, b3, b4, b5, b6, b7, b8, b9]}}}]\n" + opDoc(withPathParam("")), Config{}, ErrInvalidDocument,
			[]string{"servers[0]", "more than 64"}},
		{"extension on path item", strings.Replace(opDoc(withPathParam("")), "    get:\n", "    x-apishield-owner: o\n    get:\n", 1), Config{}, ErrInvalidDocument,
			[]string{"path /items/{id}", `"x-apishield-owner" is read only on operations`}},
		{"extension on paths", strings.Replace(opDoc(withPathParam("")), "paths:\n", "paths:\n  x-apishield-rate-limit: a\n", 1), Config{}, ErrInvalidDocument,
			[]string{"paths", `"x-apishield-rate-limit" is read only on operations`}},
		{"schema $id refs leave the document", paramDoc("{name: q, in: query, schema: {$id: 'https://example.com/s', $ref: 'other.json'}}"), Config{}, ErrInvalidDocument,
			[]string{`parameter "q" in query: schema`, "leaves the document"}},
		{"nil limiter", opDoc(withPathParam("x-apishield-rate-limit: a")), Config{RateLimiters: map[string]*ratelimit.Limiter{"a": nil}}, ErrInvalidConfig,
			[]string{"Config.RateLimiters", `limiter "a" is nil`}},
		{"servers on path item differ", strings.Replace(opDoc(withPathParam("")), "    get:\n", "    servers: [{url: /v9}]\n    get:\n", 1), Config{}, ErrInvalidDocument,
			[]string{"path /items/{id}", "servers differ"}},
		{"basic auth", opDoc(withPathParam("")) + "    basic: {type: http, scheme: basic}\n", Config{}, ErrInvalidDocument,
			[]string{"components/securitySchemes/basic", `http scheme "basic" is not supported`}},
		{"unknown scheme type", opDoc(withPathParam("")) + "    odd: {type: magic}\n", Config{}, ErrInvalidDocument,
			[]string{"components/securitySchemes/odd", `type "magic" is unknown`}},
		{"apiKey in body", opDoc(withPathParam("")) + "    key: {type: apiKey, in: body, name: k}\n", Config{}, ErrInvalidDocument,
			[]string{"components/securitySchemes/key", "must be header, query or cookie"}},
		{"requirement names unknown scheme", opDoc(withPathParam("security: [{nope: []}]")), Config{}, ErrInvalidDocument,
			[]string{"operation getItem (GET /items/{id}): security", `security scheme "nope"`}},
		{"mutualTLS in 3.0", strings.Replace(opDoc(withPathParam("")), "3.1.0", "3.0.3", 1) + "    mtls: {type: mutualTLS}\n", Config{}, ErrInvalidDocument,
			[]string{"components/securitySchemes/mtls", "needs OpenAPI 3.1"}},

		{"unknown extension on operation", opDoc(withPathParam("x-apishield-magic: 1")), Config{}, ErrInvalidDocument,
			[]string{"operation getItem (GET /items/{id})", `extension "x-apishield-magic" is unknown`}},
		{"extension at root", "x-apishield-rate-limit: default\n" + opDoc(withPathParam("")), Config{}, ErrInvalidDocument,
			[]string{"document", `"x-apishield-rate-limit" is read only on operations`}},
		{"extension in info", strings.Replace(opDoc(withPathParam("")), "info: {", "info: {x-apishield-owner: owner, ", 1), Config{}, ErrInvalidDocument,
			[]string{"info", `"x-apishield-owner" is read only on operations`}},
		{"extension on parameter", paramDoc("{name: q, in: query, x-apishield-cost: 2, schema: {type: string}}"), Config{}, ErrInvalidDocument,
			[]string{`parameter "q" in query`, `"x-apishield-cost" is read only on operations`}},
		{"extension in schema", paramDoc("{name: q, in: query, schema: {type: string, x-apishield-x: 1}}"), Config{}, ErrInvalidDocument,
			[]string{`parameter "q" in query: schema`, `"x-apishield-x" is unknown`}},
		{"extension on component", opDoc(withPathParam("")) + "  responses:\n    R: {description: r, x-apishield-y: 1}\n", Config{}, ErrInvalidDocument,
			[]string{"components/responses/R", `"x-apishield-y" is unknown`}},
		{"extension on webhook", "webhooks: {ping: {post: {x-apishield-rate-limit: a, responses: {'200': {description: ok}}}}}\n" + opDoc(withPathParam("")), Config{}, ErrInvalidDocument,
			[]string{"webhook ping: post", `"x-apishield-rate-limit" is read only on operations`}},
		{"extension on tag", "tags: [{name: a, x-apishield-owner: o}]\n" + opDoc(withPathParam("")), Config{}, ErrInvalidDocument,
			[]string{"tags[0]", `"x-apishield-owner"`}},
		{"rate limit not configured", opDoc(withPathParam("x-apishield-rate-limit: strict")), withLimiter, ErrInvalidConfig,
			[]string{"operation getItem (GET /items/{id})", `limiter "strict"`}},
		{"rate limiters unused", opDoc(withPathParam("")), withLimiter, ErrInvalidConfig,
			[]string{"Config.RateLimiters", "x-apishield-rate-limit"}},
		{"cost without rate limit", opDoc(withPathParam("x-apishield-cost: 2")), Config{}, ErrInvalidDocument,
			[]string{"operation getItem (GET /items/{id})", "x-apishield-cost needs x-apishield-rate-limit"}},
		{"cost zero", opDoc(withPathParam("x-apishield-rate-limit: default\nx-apishield-cost: 0")), withLimiter, ErrInvalidDocument,
			[]string{"operation getItem (GET /items/{id})", "x-apishield-cost must be an integer of at least 1"}},
		{"cost fraction", opDoc(withPathParam("x-apishield-rate-limit: default\nx-apishield-cost: 1.5")), withLimiter, ErrInvalidDocument,
			[]string{"x-apishield-cost must be an integer"}},
		{"owner not configured", opDoc(withPathParam("x-apishield-owner: other")), withRule, ErrInvalidConfig,
			[]string{"operation getItem (GET /items/{id})", `rule "other"`}},
		{"deprecated without date", opDoc(withPathParam("deprecated: true")), Config{}, ErrInvalidConfig,
			[]string{"operation getItem (GET /items/{id})", "Config.DeprecatedSince"}},
		{"deprecation without deprecated", opDoc(withPathParam("x-apishield-deprecation: {since: 2026-01-01}")), Config{}, ErrInvalidDocument,
			[]string{"operation getItem (GET /items/{id})", "needs deprecated: true"}},
		{"deprecation without since", opDoc(withPathParam("deprecated: true\nx-apishield-deprecation: {sunset: 2027-01-01}")), Config{}, ErrInvalidDocument,
			[]string{"operation getItem (GET /items/{id}): x-apishield-deprecation", "since is required"}},
		{"deprecation bad date", opDoc(withPathParam("deprecated: true\nx-apishield-deprecation: {since: yesterday}")), Config{}, ErrInvalidDocument,
			[]string{"x-apishield-deprecation", "since must be an RFC 3339 date"}},
		{"deprecation unknown member", opDoc(withPathParam("deprecated: true\nx-apishield-deprecation: {since: 2026-01-01, until: 2027-01-01}")), Config{}, ErrInvalidDocument,
			[]string{"x-apishield-deprecation", `unknown member "until"`}},
		{"duplicate operationId", strings.Replace(opDoc(withPathParam("")), "components:", "  /other:\n    get:\n      operationId: getItem\n      responses: {\"200\": {description: ok}}\ncomponents:", 1), Config{}, ErrInvalidDocument,
			[]string{`operationId "getItem"`, "GET /other"}},
		{"ambiguous paths", strings.Replace(opDoc(withPathParam("")), "components:", "  /items/{name}:\n    get:\n      parameters: [{name: name, in: path, required: true, schema: {type: string}}]\n      responses: {\"200\": {description: ok}}\ncomponents:", 1), Config{}, ErrInvalidDocument,
			[]string{"path /items/{name}", "/items/{id}"}},
		{"bad status key", strings.Replace(opDoc(withPathParam("")), `"200": {description: ok}`, `"600": {description: ok}`, 1), Config{}, ErrInvalidDocument,
			[]string{"operation getItem (GET /items/{id}): responses: 600", "not a status code"}},
		{"parameter required not a boolean", paramDoc("{name: q, in: query, required: 'yes', schema: {type: string}}"), Config{}, ErrInvalidDocument,
			[]string{`operation getItem (GET /items/{id}): parameter "q"`, "required is not a boolean"}},
		{"parameter deprecated not a boolean", paramDoc("{name: q, in: query, deprecated: 1, schema: {type: string}}"), Config{}, ErrInvalidDocument,
			[]string{`parameter "q"`, "deprecated is not a boolean"}},
		{"form encoding", opDoc(withPathParam("requestBody:\n  content:\n    application/x-www-form-urlencoded:\n      schema: {type: object, properties: {tags: {type: array, maxItems: 2, items: {type: string}}}}\n      encoding: {tags: {style: form, explode: false}}")), Config{}, ErrInvalidDocument,
			[]string{"operation getItem (GET /items/{id}): requestBody: content application/x-www-form-urlencoded", "encoding", "not supported"}},
		{"form encoding under */*", opDoc(withPathParam("requestBody:\n  content:\n    '*/*':\n      schema: {type: object}\n      encoding: {a: {contentType: application/json}}")), Config{}, ErrInvalidDocument,
			[]string{"requestBody: content */*", "encoding", "not supported"}},
		{"schema error reported once", paramDoc("{name: q, in: query, schema: {$ref: '#/components/schemas/Nope'}}"), Config{}, ErrInvalidDocument,
			[]string{"nothing at /components/schemas/Nope"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := parseDocument([]byte(tc.doc), &tc.cfg)
			if err == nil {
				t.Fatalf("parseDocument succeeded, want an error")
			}
			if !errors.Is(err, tc.kind) {
				t.Errorf("error does not wrap %v: %v", tc.kind, err)
			}
			if n := strings.Count(err.Error(), "openapi: invalid"); n != 1 {
				t.Errorf("%d problems reported, want 1:\n%v", n, err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not contain %q:\n%v", w, err)
				}
			}
		})
	}
}

func TestLoadDeprecation(t *testing.T) {
	t.Parallel()
	doc, err := parseDocument([]byte(opDoc(withPathParam("deprecated: true\nx-apishield-deprecation: {since: 2026-01-01, sunset: '2027-01-01T00:00:00Z', docs: https://example.com/d, successor: /v2/items}"))), &Config{})
	if err != nil {
		t.Fatal(err)
	}
	d := doc.ops[0].deprecation
	if !doc.ops[0].deprecated || d == nil {
		t.Fatalf("deprecated %t, deprecation %+v", doc.ops[0].deprecated, d)
	}
	if !d.since.Equal(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)) || !d.sunset.Equal(time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)) || d.docs != "https://example.com/d" || d.successor != "/v2/items" {
		t.Errorf("deprecation = %+v", d)
	}
	// Config.DeprecatedSince dates an operation without its own.
	if _, err := parseDocument([]byte(opDoc(withPathParam("deprecated: true"))), &Config{DeprecatedSince: time.Now()}); err != nil {
		t.Errorf("with Config.DeprecatedSince: %v", err)
	}
}

func TestLoadManyProblems(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString("openapi: 3.1.0\ninfo: {title: t, version: '1'}\npaths:\n")
	for i := range 60 {
		b.WriteString("  /p" + strings.Repeat("x", i) + ":\n    get: {x-apishield-bad: 1, responses: {'200': {description: ok}}}\n")
	}
	_, err := parseDocument([]byte(b.String()), &Config{})
	if err == nil || !errors.Is(err, ErrInvalidDocument) {
		t.Fatalf("err = %v", err)
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != maxProblems+1 || lines[maxProblems] != "and 10 more" {
		t.Errorf("%d lines, last %q; want %d and \"and 10 more\"", len(lines), lines[len(lines)-1], maxProblems+1)
	}
}

func TestLoadSizeLimit(t *testing.T) {
	t.Parallel()
	data := []byte(opDoc(withPathParam("")))
	if _, err := parseDocument(data, &Config{MaxDocumentBytes: int64(len(data)) - 1}); !errors.Is(err, ErrInvalidDocument) || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("parse of a too large document: %v", err)
	}
	if _, err := parseDocument(data, &Config{MaxDocumentBytes: int64(len(data))}); err != nil {
		t.Errorf("parse of a document at the limit: %v", err)
	}
	if _, err := parseDocument(data, &Config{MaxDocumentBytes: -1}); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("negative MaxDocumentBytes: %v", err)
	}
	fsys := fstest.MapFS{
		"openapi.yaml": {Data: []byte(opDoc(withPathParam("requestBody: {$ref: 'big.yaml'}")))},
		"big.yaml":     {Data: []byte("content: {}\ndescription: '" + strings.Repeat("x", 4096) + "'\n")},
	}
	_, err := loadDocument(fsys, "openapi.yaml", &Config{MaxDocumentBytes: 2048})
	if !errors.Is(err, ErrInvalidDocument) || !strings.Contains(err.Error(), "big.yaml") || !strings.Contains(err.Error(), "larger than 2048 bytes") {
		t.Errorf("load with a referenced file past the limit: %v", err)
	}
}

func TestLoadErrorsStable(t *testing.T) {
	t.Parallel()
	doc := []byte(opDoc(withPathParam("x-apishield-b: 1\nx-apishield-a: 1\nx-apishield-cost: 0\ndeprecated: true\nx-apishield-deprecation: {since: x, sunset: y, z: 1}")) +
		"  schemas:\n    A: {x-apishield-q: 1, type: string, pattern: '(?=a)'}\n    B: {x-apishield-p: 1}\n")
	_, first := parseDocument(doc, &Config{})
	if first == nil {
		t.Fatal("no error")
	}
	for range 10 {
		if _, err := parseDocument(doc, &Config{}); err.Error() != first.Error() {
			t.Fatalf("errors differ between loads:\n%v\n---\n%v", first, err)
		}
	}
}

// TestLoadEncodingElsewhere loads the encoding a multipart body, or a
// response, may declare: the contract does not read those bodies, so
// nothing is enforced more loosely than written.
func TestLoadEncodingElsewhere(t *testing.T) {
	t.Parallel()
	doc := opDoc(withPathParam("requestBody:\n  content:\n    multipart/form-data:\n      schema: {type: object}\n      encoding: {file: {contentType: image/png}}"))
	if _, err := parseDocument([]byte(doc), &Config{}); err != nil {
		t.Errorf("multipart encoding: %v", err)
	}
}
