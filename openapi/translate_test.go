package openapi

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// bodySchemaDoc returns a document of version with one operation whose
// JSON body has the schema written as YAML flow mapping s, and component
// schemas comps (YAML indented under components.schemas).
func bodySchemaDoc(version, s, comps string) string {
	return `openapi: ` + version + `
info: {title: t, version: "1"}
paths:
  /things:
    post:
      operationId: create
      requestBody:
        content:
          application/json:
            schema: ` + s + `
      responses:
        "204": {description: done}
components:
  schemas:
    Str: {type: string}
` + indent(comps, "    ") + "\n"
}

func bodySchema(t *testing.T, doc *document) *schema {
	t.Helper()
	s := doc.ops[0].body.content["application/json"].schema
	if s == nil || s.compiled == nil {
		t.Fatalf("body schema not compiled: %+v", s)
	}
	return s
}

// checkValues validates each JSON text against s and compares with want.
func checkValues(t *testing.T, s *jsonschema.Schema, want map[string]bool) {
	t.Helper()
	for text, valid := range want {
		v, err := jsonschema.UnmarshalJSON(strings.NewReader(text))
		if err != nil {
			t.Fatalf("%s: %v", text, err)
		}
		err = s.Validate(v)
		if (err == nil) != valid {
			t.Errorf("validate %s: error %v, want valid %t", text, err, valid)
		}
	}
}

func TestTranslate30(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		schema string
		comps  string
		values map[string]bool
	}{
		{"nullable adds null to type", "{type: string, nullable: true}", "",
			map[string]bool{`"a"`: true, `null`: true, `1`: false}},
		{"not nullable refuses null", "{type: string}", "",
			map[string]bool{`"a"`: true, `null`: false}},
		{"nullable adds null to enum", "{type: string, enum: [a, b], nullable: true}", "",
			map[string]bool{`"a"`: true, `null`: true, `"c"`: false}},
		{"nullable false", "{type: integer, nullable: false}", "",
			map[string]bool{`1`: true, `null`: false}},
		{"exclusiveMinimum true", "{type: number, minimum: 0, exclusiveMinimum: true}", "",
			map[string]bool{`0`: false, `0.1`: true, `-1`: false}},
		{"exclusiveMinimum false keeps minimum", "{type: number, minimum: 0, exclusiveMinimum: false}", "",
			map[string]bool{`0`: true, `-0.1`: false}},
		{"exclusiveMaximum true", "{type: integer, maximum: 10, exclusiveMaximum: true}", "",
			map[string]bool{`10`: false, `9`: true, `11`: false}},
		{"ref siblings dropped", "{$ref: '#/components/schemas/Str', maxLength: 1}", "",
			map[string]bool{`"abc"`: true, `1`: false}},
		{"nested subschemas translated", "{type: object, properties: {a: {type: array, items: {type: integer, nullable: true}}}, additionalProperties: {type: number, maximum: 1, exclusiveMaximum: true}}", "",
			map[string]bool{`{"a":[1,null]}`: true, `{"a":["x"]}`: false, `{"b":0.5}`: true, `{"b":1}`: false}},
		{"combinators translated", "{oneOf: [{type: string, nullable: true}], not: {type: integer, minimum: 5, exclusiveMinimum: true}}", "",
			map[string]bool{`null`: true, `"x"`: true}},
		{"through a component", "{$ref: '#/components/schemas/N'}", "N: {type: object, properties: {n: {type: integer, nullable: true, minimum: 1, exclusiveMinimum: true}}}",
			map[string]bool{`{"n":null}`: true, `{"n":1}`: false, `{"n":2}`: true}},
		{"int32", "{type: integer, format: int32}", "",
			map[string]bool{`2147483647`: true, `2147483648`: false, `-2147483648`: true, `-2147483649`: false}},
		{"int64", "{type: integer, format: int64}", "",
			map[string]bool{`9223372036854775807`: true, `9223372036854775808`: false, `1e2`: true, `1.5`: false, `1e400000`: false}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			doc, err := parseDocument([]byte(bodySchemaDoc("3.0.3", tc.schema, tc.comps)), &Config{})
			if err != nil {
				t.Fatal(err)
			}
			checkValues(t, bodySchema(t, doc).compiled, tc.values)
		})
	}
}

func TestTranslate30Value(t *testing.T) {
	t.Parallel()
	doc, err := parseDocument([]byte(bodySchemaDoc("3.0.3", "{type: string, example: abc, x-note: kept, nullable: true}", "")), &Config{})
	if err != nil {
		t.Fatal(err)
	}
	v := bodySchema(t, doc).value.(map[string]any)
	if _, ok := v["example"]; ok {
		t.Errorf("example kept: %v", v)
	}
	if ex, _ := v["examples"].([]any); len(ex) != 1 || ex[0] != "abc" {
		t.Errorf("examples = %v, want [abc]", v["examples"])
	}
	if v["x-note"] != "kept" {
		t.Errorf("x-note = %v, want kept", v["x-note"])
	}
	if _, ok := v["nullable"]; ok {
		t.Errorf("nullable kept: %v", v)
	}
}

func TestSchemas31AsWritten(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		schema string
		values map[string]bool
	}{
		{"ref siblings apply", "{$ref: '#/components/schemas/Str', maxLength: 1}",
			map[string]bool{`"a"`: true, `"abc"`: false}},
		{"type list", "{type: [string, 'null']}",
			map[string]bool{`null`: true, `"a"`: true, `1`: false}},
		{"numeric exclusiveMinimum", "{type: number, exclusiveMinimum: 0}",
			map[string]bool{`0`: false, `1`: true}},
		{"nullable is not a 3.1 keyword", "{type: string, nullable: true}",
			map[string]bool{`null`: false}},
		{"OAS dialect", "{$schema: 'https://spec.openapis.org/oas/3.1/dialect/base', type: integer}",
			map[string]bool{`1`: true, `"1"`: false}},
		{"format asserted", "{type: string, format: email}",
			map[string]bool{`"a@example.com"`: true, `"nope"`: false}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			doc, err := parseDocument([]byte(bodySchemaDoc("3.1.0", tc.schema, "")), &Config{})
			if err != nil {
				t.Fatal(err)
			}
			checkValues(t, bodySchema(t, doc).compiled, tc.values)
		})
	}
}

func TestTranslate30AcrossFiles(t *testing.T) {
	t.Parallel()
	fsys := fstest.MapFS{
		"api/openapi.yaml": {Data: []byte(bodySchemaDoc("3.0.3", "{$ref: 'schemas/pet.yaml#/Pet'}", "Other: {$ref: 'schemas/pet.yaml#/Pet'}"))},
		"api/schemas/pet.yaml": {Data: []byte(`Pet:
  type: object
  required: [name]
  properties:
    name: {type: string}
    tag: {$ref: '../common/tag.yaml'}
`)},
		"api/common/tag.yaml": {Data: []byte("type: string\nnullable: true\nmaxLength: 3\n")},
	}
	doc, err := loadDocument(fsys, "api/openapi.yaml", &Config{})
	if err != nil {
		t.Fatal(err)
	}
	s := bodySchema(t, doc)
	if !strings.HasPrefix(s.loc, docBase+"api/openapi.yaml#/paths/") {
		t.Errorf("loc = %q", s.loc)
	}
	checkValues(t, s.compiled, map[string]bool{
		`{"name":"a","tag":null}`:   true,
		`{"name":"a","tag":"abc"}`:  true,
		`{"name":"a","tag":"abcd"}`: false,
		`{"tag":null}`:              false,
	})
}
