package schemacheck

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"
	"weak"

	"github.com/apishield/apishield/internal/schemacheck/schemagen"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// fastCompile compiles a schema as every apishield schema is compiled.
func fastCompile(tb testing.TB, src string) *jsonschema.Schema {
	tb.Helper()
	cc := NewCompiler(nil, false)
	s, err := cc.Compile("fast.json", []byte(src), false)
	if err != nil {
		tb.Fatalf("compiling %s: %v", src, err)
	}
	return s
}

// decodeJSON decodes a value as a body is decoded.
func decodeJSON(tb testing.TB, src string) any {
	tb.Helper()
	lim, err := CheckLimits(Limits{}, nil)
	if err != nil {
		tb.Fatal(err)
	}
	if err := NewScanner(lim, nil).Scan([]byte(src)); err != nil {
		tb.Fatalf("scanning %s: %v", src, err)
	}
	return DecodeScanned([]byte(src), nil)
}

// checkFast asserts the fast path's one promise on s and v: if it says
// valid, jsonschema v6 agrees. It returns what the fast path said.
func checkFast(tb testing.TB, s *jsonschema.Schema, v any) bool {
	tb.Helper()
	if !FastValid(s, v) {
		return false
	}
	if err := s.Validate(v); err != nil {
		b, _ := json.Marshal(v)
		tb.Fatalf("the fast path accepts %s against %s, jsonschema refuses it: %v", b, s.Location, err)
	}
	return true
}

type fakeSchema struct {
	up         int
	Types      *int
	Properties map[string]int
	Brand      []string // a field a later version might add
}

// TestUnsupportedField shows the allowlist at work on a fake Schema: a
// set field outside it, exported or not, makes the node unsupported.
func TestUnsupportedField(t *testing.T) {
	allowed := map[string]bool{"up": true, "Types": true, "Properties": true}
	one := 1
	for _, tc := range []struct {
		name string
		v    fakeSchema
		want string
	}{
		{"zero", fakeSchema{}, ""},
		{"allowed fields set", fakeSchema{up: 3, Types: &one, Properties: map[string]int{"a": 1}}, ""},
		{"new field set", fakeSchema{Types: &one, Brand: []string{"x"}}, "Brand"},
		{"new field empty", fakeSchema{Brand: nil}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := unsupportedField(reflect.ValueOf(tc.v), allowed); got != tc.want {
				t.Errorf("unsupportedField = %q, want %q", got, tc.want)
			}
		})
	}
	// An unexported field outside the list counts too.
	if got := unsupportedField(reflect.ValueOf(fakeSchema{up: 1}), map[string]bool{}); got != "up" {
		t.Errorf("unexported field: got %q, want up", got)
	}
}

// knownUnsupported are the fields of jsonschema.Schema the fast path
// leaves to the library. Together with fastFields they must name every
// field, so a field a new version adds fails this test and is reviewed
// (until then, nodes that set it take the slow path anyway).
var knownUnsupported = []string{"Bool", "RecursiveRef", "RecursiveAnchor", "DynamicRef", "Not", "OneOf",
	"If", "Then", "Else", "PropertyNames", "PatternProperties", "Dependencies", "DependentRequired",
	"DependentSchemas", "UnevaluatedProperties", "Contains", "MinContains", "MaxContains", "Items",
	"AdditionalItems", "UnevaluatedItems", "ContentEncoding", "ContentMediaType", "ContentSchema", "Extensions"}

func TestFastFieldsCoverSchema(t *testing.T) {
	typ := reflect.TypeFor[jsonschema.Schema]()
	for i := range typ.NumField() {
		name := typ.Field(i).Name
		if !fastFields[name] && !slices.Contains(knownUnsupported, name) {
			t.Errorf("jsonschema.Schema has field %s, which the fast path has not reviewed", name)
		}
	}
	for name := range fastFields {
		if _, ok := typ.FieldByName(name); !ok {
			t.Errorf("fastFields names %s, which jsonschema.Schema does not have", name)
		}
	}
}

// TestFastEdges checks hand-written edge cases: the promise, and what
// the fast path decides, so that it neither goes silent nor says too much.
func TestFastEdges(t *testing.T) {
	for _, tc := range []struct {
		schema string
		value  string
		fast   bool // the fast path proves it valid
	}{
		{`true`, `{"a":1}`, true},
		{`false`, `1`, false},
		{`{}`, `[1,"a",null]`, true},
		{`{"type":"integer"}`, `1`, true},
		{`{"type":"integer"}`, `-0`, true},
		{`{"type":"integer"}`, `1.0`, false}, // valid, left to the library
		{`{"type":"integer"}`, `1e2`, false}, // valid, left to the library
		{`{"type":"integer"}`, `1.5`, false},
		{`{"type":"integer"}`, `123456789012345678901234567890`, true},
		{`{"type":"number"}`, `1e2`, true},
		{`{"type":["integer","null"]}`, `null`, true},
		{`{"type":"string"}`, `1`, false},
		{`{"type":"integer","minimum":1,"maximum":10}`, `10`, true},
		{`{"type":"integer","minimum":1,"maximum":10}`, `11`, false},
		{`{"type":"integer","minimum":1,"maximum":10}`, `0`, false},
		{`{"type":"integer","maximum":10}`, `1234567890123456789`, false}, // 19 digits: not known
		{`{"type":"number","maximum":10}`, `10.0`, true},
		{`{"type":"number","maximum":10}`, `10.01`, false},
		{`{"type":"number","minimum":0}`, `-0.5`, false},
		{`{"type":"number","minimum":-1}`, `-0.5`, true},
		{`{"type":"number","minimum":-1}`, `-1.5`, false},
		{`{"type":"number","exclusiveMinimum":0}`, `0.001`, true},
		{`{"type":"number","exclusiveMinimum":0}`, `0`, false},
		{`{"type":"number","exclusiveMinimum":0}`, `0.0`, false},
		{`{"type":"number","exclusiveMaximum":3}`, `2.999`, true},
		{`{"type":"number","exclusiveMaximum":3}`, `3.0`, false},
		{`{"type":"number","maximum":0.5}`, `0`, false}, // bound not an integer: not known
		{`{"type":"number","minimum":1}`, `1e2`, false}, // exponent: not known
		{`{"multipleOf":3}`, `9`, true},
		{`{"multipleOf":3}`, `10`, false},
		{`{"multipleOf":3}`, `9.5`, false},
		{`{"multipleOf":0.5}`, `1`, false},
		{`{"maximum":9223372036854775807}`, `1`, true},
		{`{"maximum":92233720368547758070}`, `1`, false},
		{`{"type":"string","maxLength":2}`, `"éé"`, true},
		{`{"type":"string","maxLength":2}`, `"ééé"`, false},
		{`{"type":"string","minLength":2}`, `"日"`, false},
		{`{"type":"string","pattern":"^a+$"}`, `"aaa"`, true},
		{`{"type":"string","pattern":"^a+$"}`, `"ab"`, false},
		{`{"type":"string","format":"date"}`, `"2024-02-29"`, true},
		{`{"type":"string","format":"date"}`, `"2023-02-29"`, false},
		{`{"format":"email"}`, `12`, true},
		{`{"enum":["a",1,null,true]}`, `"a"`, true},
		{`{"enum":["a",1,null,true]}`, `null`, true},
		{`{"enum":["a",1,null,true]}`, `true`, true},
		{`{"enum":["a",1,null,true]}`, `1`, true},
		{`{"enum":["a",1,null,true]}`, `1.0`, false}, // equal for the library, not known here
		{`{"enum":["a",1.0]}`, `1`, false},
		{`{"enum":["a",1,null,true]}`, `"b"`, false},
		{`{"enum":[[1],{"a":1}]}`, `[1]`, false},
		{`{"const":"x"}`, `"x"`, true},
		{`{"const":"x"}`, `"y"`, false},
		{`{"const":false}`, `0`, false},
		{`{"type":"object","required":["a"],"properties":{"a":{"type":"string"}},"additionalProperties":false}`, `{"a":"x"}`, true},
		{`{"type":"object","required":["a"],"properties":{"a":{"type":"string"}},"additionalProperties":false}`, `{"a":"x","b":1}`, false},
		{`{"type":"object","required":["a"],"properties":{"a":{"type":"string"}}}`, `{}`, false},
		{`{"additionalProperties":{"type":"integer"}}`, `{"x":1,"y":2}`, true},
		{`{"additionalProperties":{"type":"integer"}}`, `{"x":1,"y":"2"}`, false},
		{`{"properties":{"a":{"type":"string"}},"additionalProperties":{"type":"integer"}}`, `{"a":"x","b":1}`, true},
		{`{"properties":{"a":{"type":"string"}},"additionalProperties":{"type":"integer"}}`, `{"a":"x","b":"y"}`, false},
		{`{"properties":{"a":{"type":"string"}},"additionalProperties":{"type":"integer"}}`, `{"a":1}`, false},
		{`{"properties":{"a":{"type":"string"}},"additionalProperties":false}`, `{"a":"x","b":1}`, false},
		// More declared names than the object has keys: the map is ranged over.
		{`{"properties":{"p0":{"type":"string"},"p1":{"type":"string"},"p2":{"type":"string"},"p3":{"type":"string"},"p4":{"type":"string"},"p5":{"type":"string"},"p6":{"type":"string"},"p7":{"type":"string"},"p8":{"type":"string"},"p9":{"type":"string"}},"additionalProperties":false}`, `{"p1":"x"}`, true},
		{`{"properties":{"p0":{"type":"string"},"p1":{"type":"string"},"p2":{"type":"string"},"p3":{"type":"string"},"p4":{"type":"string"},"p5":{"type":"string"},"p6":{"type":"string"},"p7":{"type":"string"},"p8":{"type":"string"},"p9":{"type":"string"}},"additionalProperties":false}`, `{"p1":"x","q":1}`, false},
		{`{"properties":{"p0":{"type":"string"},"p1":{"type":"string"},"p2":{"type":"string"},"p3":{"type":"string"},"p4":{"type":"string"},"p5":{"type":"string"},"p6":{"type":"string"},"p7":{"type":"string"},"p8":{"type":"string"},"p9":{"type":"string"}},"additionalProperties":false}`, `{"p1":1}`, false},
		{`{"properties":{"p0":{"type":"string"},"p1":{"type":"string"},"p2":{"type":"string"},"p3":{"type":"string"},"p4":{"type":"string"},"p5":{"type":"string"},"p6":{"type":"string"},"p7":{"type":"string"},"p8":{"type":"string"},"p9":{"type":"string"}},"additionalProperties":{"type":"integer"}}`, `{"p1":"x","q":1}`, true},
		{`{"properties":{"p0":{"type":"string"},"p1":{"type":"string"},"p2":{"type":"string"},"p3":{"type":"string"},"p4":{"type":"string"},"p5":{"type":"string"},"p6":{"type":"string"},"p7":{"type":"string"},"p8":{"type":"string"},"p9":{"type":"string"}},"additionalProperties":{"type":"integer"}}`, `{"q":"s"}`, false},
		{`{"properties":{"p0":{"type":"string"},"p1":{"type":"string"},"p2":{"type":"string"},"p3":{"type":"string"},"p4":{"type":"string"},"p5":{"type":"string"},"p6":{"type":"string"},"p7":{"type":"string"},"p8":{"type":"string"},"p9":{"type":"string"}}}`, `{"q":"s","p9":"x"}`, true},
		{`{"minProperties":1,"maxProperties":2}`, `{"a":1}`, true},
		{`{"minProperties":1,"maxProperties":2}`, `{}`, false},
		{`{"minProperties":1,"maxProperties":2}`, `{"a":1,"b":2,"c":3}`, false},
		{`{"items":{"type":"string"},"minItems":1,"maxItems":2}`, `["a","b"]`, true},
		{`{"items":{"type":"string"},"minItems":1,"maxItems":2}`, `["a",1]`, false},
		{`{"items":{"type":"string"},"minItems":1,"maxItems":2}`, `[]`, false},
		{`{"prefixItems":[{"type":"integer"}],"items":{"type":"string"}}`, `[1,"a"]`, true},
		{`{"prefixItems":[{"type":"integer"}],"items":{"type":"string"}}`, `["a"]`, false},
		{`{"uniqueItems":true}`, `["a","b",true,null,false]`, true},
		{`{"uniqueItems":true}`, `["a","b","a"]`, false},
		{`{"uniqueItems":true}`, `[1,2]`, false}, // numbers: not known
		{`{"uniqueItems":true}`, `[` + strings.Repeat(`"x",`, 40) + `"y"]`, false},
		{`{"uniqueItems":true}`, `["a0","a1","a2","a3","a4","a5","a6","a7","a8","a9","b0","b1","b2","b3","b4","b5","b6","b7","b8","b9","c0","c1","c2","c3","c4","c5","c6","c7","c8","c9","d0","d1","d2","d3"]`, true},
		{`{"$defs":{"n":{"type":"integer"}},"$ref":"#/$defs/n","minimum":2}`, `3`, true},
		{`{"$defs":{"n":{"type":"integer"}},"$ref":"#/$defs/n","minimum":2}`, `1`, false},
		{`{"$defs":{"t":{"type":"object","properties":{"k":{"$ref":"#/$defs/t"}}}},"$ref":"#/$defs/t"}`, `{"k":{"k":{"k":{}}}}`, true},
		{`{"$defs":{"a":{"$ref":"#/$defs/b"},"b":{"$ref":"#/$defs/a"}},"$ref":"#/$defs/a"}`, `1`, false}, // in-place cycle
		{`{"anyOf":[{"type":"string"},{"$ref":"#"}]}`, `"a"`, false},                                     // the root is on a cycle
		{`{"allOf":[{"type":"integer"},{"minimum":0}]}`, `3`, true},
		{`{"allOf":[{"type":"integer"},{"minimum":0}]}`, `-3`, false},
		{`{"anyOf":[{"type":"integer"},{"type":"string"}]}`, `"a"`, true},
		{`{"anyOf":[{"type":"integer"},{"type":"string"}]}`, `null`, false},
		{`{"anyOf":[{"not":{}},{"type":"string"}]}`, `"a"`, true}, // an unsupported branch, another valid
		{`{"oneOf":[{"type":"integer"},{"type":"string"}]}`, `"a"`, false},
		{`{"not":{"type":"string"}}`, `1`, false},
		{`{"properties":{"a":{"not":{}}}}`, `{"b":1}`, true}, // the unsupported node is not reached
		{`{"properties":{"a":{"not":{}}}}`, `{"a":1}`, false},
		{`{"patternProperties":{"^x":{}}}`, `{}`, false},
		{`{"unevaluatedProperties":false}`, `{}`, false},
		{`{"$schema":"http://json-schema.org/draft-07/schema#","type":"integer"}`, `1`, false},
		{`{"properties":{"a":true,"b":false}}`, `{"a":1}`, true},
		{`{"properties":{"a":true,"b":false}}`, `{"b":1}`, false},
	} {
		t.Run(tc.schema+" "+tc.value, func(t *testing.T) {
			s := fastCompile(t, tc.schema)
			v := decodeJSON(t, tc.value)
			if got := checkFast(t, s, v); got != tc.fast {
				t.Errorf("fast path says %v, want %v", got, tc.fast)
			}
		})
	}
}

// TestFastGoTypes shows that values of Go types a decoder never gives
// are left to the library.
func TestFastGoTypes(t *testing.T) {
	// {} compiles to the boolean schema true, which the library applies
	// before it looks at the value; a keyword makes it look.
	s := fastCompile(t, `{"minLength":0}`)
	for _, v := range []any{1, int64(1), 1.5, float32(1), []string{"a"}, map[string]string{}, struct{}{}} {
		if FastValid(s, v) {
			t.Errorf("fast path accepts %T", v)
		}
	}
	// Nested, a foreign value is looked at only where a schema applies to
	// it, as the library does.
	s = fastCompile(t, `{"additionalProperties":{"minLength":0},"items":{"minLength":0}}`)
	if FastValid(s, map[string]any{"a": 1.5}) || FastValid(s, []any{int64(1)}) {
		t.Error("fast path accepts a nested value of a foreign type")
	}
	if !checkFast(t, s, map[string]any{"a": "x"}) {
		t.Error("fast path does not decide a plain object")
	}
}

// TestFastNoAllocs holds the valid path free of allocation.
func TestFastNoAllocs(t *testing.T) {
	s := fastCompile(t, hostileSchema(t))
	v := decodeJSON(t, `{"name":"widget","price":12.5,"tags":["a","b","日本"]}`)
	if !FastValid(s, v) {
		t.Fatal("the fast path does not decide the body")
	}
	n := fastFor(s)
	if a := testing.AllocsPerRun(100, func() { n.valid(v, 0) }); a != 0 {
		t.Errorf("fast path allocates %v times per value, want 0", a)
	}
}

func hostileSchema(tb testing.TB) string {
	b, err := os.ReadFile(filepath.Join("..", "..", "validate", "testdata", "hostile", "schema.json"))
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}

// diffSchemas are schemas for the differential tests: validate's
// testdata schema, and edges the generator can aim at.
func diffSchemas(tb testing.TB) []*jsonschema.Schema {
	srcs := []string{
		hostileSchema(tb),
		`{"type":"object","properties":{"id":{"type":"integer","format":"int64","minimum":1},"n":{"type":"number","exclusiveMaximum":100},"m":{"type":"integer","multipleOf":5}}}`,
		`{"type":"array","items":{"type":"string","enum":["a","b",1,null]},"uniqueItems":true,"maxItems":3}`,
		`{"$defs":{"node":{"type":"object","required":["v"],"properties":{"v":{"type":"integer"},"kids":{"type":"array","items":{"$ref":"#/$defs/node"}}},"additionalProperties":false}},"$ref":"#/$defs/node"}`,
		`{"allOf":[{"type":"object","properties":{"a":{"type":"string","maxLength":3}}},{"required":["a"]}],"anyOf":[{"properties":{"a":{"const":"x"}}},{"minProperties":2}]}`,
		`{"type":["string","null"],"minLength":2,"pattern":"^[a-zé日]+$"}`,
		`{"additionalProperties":{"type":"boolean"},"properties":{"s":{"type":"string","format":"date-time"}}}`,
		`{"prefixItems":[{"type":"integer","maximum":0},{"type":"boolean"}],"items":false}`,
		`{"type":"integer","minimum":-9223372036854775808,"maximum":9223372036854775807}`,
		`{"oneOf":[{"type":"integer"},{"type":"string"}]}`,
	}
	out := make([]*jsonschema.Schema, len(srcs))
	for i, src := range srcs {
		out[i] = fastCompile(tb, src)
	}
	return out
}

// TestFastDifferential generates values for each schema and mutations of
// them, and holds the promise on every value against every schema. It
// reports how often the fast path decides the library's valid values.
func TestFastDifferential(t *testing.T) {
	schemas := diffSchemas(t)
	rng := rand.New(rand.NewPCG(15, 1))
	var values []any
	for _, s := range schemas {
		for range 200 {
			v := schemagen.Value(s, rng)
			values = append(values, v)
			for m := v; len(values)%7 != 0; {
				m = schemagen.Mutate(m, rng)
				values = append(values, m)
			}
		}
	}
	// The hostile corpus of validate, as bodies.
	files, _ := filepath.Glob(filepath.Join("..", "..", "validate", "testdata", "hostile", "*.json"))
	lim, _ := CheckLimits(Limits{}, nil)
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if NewScanner(lim, nil).Scan(b) == nil {
			values = append(values, DecodeScanned(b, nil))
		}
	}
	var valid, decided int
	for _, s := range schemas {
		for _, v := range values {
			fast := checkFast(t, s, v)
			if s.Validate(v) == nil {
				valid++
				if fast {
					decided++
				}
			}
		}
	}
	t.Logf("%d values × %d schemas: the library accepts %d, the fast path decides %d of them (%.0f%%)",
		len(values), len(schemas), valid, decided, 100*float64(decided)/float64(max(valid, 1)))
	if decided < valid/2 {
		t.Errorf("the fast path decides %d of %d valid values, want at least half", decided, valid)
	}
}

// FuzzFastPath holds the promise on random JSON against a set of schemas.
func FuzzFastPath(f *testing.F) {
	for _, s := range []string{`{"name":"a","price":1}`, `{"name":"é","price":0.5,"tags":["x","y"]}`, `[1,"a",null]`,
		`{"id":12,"n":99.99,"m":15}`, `{"v":1,"kids":[{"v":2}]}`, `["a","b"]`, `{"a":"x"}`, `"2024-01-01T00:00:00Z"`,
		`[-1,true]`, `-0`, `1.0`, `1e2`, `123456789012345678`, `{"s":"x","b":true}`} {
		f.Add([]byte(s))
	}
	schemas := diffSchemas(f)
	lim, err := CheckLimits(Limits{}, nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if NewScanner(lim, nil).Scan(data) != nil {
			return
		}
		v := DecodeScanned(data, nil)
		for _, s := range schemas {
			checkFast(t, s, v)
		}
	})
}

// TestValidateUsesFastPath shows Validate's answers unchanged: nil for
// a value the fast path decides, the library's problem for one it
// refuses.
func TestValidateUsesFastPath(t *testing.T) {
	s := fastCompile(t, hostileSchema(t))
	good := decodeJSON(t, `{"name":"w","price":3}`)
	if err := Validate(s, good, "body", "", 10, nil); err != nil {
		t.Fatalf("Validate refuses a valid body: %v", err)
	}
	bad := decodeJSON(t, `{"name":"","price":-1,"x":1}`)
	err := Validate(s, bad, "body", "", 10, nil)
	p := AsProblem(err)
	if err == nil || p.Status != 422 || len(p.Errors) != 3 {
		t.Fatalf("Validate = %v, want 422 with three field errors", err)
	}
	var got []string
	for _, e := range p.Errors {
		got = append(got, fmt.Sprintf("%s %s", e.Pointer, e.Keyword))
	}
	want := []string{"/name minLength", "/price minimum", "/x additionalProperties"}
	if !slices.Equal(got, want) {
		t.Errorf("field errors %q, want %q", got, want)
	}
}

// TestFastCacheReleases shows that the cache does not keep a schema
// alive: once the schema is collected, its entry leaves.
func TestFastCacheReleases(t *testing.T) {
	wp := func() weak.Pointer[jsonschema.Schema] {
		s := fastCompile(t, `{"type":"string","maxLength":3}`)
		if !FastValid(s, "abc") {
			t.Fatal("the fast path does not decide a short string")
		}
		return weak.Make(s)
	}()
	for range 100 {
		runtime.GC()
		if _, ok := fastCache.Load(wp); !ok && wp.Value() == nil {
			return
		}
		runtime.Gosched()
	}
	t.Fatal("the cache still holds a schema nothing else references")
}
