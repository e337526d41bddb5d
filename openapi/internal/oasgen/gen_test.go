package oasgen

import (
	"encoding/json"
	"errors"
	"net/url"
	"reflect"
	"strings"
	"testing"
)

const testDoc = `{
 "openapi": "3.0.3",
 "servers": [{"url": "https://api.example.com/v1"}],
 "paths": {
  "/items/{id}": {
   "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer", "minimum": 10, "maximum": 20}}],
   "put": {
    "parameters": [
     {"name": "mode", "in": "query", "required": true, "schema": {"type": "string", "enum": ["fast", "slow"]}},
     {"name": "X-Trace", "in": "header", "required": true, "schema": {"type": "string", "format": "uuid"}}
    ],
    "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Item"}}}}
   }
  },
  "/things": {
   "get": {"parameters": [{"name": "q", "in": "query", "required": true, "schema": {"type": "string", "pattern": "^[a-z]+$"}}]},
   "post": {"requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "other.json#/Thing"}}}}}
  }
 },
 "components": {"schemas": {
  "Item": {"allOf": [
   {"type": "object", "required": ["name"], "properties": {"name": {"type": "string", "minLength": 3, "maxLength": 5}}},
   {"type": "object", "required": ["count", "kind", "id"], "additionalProperties": false,
    "properties": {
     "count": {"type": "integer", "minimum": 0, "exclusiveMinimum": true, "maximum": 9},
     "kind": {"type": "string", "enum": ["a", "b"]},
     "id": {"type": "string", "readOnly": true},
     "when": {"type": "string", "format": "date-time"}
    }}
  ]}
 }}
}`

const otherFile = `{"Thing": {"type": "object", "required": ["tags"], "properties": {"tags": {"type": "array", "minItems": 2, "items": {"type": "string", "format": "email"}}}}}`

func decode(t *testing.T, s string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func generate(t *testing.T, seed uint64) ([]Case, Stats) {
	t.Helper()
	other := decode(t, otherFile)
	g, err := New(decode(t, testDoc), func(name string) (any, error) {
		if name != "other.json" {
			return nil, errors.New("no file " + name)
		}
		return other, nil
	}, seed)
	if err != nil {
		t.Fatal(err)
	}
	return g.Cases()
}

func find(cs []Case, op string, k Kind) *Case {
	for i := range cs {
		if cs[i].Op == op && cs[i].Kind == k {
			return &cs[i]
		}
	}
	return nil
}

func TestCasesValidRequest(t *testing.T) {
	t.Parallel()
	cs, st := generate(t, 1)
	if st.Operations != 3 {
		t.Errorf("Operations = %d, want 3", st.Operations)
	}
	if st.Skipped["pattern"] != 1 {
		t.Errorf("Skipped = %v, want the GET with a pattern counted once", st.Skipped)
	}
	if c := find(cs, "GET /things", Valid); c != nil {
		t.Errorf("a request was generated for an operation whose required parameter has a pattern: %+v", c)
	}

	c := find(cs, "PUT /items/{id}", Valid)
	if c == nil {
		t.Fatal("no valid PUT /items/{id}")
	}
	u, err := url.Parse(c.URL)
	if err != nil {
		t.Fatal(err)
	}
	if u.Host != "api.example.com" || u.Path != "/v1/items/10" {
		t.Errorf("URL = %s, want the server's base and id at its minimum, 10", c.URL)
	}
	if m := u.Query().Get("mode"); m != "fast" && m != "slow" {
		t.Errorf("mode = %q, want one of the enum", m)
	}
	if got := c.Header.Get("X-Trace"); len(got) != 36 {
		t.Errorf("X-Trace = %q, want a uuid", got)
	}
	if got := c.Header.Get("Content-Type"); got != "application/json" {
		t.Errorf("Content-Type = %q", got)
	}
	var body map[string]any
	if err := json.Unmarshal(c.Body, &body); err != nil {
		t.Fatalf("body %s: %v", c.Body, err)
	}
	if n, _ := body["name"].(string); len(n) < 3 || len(n) > 5 {
		t.Errorf("name = %v, want 3 to 5 characters", body["name"])
	}
	if body["count"] != 1.0 {
		t.Errorf("count = %v, want 1, the least above an exclusive minimum of 0", body["count"])
	}
	if k := body["kind"]; k != "a" && k != "b" {
		t.Errorf("kind = %v, want one of the enum", k)
	}
	if _, ok := body["id"]; ok {
		t.Error("the readOnly id was sent in a request")
	}
	if w, ok := body["when"]; ok && w != formats["date-time"] {
		t.Errorf("when = %v, want a date-time", w)
	}

	post := find(cs, "POST /things", Valid)
	if post == nil {
		t.Fatal("no valid POST /things: the $ref to other.json was not followed")
	}
	if got, want := string(post.Body), `{"tags":["user@example.com","user@example.com"]}`; got != want {
		t.Errorf("body = %s, want %s", got, want)
	}
}

func TestCasesInvalidVariants(t *testing.T) {
	t.Parallel()
	cs, _ := generate(t, 1)
	const op = "PUT /items/{id}"
	tests := []struct {
		kind   Kind
		detail string
		check  func(t *testing.T, c *Case)
	}{
		{MissingParam, "query mode", func(t *testing.T, c *Case) {
			if strings.Contains(c.URL, "mode=") {
				t.Errorf("URL %s still has mode", c.URL)
			}
		}},
		{WrongTypeParam, "path id", func(t *testing.T, c *Case) {
			if !strings.HasSuffix(c.URL, "/items/zz") && !strings.Contains(c.URL, "/items/zz?") {
				t.Errorf("URL = %s, want id zz", c.URL)
			}
		}},
		{ParamBeyondMaximum, "path id", func(t *testing.T, c *Case) {
			if !strings.Contains(c.URL, "/items/21") {
				t.Errorf("URL = %s, want id 21", c.URL)
			}
		}},
		{ParamEnumViolation, "query mode", func(t *testing.T, c *Case) {
			if !strings.Contains(c.URL, "mode=zz-not-in-enum") {
				t.Errorf("URL = %s", c.URL)
			}
		}},
		{MissingRequiredBody, "", func(t *testing.T, c *Case) {
			if c.Body != nil || c.Header.Get("Content-Type") != "" {
				t.Errorf("body %q with Content-Type %q", c.Body, c.Header.Get("Content-Type"))
			}
		}},
		{BodyWrongType, "array for object", func(t *testing.T, c *Case) {
			if string(c.Body) != "[]" {
				t.Errorf("body = %s", c.Body)
			}
		}},
		{MissingProperty, "name", bodyLacks("name")},
		{BeyondMaximum, "name", bodyHas("name", "aaaaaa")},
		{EnumViolation, "kind", bodyHas("kind", "zz-not-in-enum")},
		{UnknownProperty, "zz_unknown_property", bodyHas("zz_unknown_property", 1.0)},
	}
	for _, tt := range tests {
		t.Run(string(tt.kind), func(t *testing.T) {
			c := find(cs, op, tt.kind)
			if c == nil {
				t.Fatalf("no %s variant", tt.kind)
			}
			if c.Valid() {
				t.Error("an invalid variant reports Valid")
			}
			if c.Detail != tt.detail {
				t.Errorf("Detail = %q, want %q", c.Detail, tt.detail)
			}
			tt.check(t, c)
			if _, err := c.Request(); err != nil {
				t.Error(err)
			}
		})
	}
}

func bodyHas(k string, want any) func(*testing.T, *Case) {
	return func(t *testing.T, c *Case) {
		var m map[string]any
		if err := json.Unmarshal(c.Body, &m); err != nil {
			t.Fatal(err)
		}
		if m[k] != want {
			t.Errorf("body[%q] = %v, want %v", k, m[k], want)
		}
	}
}

func bodyLacks(k string) func(*testing.T, *Case) {
	return func(t *testing.T, c *Case) {
		var m map[string]any
		if err := json.Unmarshal(c.Body, &m); err != nil {
			t.Fatal(err)
		}
		if _, ok := m[k]; ok {
			t.Errorf("body still has %q", k)
		}
		if len(m) == 0 {
			t.Error("body lost every property, not just one")
		}
	}
}

func TestCasesDeterministic(t *testing.T) {
	t.Parallel()
	a, _ := generate(t, 7)
	b, _ := generate(t, 7)
	if !reflect.DeepEqual(a, b) {
		t.Error("the same seed gave different cases")
	}
}

func TestRefErrors(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, doc, skipped string }{
		{"cycle", `{"paths": {"/a": {"$ref": "#/x"}}, "x": {"$ref": "#/x"}}`, "oasgen: $ref chain longer than 64"},
		{"remote", `{"paths": {"/a": {"$ref": "https://example.com/a.json"}}}`, `oasgen: remote $ref "https://example.com/a.json"`},
		{"file without resolver", `{"paths": {"/a": {"$ref": "a.json"}}}`, `oasgen: $ref to file "a.json" without a resolver`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, err := New(decode(t, tt.doc), nil, 1)
			if err != nil {
				t.Fatal(err)
			}
			cs, st := g.Cases()
			if len(cs) != 0 || st.Skipped[tt.skipped] != 1 {
				t.Errorf("cases %v, skipped %v, want the path skipped with %q", cs, st.Skipped, tt.skipped)
			}
		})
	}
	if _, err := New(decode(t, `[]`), nil, 1); err == nil {
		t.Error("New accepted a document that is not an object")
	}
}

func TestOneOfWithUntypedBranch(t *testing.T) {
	t.Parallel()
	doc := `{"paths": {"/a": {"post": {"requestBody": {"required": true, "content": {"application/json": {"schema":
	  {"oneOf": [{"type": "boolean"}, {"nullable": true}]}}}}}}}}`
	g, err := New(decode(t, doc), nil, 1)
	if err != nil {
		t.Fatal(err)
	}
	cs, st := g.Cases()
	if len(cs) != 0 || st.Skipped["oneOf with an untyped branch"] != 1 {
		t.Errorf("cases %v, skipped %v: true matches both branches, so no valid body may be claimed", cs, st.Skipped)
	}
}

func TestCases31AndStyles(t *testing.T) {
	t.Parallel()
	doc := `{
 "openapi": "3.1.0",
 "paths": {
  "/r/{a}/{b}": {
   "post": {
    "parameters": [
     {"name": "a", "in": "path", "required": true, "style": "label", "schema": {"type": "integer", "exclusiveMinimum": 5, "exclusiveMaximum": 7}},
     {"name": "b", "in": "path", "required": true, "style": "matrix", "schema": {"type": "string", "const": "x"}},
     {"name": "tags", "in": "query", "required": true, "style": "pipeDelimited", "schema": {"type": "array", "minItems": 2, "items": {"type": "string", "enum": ["p"]}}},
     {"name": "ids", "in": "query", "required": true, "schema": {"type": "array", "items": {"type": "integer", "multipleOf": 3, "minimum": 4}}},
     {"name": "sid", "in": "cookie", "required": true, "schema": {"type": ["string", "null"], "maxLength": 2}}
    ],
    "requestBody": {"required": true, "content": {"application/x-www-form-urlencoded": {"schema":
     {"type": "object", "required": ["n"], "properties": {"n": {"type": "number", "minimum": 2.5}}}}}}
   }
  }
 }
}`
	g, err := New(decode(t, doc), nil, 3)
	if err != nil {
		t.Fatal(err)
	}
	cs, st := g.Cases()
	c := find(cs, "POST /r/{a}/{b}", Valid)
	if c == nil {
		t.Fatalf("no valid request; skipped %v", st.Skipped)
	}
	if want := "http://localhost/r/.6/;b=x?tags=p%7Cp&ids=6"; c.URL != want {
		t.Errorf("URL = %s, want %s", c.URL, want)
	}
	if got := c.Header.Get("Cookie"); !strings.HasPrefix(got, "sid=") || len(got) != len("sid=")+2 {
		t.Errorf("Cookie = %q, want sid with a value of maxLength 2", got)
	}
	if string(c.Body) != "n=3" || c.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
		t.Errorf("body %q as %q, want n=3 form-encoded", c.Body, c.Header.Get("Content-Type"))
	}
	if v := find(cs, "POST /r/{a}/{b}", ParamBeyondMaximum); v == nil || !strings.Contains(v.URL, "/r/.7/") {
		t.Errorf("beyond an exclusive maximum of 7: %+v, want a = 7", v)
	}
	if v := find(cs, "POST /r/{a}/{b}", BodyWrongType); v != nil {
		t.Errorf("a form body got a JSON type variant: %+v", v)
	}
}
