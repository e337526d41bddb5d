package oasparam

import (
	"errors"
	"net/http"
	"strings"
	"testing"
)

func TestCheckRefuses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		p    Param
		want string // a fragment of the message
	}{
		{"no location", Param{Name: "a"}, `parameter "a": unknown location`},
		{"no name", Param{In: InQuery}, "the name is empty"},
		{"optional path", Param{Name: "id", In: InPath}, `path parameter "id": a path parameter must be required`},
		{"form in path", Param{Name: "id", In: InPath, Style: StyleForm, Required: true}, "style form"},
		{"deepObject in path", Param{Name: "id", In: InPath, Style: StyleDeepObject, Shape: ShapeObject, Required: true}, "style deepObject"},
		{"label in query", Param{Name: "q", In: InQuery, Style: StyleLabel}, "style label"},
		{"matrix in header", Param{Name: "h", In: InHeader, Style: StyleMatrix}, "style matrix"},
		{"form in header", Param{Name: "h", In: InHeader, Style: StyleForm}, "style form"},
		{"simple in cookie", Param{Name: "c", In: InCookie, Style: StyleSimple}, "style simple"},
		{"simple in query", Param{Name: "q", In: InQuery, Style: StyleSimple}, "style simple"},
		{"deepObject array", Param{Name: "q", In: InQuery, Style: StyleDeepObject, Shape: ShapeArray}, "style deepObject (explode false) is not defined for array parameters in query"},
		{"deepObject primitive", Param{Name: "q", In: InQuery, Style: StyleDeepObject}, "style deepObject"},
		{"spaceDelimited primitive", Param{Name: "q", In: InQuery, Style: StyleSpaceDelimited}, "style spaceDelimited"},
		{"pipeDelimited exploded object", Param{Name: "q", In: InQuery, Style: StylePipeDelimited, Explode: &explodeTrue, Shape: ShapeObject}, "style pipeDelimited (explode true)"},
		{"exploded form object without properties", Param{Name: "q", In: InQuery, Shape: ShapeObject}, "needs its property names"},
		{"exploded cookie object without properties", Param{Name: "c", In: InCookie, Shape: ShapeObject}, "needs its property names"},
		{"bracket in a deepObject property", Param{Name: "q", In: InQuery, Style: StyleDeepObject, Shape: ShapeObject, PropTypes: map[string]Type{"a[b]": TypeString}}, `property name "a[b]"`},
		{"unknown style", Param{Name: "q", In: InQuery, Style: 99}, "unknown style"},
		{"unknown shape", Param{Name: "q", In: InQuery, Shape: 9}, "unknown shape"},
		{"unknown type", Param{Name: "q", In: InQuery, Type: 9}, "unknown type"},
		{"unknown property type", Param{Name: "q", In: InQuery, Shape: ShapeObject, Explode: &explodeFalse, PropTypes: map[string]Type{"a": 9}}, `property "a" has an unknown type`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.p.Check()
			if !errors.Is(err, ErrInvalidConfig) {
				t.Fatalf("Check(%+v): got %v, want ErrInvalidConfig", tt.p, err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Check: got %q, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestCheckAccepts(t *testing.T) {
	t.Parallel()
	for _, p := range []Param{
		{Name: "id", In: InPath, Required: true},
		{Name: "id", In: InPath, Style: StyleLabel, Shape: ShapeArray, Required: true},
		{Name: "id", In: InPath, Style: StyleMatrix, Shape: ShapeObject, Explode: &explodeTrue, Required: true},
		{Name: "q", In: InQuery},
		{Name: "q", In: InQuery, Style: StyleSpaceDelimited, Shape: ShapeArray, Explode: &explodeTrue},
		{Name: "q", In: InQuery, Style: StylePipeDelimited, Shape: ShapeObject},
		{Name: "q", In: InQuery, Style: StyleDeepObject, Shape: ShapeObject},                        // explode false: common in documents, same encoding
		{Name: "q", In: InQuery, Style: StyleDeepObject, Shape: ShapeObject, Explode: &explodeTrue}, // as the table has it
		{Name: "X-Trace", In: InHeader, Shape: ShapeArray},
		{Name: "session", In: InCookie, Type: TypeBoolean},
	} {
		if err := p.Check(); err != nil {
			t.Errorf("Check(%+v): %v", p, err)
		}
	}
}

func TestCompileRefuses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		params []Param
	}{
		{"same name twice", []Param{{Name: "a", In: InQuery}, {Name: "a", In: InQuery, Type: TypeInteger}}},
		{"same header in other case", []Param{{Name: "x-a", In: InHeader}, {Name: "X-A", In: InHeader}}},
		{"exploded object property is another parameter", []Param{{Name: "a", In: InQuery}, {Name: "o", In: InQuery, Shape: ShapeObject, PropTypes: map[string]Type{"a": TypeString}}}},
		{"cookie property is another cookie", []Param{{Name: "a", In: InCookie}, {Name: "o", In: InCookie, Shape: ShapeObject, PropTypes: map[string]Type{"a": TypeString}}}},
		{"key looks like a deepObject property", []Param{{Name: "f[a]", In: InQuery}, {Name: "f", In: InQuery, Style: StyleDeepObject, Shape: ShapeObject}}},
		{"invalid parameter", []Param{{Name: "a", In: InQuery}, {Name: "b", In: InPath}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := Compile(tt.params, Limits{}); !errors.Is(err, ErrInvalidConfig) {
				t.Errorf("Compile: got %v, want ErrInvalidConfig", err)
			}
		})
	}
}

func TestAbsentOptional(t *testing.T) {
	t.Parallel()
	ps, err := Compile([]Param{
		{Name: "limit", In: InQuery, Type: TypeInteger},
		{Name: "f", In: InQuery, Style: StyleDeepObject, Shape: ShapeObject},
		{Name: "X-Id", In: InHeader},
		{Name: "sid", In: InCookie},
		{Name: "Authorization", In: InHeader, Required: true}, // ignored, as the specification says
	}, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	q, err := ps.Query("other=1")
	if err != nil || len(q) != 0 {
		t.Errorf("Query: got %v, %v; want no entries", q, err)
	}
	h, err := ps.Header(http.Header{})
	if err != nil || len(h) != 0 {
		t.Errorf("Header: got %v, %v; want no entries", h, err)
	}
	c, err := ps.Cookie(http.Header{"Cookie": {"other=1"}})
	if err != nil || len(c) != 0 {
		t.Errorf("Cookie: got %v, %v; want no entries", c, err)
	}
}

func TestSeveralParameters(t *testing.T) {
	t.Parallel()
	ps, err := Compile([]Param{
		{Name: "id", In: InPath, Type: TypeInteger, Required: true},
		{Name: "tags", In: InQuery, Shape: ShapeArray},
		{Name: "page", In: InQuery, Shape: ShapeObject, Style: StyleDeepObject, PropTypes: map[string]Type{"size": TypeInteger}},
		{Name: "x-dry-run", In: InHeader, Type: TypeBoolean, Required: true},
		{Name: "theme", In: InCookie, Shape: ShapeArray, Explode: &explodeFalse},
	}, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	p, err := ps.Path(func(name string) (string, bool) { return "42", name == "id" })
	if err != nil || p["id"] != jsonNumber("42") {
		t.Errorf("Path: got %v, %v", p, err)
	}
	q, err := ps.Query("tags=a&page[size]=10&tags=b")
	if err != nil || len(q["tags"].([]any)) != 2 || q["page"].(map[string]any)["size"] != jsonNumber("10") {
		t.Errorf("Query: got %v, %v", q, err)
	}
	h, err := ps.Header(http.Header{"X-Dry-Run": {"true"}})
	if err != nil || h["x-dry-run"] != true {
		t.Errorf("Header: got %v, %v", h, err)
	}
	c, err := ps.Cookie(http.Header{"Cookie": {"a=1; theme=dark,wide", "b=2"}})
	if err != nil || len(c["theme"].([]any)) != 2 {
		t.Errorf("Cookie: got %v, %v", c, err)
	}
}

// TestCookieNamesAsNetHTTP reads cookies whose names have blanks around
// them. net/http trims them, so r.Cookie("sid") finds the cookie: the
// decoder must find it too, or its value reaches the handler unchecked.
func TestCookieNamesAsNetHTTP(t *testing.T) {
	t.Parallel()
	ps, err := Compile([]Param{{Name: "sid", In: InCookie, Type: TypeInteger}}, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{"sid=7", "sid =7", "sid\t=7", " sid=7", "a=1;  sid \t=7"} {
		r := &http.Request{Header: http.Header{"Cookie": {line}}}
		c, err := r.Cookie("sid")
		if err != nil || c.Value != "7" {
			t.Fatalf("net/http reads %q as %v, %v; the test expects sid=7", line, c, err)
		}
		got, err := ps.Cookie(r.Header)
		if err != nil || got["sid"] != jsonNumber("7") {
			t.Errorf("Cookie(%q) = %v, %v; want sid 7, as net/http reads it", line, got, err)
		}
	}
}
