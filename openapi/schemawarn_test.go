package openapi

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// compileSchema compiles a JSON Schema 2020-12 document held in src and
// returns the schema at fragment ptr ("" for the root), as the loader's
// would be.
func compileSchema(t *testing.T, src, ptr string, assertFormat bool) *schema {
	t.Helper()
	v, err := jsonschema.UnmarshalJSON(strings.NewReader(src))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	if assertFormat {
		c.AssertFormat()
	}
	const url = "apishield-openapi:///openapi.json" // as the loader names the root
	if err := c.AddResource(url, v); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(url + "#" + ptr)
	if err != nil {
		t.Fatal(err)
	}
	return &schema{loc: url + "#" + ptr, compiled: s}
}

// warned lists the warnings as "code location".
func warned(ws []Warning) []string {
	var out []string
	for _, w := range ws {
		out = append(out, w.Code+" "+w.Location)
	}
	return out
}

func TestSchemaWarnings(t *testing.T) {
	t.Parallel()
	const loc = "openapi.json#"
	for _, c := range []struct {
		name   string
		schema string
		format bool
		want   []string
	}{
		{
			name:   "closed object of bounded fields",
			schema: `{"type":"object","additionalProperties":false,"properties":{"name":{"type":"string","maxLength":10},"tags":{"type":"array","maxItems":3,"items":{"type":"string","enum":["a","b"]}}}}`,
		},
		{
			name:   "open object, unbounded string and array",
			schema: `{"type":"object","properties":{"name":{"type":"string"},"tags":{"type":"array","items":{"type":"integer"}}}}`,
			want:   []string{"open-object " + loc, "unbounded-array " + loc + "/properties/tags", "unbounded-string " + loc + "/properties/name"},
		},
		{
			name:   "additionalProperties true is open",
			schema: `{"type":"object","additionalProperties":true}`,
			want:   []string{"open-object " + loc},
		},
		{
			name:   "an additionalProperties schema checks every property",
			schema: `{"type":"object","additionalProperties":{"type":"integer"}}`,
		},
		{
			name:   "object keywords without a type",
			schema: `{"properties":{"id":{"type":"integer"}}}`,
			want:   []string{"open-object " + loc},
		},
		{
			name:   "a type that excludes object is not an object",
			schema: `{"type":"integer","properties":{"id":{"type":"integer"}}}`,
		},
		{
			name:   "unevaluatedProperties false closes the allOf members",
			schema: `{"unevaluatedProperties":false,"allOf":[{"$ref":"#/$defs/base"},{"type":"object","properties":{"b":{"type":"integer"}}}],"$defs":{"base":{"type":"object","properties":{"a":{"type":"integer"}}}}}`,
		},
		{
			name:   "an open member of an open allOf",
			schema: `{"allOf":[{"$ref":"#/$defs/base"}],"$defs":{"base":{"type":"object","properties":{"a":{"type":"integer"}}}}}`,
			want:   []string{"open-object " + loc + "/$defs/base"},
		},
		{
			name:   "anyOf and oneOf members",
			schema: `{"anyOf":[{"type":"string"},{"type":"integer"}],"oneOf":[{"type":"array","items":{"type":"integer"}}]}`,
			want:   []string{"unbounded-array " + loc + "/oneOf/0", "unbounded-string " + loc + "/anyOf/0"},
		},
		{
			name:   "enum and const bound a string",
			schema: `{"type":"object","additionalProperties":false,"properties":{"a":{"type":"string","enum":["x"]},"b":{"type":"string","const":"y"}}}`,
		},
		{
			name:   "nullable string without maxLength",
			schema: `{"type":["string","null"]}`,
			want:   []string{"unbounded-string " + loc},
		},
		{
			name:   "string keywords without a type",
			schema: `{"pattern":"^[a-z]+$"}`,
			want:   []string{"unbounded-string " + loc},
		},
		{
			name:   "an asserted date or uuid is bounded",
			schema: `{"type":"array","maxItems":2,"prefixItems":[{"type":"string","format":"date"},{"type":"string","format":"uuid"}],"items":false}`,
			format: true,
		},
		{
			name:   "date-time is not bounded: its fraction has no limit",
			schema: `{"type":"string","format":"date-time"}`,
			format: true,
			want:   []string{"unbounded-string " + loc},
		},
		{
			name:   "a format that is only an annotation bounds nothing",
			schema: `{"type":"string","format":"uuid"}`,
			want:   []string{"unbounded-string " + loc},
		},
		{
			name:   "a closed tuple is bounded",
			schema: `{"type":"array","prefixItems":[{"type":"integer"}],"items":false}`,
		},
		{
			name:   "recursive schema ends",
			schema: `{"$ref":"#/$defs/node","$defs":{"node":{"type":"object","additionalProperties":false,"properties":{"children":{"type":"array","items":{"$ref":"#/$defs/node"}}}}}}`,
			want:   []string{"unbounded-array " + loc + "/$defs/node/properties/children"},
		},
		{
			name:   "a closed parent does not close a property's object",
			schema: `{"type":"object","additionalProperties":false,"properties":{"meta":{"type":"object"}}}`,
			want:   []string{"open-object " + loc + "/properties/meta"},
		},
		{
			name:   "patternProperties, additionalProperties and items schemas are walked",
			schema: `{"type":"object","patternProperties":{"^x":{"type":"string"}},"additionalProperties":{"type":"array","items":{"type":"string","maxLength":1}}}`,
			want:   []string{"unbounded-array " + loc + "/additionalProperties", "unbounded-string " + loc + "/patternProperties/^x"},
		},
		{
			name:   "boolean schema",
			schema: `true`,
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			ws := newWarnings()
			ws.schema(compileSchema(t, c.schema, "", c.format))
			got := warned(ws.list())
			if !slices.Equal(got, c.want) {
				t.Errorf("got %q\nwant %q", got, c.want)
			}
		})
	}
}

func TestReportLoc(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"apishield-openapi:///openapi.yaml#/components/schemas/Item": "openapi.yaml#/components/schemas/Item",
		"apishield-openapi:///common/types.yaml#/Name":               "common/types.yaml#/Name",
		"apishield-openapi:///openapi.yaml":                          "openapi.yaml#",
		"apishield-openapi:///openapi.yaml#/paths/~1a%7Bb%7D":        "openapi.yaml#/paths/~1a{b}",
		"#/a": "#/a",
	} {
		if got := reportLoc(in); got != want {
			t.Errorf("reportLoc(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestWarningsDeduplicated(t *testing.T) {
	t.Parallel()
	s := compileSchema(t, `{"type":"object"}`, "", false)
	ws := newWarnings()
	ws.schema(s)
	ws.schema(s)
	ws.add(WarnPublicWrite, "/p", "x")
	ws.add(WarnPublicWrite, "/p", "x")
	got, _ := json.Marshal(warned(ws.list()))
	if want := `["open-object openapi.json#","public-write /p"]`; string(got) != want {
		t.Errorf("got %s, want %s", got, want)
	}
}
