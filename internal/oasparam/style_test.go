package oasparam

import (
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"testing"
)

var (
	explodeTrue  = true
	explodeFalse = false
	colorProps   = map[string]Type{"R": TypeInteger, "G": TypeInteger, "B": TypeInteger}
	colorObject  = map[string]any{"R": json.Number("100"), "G": json.Number("200"), "B": json.Number("150")}
	colorArray   = []any{"blue", "black", "brown"}
)

// decodeOne decodes the single parameter p from wire, which is a path
// segment, a query string, a header value or a Cookie header.
func decodeOne(t testing.TB, p Param, wire string) (any, bool, error) {
	t.Helper()
	ps, err := Compile([]Param{p}, Limits{})
	if err != nil {
		t.Fatalf("Compile(%+v): %v", p, err)
	}
	var out map[string]any
	switch p.In {
	case InPath:
		out, err = ps.Path(func(name string) (string, bool) { return wire, name == p.Name })
	case InQuery:
		out, err = ps.Query(wire)
	case InHeader:
		out, err = ps.Header(http.Header{http.CanonicalHeaderKey(p.Name): {wire}})
	case InCookie:
		out, err = ps.Cookie(http.Header{"Cookie": {wire}})
	}
	if err != nil {
		return nil, false, err
	}
	v, ok := out[p.Name]
	return v, ok, nil
}

// TestStyleExamples is the "Style Examples" table of OAS 3.1.0
// §4.8.12.4.2, every cell that is not n/a: color as "" (empty), "blue",
// ["blue","black","brown"] and {"R":100,"G":200,"B":150}.
func TestStyleExamples(t *testing.T) {
	t.Parallel()
	type cell struct {
		shape Shape
		wire  string
		want  any
	}
	rows := []struct {
		style   Style
		in      In
		explode *bool
		cells   []cell
	}{
		{StyleMatrix, InPath, &explodeFalse, []cell{
			{ShapePrimitive, ";color", ""},
			{ShapePrimitive, ";color=blue", "blue"},
			{ShapeArray, ";color=blue,black,brown", colorArray},
			{ShapeObject, ";color=R,100,G,200,B,150", colorObject},
		}},
		{StyleMatrix, InPath, &explodeTrue, []cell{
			{ShapePrimitive, ";color", ""},
			{ShapePrimitive, ";color=blue", "blue"},
			{ShapeArray, ";color=blue;color=black;color=brown", colorArray},
			{ShapeObject, ";R=100;G=200;B=150", colorObject},
		}},
		{StyleLabel, InPath, &explodeFalse, []cell{
			{ShapePrimitive, ".", ""},
			{ShapePrimitive, ".blue", "blue"},
			{ShapeArray, ".blue,black,brown", colorArray},
			{ShapeObject, ".R,100,G,200,B,150", colorObject},
		}},
		{StyleLabel, InPath, &explodeTrue, []cell{
			{ShapePrimitive, ".", ""},
			{ShapePrimitive, ".blue", "blue"},
			{ShapeArray, ".blue.black.brown", colorArray},
			{ShapeObject, ".R=100.G=200.B=150", colorObject},
		}},
		{StyleForm, InQuery, &explodeFalse, []cell{
			{ShapePrimitive, "color=", ""},
			{ShapePrimitive, "color=blue", "blue"},
			{ShapeArray, "color=blue,black,brown", colorArray},
			{ShapeObject, "color=R,100,G,200,B,150", colorObject},
		}},
		{StyleForm, InQuery, &explodeTrue, []cell{
			{ShapePrimitive, "color=", ""},
			{ShapePrimitive, "color=blue", "blue"},
			{ShapeArray, "color=blue&color=black&color=brown", colorArray},
			{ShapeObject, "R=100&G=200&B=150", colorObject},
		}},
		{StyleSimple, InPath, &explodeFalse, []cell{
			{ShapePrimitive, "blue", "blue"},
			{ShapeArray, "blue,black,brown", colorArray},
			{ShapeObject, "R,100,G,200,B,150", colorObject},
		}},
		{StyleSimple, InPath, &explodeTrue, []cell{
			{ShapePrimitive, "blue", "blue"},
			{ShapeArray, "blue,black,brown", colorArray},
			{ShapeObject, "R=100,G=200,B=150", colorObject},
		}},
		{StyleSimple, InHeader, &explodeFalse, []cell{
			{ShapePrimitive, "blue", "blue"},
			{ShapeArray, "blue,black,brown", colorArray},
			{ShapeObject, "R,100,G,200,B,150", colorObject},
		}},
		{StyleSimple, InHeader, &explodeTrue, []cell{
			{ShapeArray, "blue, black, brown", colorArray},
			{ShapeObject, "R=100, G=200, B=150", colorObject},
		}},
		{StyleSpaceDelimited, InQuery, &explodeFalse, []cell{
			{ShapeArray, "color=blue%20black%20brown", colorArray},
			{ShapeObject, "color=R%20100%20G%20200%20B%20150", colorObject},
		}},
		{StylePipeDelimited, InQuery, &explodeFalse, []cell{
			{ShapeArray, "color=blue|black|brown", colorArray},
			{ShapeObject, "color=R|100|G|200|B|150", colorObject},
		}},
		{StyleDeepObject, InQuery, &explodeTrue, []cell{
			{ShapeObject, "color[R]=100&color[G]=200&color[B]=150", colorObject},
		}},
		{StyleForm, InCookie, &explodeFalse, []cell{
			{ShapePrimitive, "color=blue", "blue"},
			{ShapeArray, "color=blue,black,brown", colorArray},
			{ShapeObject, "color=R,100,G,200,B,150", colorObject},
		}},
	}
	for _, row := range rows {
		for _, c := range row.cells {
			name := row.in.String() + "/" + row.style.String() + "/" + c.shape.String() + "/" + c.wire
			if *row.explode {
				name += "/explode"
			}
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				p := Param{Name: "color", In: row.in, Style: row.style, Explode: row.explode, Shape: c.shape, Required: true}
				if c.shape == ShapeObject {
					p.PropTypes = colorProps
				}
				got, ok, err := decodeOne(t, p, c.wire)
				if err != nil || !ok {
					t.Fatalf("decode %q: got (%v, present %t, %v), want %v", c.wire, got, ok, err, c.want)
				}
				if !reflect.DeepEqual(got, c.want) {
					t.Errorf("decode %q: got %#v, want %#v", c.wire, got, c.want)
				}
			})
		}
	}
}

// TestAmbiguous pins the decisions on inputs the specification leaves
// open.
func TestAmbiguous(t *testing.T) {
	t.Parallel()
	arr := func(in In, style Style, explode *bool) Param {
		return Param{Name: "color", In: in, Style: style, Explode: explode, Shape: ShapeArray, Required: true}
	}
	prim := func(in In, style Style) Param {
		return Param{Name: "color", In: in, Style: style, Required: true}
	}
	tests := []struct {
		name string
		p    Param
		wire string
		want any
	}{
		{"matrix empty array", arr(InPath, StyleMatrix, &explodeFalse), ";color", []any{}},
		{"matrix empty array with equals", arr(InPath, StyleMatrix, &explodeFalse), ";color=", []any{}},
		{"matrix exploded empty array", arr(InPath, StyleMatrix, &explodeTrue), ";color", []any{}},
		{"form empty array", arr(InQuery, StyleForm, &explodeFalse), "color=", []any{}},
		{"form exploded one empty item", arr(InQuery, StyleForm, nil), "color=", []any{""}},
		{"form empty items kept", arr(InQuery, StyleForm, &explodeFalse), "color=a,,b", []any{"a", "", "b"}},
		{"form key without equals is empty", prim(InQuery, StyleForm), "color", ""},
		{"encoded comma inside an item", arr(InQuery, StyleForm, &explodeFalse), "color=a%2Cb,c", []any{"a,b", "c"}},
		{"encoded comma inside a path item", arr(InPath, StyleSimple, nil), "a%2Cb,c", []any{"a,b", "c"}},
		{"comma in a primitive", prim(InQuery, StyleForm), "color=a,b", "a,b"},
		{"plus is a space in a query", prim(InQuery, StyleForm), "color=a+b", "a b"},
		{"percent-20 is a space in a query", prim(InQuery, StyleForm), "color=a%20b", "a b"},
		{"encoded plus is a plus", prim(InQuery, StyleForm), "color=a%2Bb", "a+b"},
		{"plus in a key", prim(InQuery, StyleForm), "col%6Fr=x", "x"},
		{"plus stays a plus in a path", prim(InPath, StyleSimple), "a+b", "a+b"},
		{"plus stays a plus in a cookie", prim(InCookie, StyleForm), "color=a+b", "a+b"},
		{"quoted cookie", prim(InCookie, StyleForm), `color="blue"`, "blue"},
		{"space delimited with plus", arr(InQuery, StyleSpaceDelimited, nil), "color=a+b", []any{"a", "b"}},
		{"pipe delimited encoded", arr(InQuery, StylePipeDelimited, nil), "color=a%7Cb", []any{"a", "b"}},
		{"space delimited exploded", arr(InQuery, StyleSpaceDelimited, &explodeTrue), "color=a&color=b", []any{"a", "b"}},
		{"other keys skipped", prim(InQuery, StyleForm), "x=1&color=blue&y[z]=2", "blue"},
		{"empty pairs skipped", prim(InQuery, StyleForm), "&&color=blue&", "blue"},
		{"header trims list spaces", arr(InHeader, StyleSimple, nil), " a , b ", []any{"a", "b"}},
		{"header primitive keeps commas", prim(InHeader, StyleSimple), "a, b", "a, b"},
		{"label encoded dot in item", arr(InPath, StyleLabel, &explodeTrue), ".a%2Eb.c", []any{"a.b", "c"}},
		{"deepObject undeclared property is a string", Param{Name: "f", In: InQuery, Style: StyleDeepObject, Shape: ShapeObject, PropTypes: colorProps, Required: true}, "f[R]=1&f[x]=1", map[string]any{"R": json.Number("1"), "x": "1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, ok, err := decodeOne(t, tt.p, tt.wire)
			if err != nil || !ok {
				t.Fatalf("decode %q: got (%v, present %t, %v), want %#v", tt.wire, got, ok, err, tt.want)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("decode %q: got %#v, want %#v", tt.wire, got, tt.want)
			}
		})
	}
}

// TestRefused shows each malformed or oversized input refused with the
// kind of error and a detail that names the parameter.
func TestRefused(t *testing.T) {
	t.Parallel()
	intParam := func(in In) Param { return Param{Name: "n", In: in, Type: TypeInteger, Required: true} }
	obj := func(in In, style Style) Param {
		return Param{Name: "color", In: in, Style: style, Shape: ShapeObject, PropTypes: colorProps, Required: true}
	}
	tests := []struct {
		name   string
		p      Param
		wire   string
		kind   error
		detail string
	}{
		{"not an integer", intParam(InQuery), "n=abc", ErrMalformed, `query parameter "n" must be an integer`},
		{"integer with a fraction", intParam(InQuery), "n=1.0", ErrMalformed, `query parameter "n" must be an integer`},
		{"integer with a plus", intParam(InQuery), "n=%2B1", ErrMalformed, `query parameter "n" must be an integer`},
		{"integer leading zero", intParam(InPath), "007", ErrMalformed, `path parameter "n" must be an integer`},
		{"integer out of range", intParam(InHeader), "9223372036854775808", ErrMalformed, `header parameter "n" must be an integer between -9223372036854775808 and 9223372036854775807`},
		{"number huge exponent", Param{Name: "x", In: InQuery, Type: TypeNumber}, "x=1e999999", ErrMalformed, `query parameter "x" must be a number`},
		{"number NaN", Param{Name: "x", In: InQuery, Type: TypeNumber}, "x=NaN", ErrMalformed, `query parameter "x" must be a number`},
		{"boolean", Param{Name: "b", In: InCookie, Type: TypeBoolean}, "b=yes", ErrMalformed, `cookie parameter "b" must be "true" or "false"`},
		{"array item", Param{Name: "ids", In: InQuery, Shape: ShapeArray, Explode: &explodeFalse, ItemType: TypeInteger}, "ids=1,x", ErrMalformed, `query parameter "ids" item 2 must be an integer`},
		{"object property", obj(InQuery, StyleDeepObject), "color[R]=red", ErrMalformed, `query parameter "color" property "R" must be an integer`},
		{"repeated primitive", intParam(InQuery), "n=1&n=2", ErrMalformed, `query parameter "n" must be sent once`},
		{"repeated header", intParam(InHeader), "", ErrMalformed, `header parameter "n" must be sent once`},
		{"missing", intParam(InQuery), "m=1", ErrMissing, `query parameter "n" is missing`},
		{"missing header", intParam(InHeader), "-", ErrMissing, `header parameter "n" is missing`},
		{"bad escape", Param{Name: "s", In: InQuery}, "s=%zz", ErrMalformed, `query parameter "s" is not correctly percent-encoded text`},
		{"invalid utf-8", Param{Name: "s", In: InQuery}, "s=%ff", ErrMalformed, `query parameter "s" is not correctly percent-encoded text`},
		{"bad key escape", Param{Name: "s", In: InQuery}, "s%=1", ErrMalformed, `the query string is not correctly percent-encoded`},
		{"exploded object absent", obj(InQuery, StyleForm), "x=1", ErrMissing, `query parameter "color" is missing`},
		{"pairs odd count", Param{Name: "color", In: InPath, Shape: ShapeObject, Required: true}, "R,100,G", ErrMalformed, `path parameter "color" must be a list of property names and values`},
		{"duplicate property", Param{Name: "color", In: InPath, Shape: ShapeObject, Required: true}, "R,1,R,2", ErrMalformed, `path parameter "color" has a property more than once`},
		{"duplicate deep property", obj(InQuery, StyleDeepObject), "color[R]=1&color[R]=2", ErrMalformed, `query parameter "color" has a property more than once`},
		{"nested deepObject", obj(InQuery, StyleDeepObject), "color[R][x]=1", ErrMalformed, `query parameter "color" must be written color[property]=value`},
		{"label without dot", Param{Name: "c", In: InPath, Style: StyleLabel, Required: true}, "blue", ErrMalformed, `path parameter "c" must start with '.'`},
		{"matrix wrong name", Param{Name: "c", In: InPath, Style: StyleMatrix, Required: true}, ";d=1", ErrMalformed, `path parameter "c" must be written ;c=value`},
		{"matrix name prefix", Param{Name: "c", In: InPath, Style: StyleMatrix, Required: true}, ";cc=1", ErrMalformed, `path parameter "c" must be written ;c=value`},
		{"assignment without equals", Param{Name: "c", In: InPath, Shape: ShapeObject, Explode: &explodeTrue, Required: true}, "R,1", ErrMalformed, `path parameter "c" must be a list of name=value properties`},
		{"header control character", Param{Name: "h", In: InHeader}, "a\x01b", ErrMalformed, `header parameter "h" is not valid text`},
		{"too many pairs", Param{Name: "s", In: InQuery}, repeatString("a=1&", 200), ErrLimit, `the query string has too many parameters`},
		{"too many items", Param{Name: "s", In: InQuery, Shape: ShapeArray, Explode: &explodeFalse}, "s=" + repeatString("a,", 200), ErrLimit, `query parameter "s" has more than 128 items`},
		{"value too long", Param{Name: "s", In: InQuery}, "s=" + repeatString("a", 5000), ErrLimit, `query parameter "s" is longer than 4096 bytes`},
		{"key too long", Param{Name: "s", In: InQuery}, repeatString("a", 300) + "=1", ErrLimit, `the query string has a parameter name that is too long`},
		{"path too long", Param{Name: "s", In: InPath, Required: true}, repeatString("a", 5000), ErrLimit, `path parameter "s" is longer than 4096 bytes`},
		{"too many cookies", Param{Name: "s", In: InCookie}, repeatString("a=1; ", 200), ErrLimit, `the Cookie header has too many cookies`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ps, err := Compile([]Param{tt.p}, Limits{})
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case tt.name == "repeated header":
				_, err = ps.Header(http.Header{"N": {"1", "2"}})
			case tt.name == "missing header":
				_, err = ps.Header(http.Header{})
			case tt.p.In == InPath:
				_, err = ps.Path(func(string) (string, bool) { return tt.wire, true })
			case tt.p.In == InQuery:
				_, err = ps.Query(tt.wire)
			case tt.p.In == InHeader:
				_, err = ps.Header(http.Header{http.CanonicalHeaderKey(tt.p.Name): {tt.wire}})
			case tt.p.In == InCookie:
				_, err = ps.Cookie(http.Header{"Cookie": {tt.wire}})
			}
			if !errors.Is(err, tt.kind) {
				t.Fatalf("decode %.40q: got %v, want %v", tt.wire, err, tt.kind)
			}
			var perr *Error
			if !errors.As(err, &perr) {
				t.Fatalf("got %T, want *Error", err)
			}
			if tt.detail != "" && perr.Detail != tt.detail {
				t.Errorf("detail: got %q, want %q", perr.Detail, tt.detail)
			}
		})
	}
}

func repeatString(s string, n int) string {
	b := make([]byte, 0, len(s)*n)
	for range n {
		b = append(b, s...)
	}
	return string(b)
}

func jsonNumber(s string) json.Number { return json.Number(s) }
