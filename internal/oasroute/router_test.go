package oasroute

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// petstore is a set of operations exercising every kind of segment.
var petstore = []Operation{
	{"GET", "/pets"},                               // 0
	{"POST", "/pets"},                              // 1
	{"GET", "/pets/{petId}"},                       // 2
	{"DELETE", "/pets/{petId}"},                    // 3
	{"GET", "/pets/mine"},                          // 4
	{"GET", "/pets/{petId}/toys/{toyId}"},          // 5
	{"GET", "/pets/mine/toys"},                     // 6
	{"GET", "/reports/{name}.{format}"},            // 7
	{"GET", "/reports/{name}"},                     // 8
	{"GET", "/reports/latest.json"},                // 9
	{"PUT", "/users/{uid}/keys/{kid}"},             // 10
	{"GET", "/users/{uid}/keys/{kid}"},             // 11
	{"GET", "/a/{b}"},                              // 12
	{"GET", "/{c}/d"},                              // 13
	{"GET", "/items"},                              // 14
	{"GET", "/items/"},                             // 15
	{"GET", "/"},                                   // 16
	{"GET", "/files/v{version}-{name}.tar.gz"},     // 17
	{"GET", "/orgs/{org}/projects/{project}"},      // 18
	{"GET", "/orgs/{org}/projects/{project}/x"},    // 19
	{"GET", "/orgs/{org}/projects/special/x/y"},    // 20
	{"GET", "/caf%C3%A9"},                          // 21
	{"GET", "/things/{id}"},                        // 22
	{"GET", "/things/{thingId}/parts/{partId}"},    // 23
	{"POST", "/things/{thingId}/parts/{partId}"},   // 24
	{"patch", "/lower"},                            // 25
	{"GET", "/sub/{a}/{b}"},                        // 26
	{"GET", "/sub/{a}/fixed"},                      // 27
	{"M-SEARCH", "/ssdp"},                          // 28
	{"GET", "/pets/mine/toys/{toyId}/photo.{ext}"}, // 29
}

func TestFind(t *testing.T) {
	t.Parallel()
	rt, err := New([]string{"/v1", "/v1/beta", ""}, petstore)
	if err != nil {
		t.Fatal(err)
	}
	type P = []Param
	for _, tc := range []struct {
		name   string
		method string
		path   string
		op     int
		params P
		allow  []string
	}{
		{"literal", "GET", "/v1/pets", 0, P{}, nil},
		{"second method", "POST", "/v1/pets", 1, P{}, nil},
		{"param", "GET", "/v1/pets/7", 2, P{{"petId", "7"}}, nil},
		{"concrete before templated", "GET", "/v1/pets/mine", 4, P{}, nil},
		{"405 on the concrete path, not a fall back to the template", "DELETE", "/v1/pets/mine", -1, nil, []string{"GET"}},
		{"405 allow sorted", "PATCH", "/v1/pets/7", -1, nil, []string{"DELETE", "GET"}},
		{"two params", "GET", "/v1/pets/7/toys/9", 5, P{{"petId", "7"}, {"toyId", "9"}}, nil},
		{"literal branch falls back to param", "GET", "/v1/pets/mine/toys/9", 5, P{{"petId", "mine"}, {"toyId", "9"}}, nil},
		{"literal branch deeper", "GET", "/v1/pets/mine/toys", 6, P{}, nil},
		{"literal deep with mixed", "GET", "/v1/pets/mine/toys/3/photo.png", 29, P{{"toyId", "3"}, {"ext", "png"}}, nil},
		{"mixed", "GET", "/v1/reports/q3.csv", 7, P{{"name", "q3"}, {"format", "csv"}}, nil},
		{"mixed shortest first", "GET", "/v1/reports/a.tar.gz", 7, P{{"name", "a"}, {"format", "tar.gz"}}, nil},
		{"mixed before pure param", "GET", "/v1/reports/q3", 8, P{{"name", "q3"}}, nil},
		{"mixed needs non-empty name", "GET", "/v1/reports/.csv", 8, P{{"name", ".csv"}}, nil},
		{"mixed needs non-empty format", "GET", "/v1/reports/q3.", 8, P{{"name", "q3."}}, nil},
		{"literal before mixed", "GET", "/v1/reports/latest.json", 9, P{}, nil},
		{"mixed with literal prefix and suffix", "GET", "/v1/files/v1.2-tool.tar.gz", 17, P{{"version", "1.2"}, {"name", "tool"}}, nil},
		{"mixed suffix missing", "GET", "/v1/files/v1.2-tool.zip", -1, nil, nil},
		{"mixed prefix missing", "GET", "/v1/files/x1.2-tool.tar.gz", -1, nil, nil},
		{"leftmost literal wins", "GET", "/v1/a/d", 12, P{{"b", "d"}}, nil},
		{"other template", "GET", "/v1/x/d", 13, P{{"c", "x"}}, nil},
		{"trailing slash is its own path", "GET", "/v1/items/", 15, P{}, nil},
		{"no trailing slash", "GET", "/v1/items", 14, P{}, nil},
		{"root", "GET", "/v1/", 16, P{}, nil},
		{"base without slash is no path", "GET", "/v1", -1, nil, nil},
		{"empty param does not match", "GET", "/v1/pets//toys/9", -1, nil, nil},
		{"param empty at end", "GET", "/v1/users/1/keys/", -1, nil, nil},
		{"escaped values returned as they are", "GET", "/v1/users/a%2Fb/keys/%20", 11, P{{"uid", "a%2Fb"}, {"kid", "%20"}}, nil},
		{"escaped literal", "GET", "/v1/caf%C3%A9", 21, P{}, nil},
		{"literal matched in another escaping", "GET", "/v1/caf%c3%a9", 21, P{}, nil},
		{"concrete spelled with escapes", "GET", "/v1/pets/%6Dine", 4, P{}, nil},
		{"concrete spelled with escapes, 405 not the template", "DELETE", "/v1/pets/%6d%69%6e%65", -1, nil, []string{"GET"}},
		{"encoded slash is no literal", "GET", "/v1/pets/mine%2Ftoys", 2, P{{"petId", "mine%2Ftoys"}}, nil},
		{"encoded percent is no literal", "GET", "/v1/pets/%256Dine", 2, P{{"petId", "%256Dine"}}, nil},
		{"param keeps its escapes", "GET", "/v1/pets/%37", 2, P{{"petId", "%37"}}, nil},
		{"literal before mixed, spelled with escapes", "GET", "/v1/reports/latest%2Ejson", 9, P{}, nil},
		{"mixed split decoded, values re-escaped", "GET", "/v1/reports/a%20b%2Etar%2egz", 7, P{{"name", "a%20b"}, {"format", "tar.gz"}}, nil},
		{"names from the matched template", "POST", "/v1/things/1/parts/2", 24, P{{"thingId", "1"}, {"partId", "2"}}, nil},
		{"names from the other template", "GET", "/v1/things/1", 22, P{{"id", "1"}}, nil},
		{"nested backtrack", "GET", "/v1/orgs/o/projects/special/x", 19, P{{"org", "o"}, {"project", "special"}}, nil},
		{"nested literal", "GET", "/v1/orgs/o/projects/special/x/y", 20, P{{"org", "o"}}, nil},
		{"sibling fall back", "GET", "/v1/sub/1/2", 26, P{{"a", "1"}, {"b", "2"}}, nil},
		{"sibling literal", "GET", "/v1/sub/1/fixed", 27, P{{"a", "1"}}, nil},
		{"methods are case-sensitive", "GET", "/v1/lower", -1, nil, []string{"patch"}},
		{"lower-case method as given", "patch", "/v1/lower", 25, P{}, nil},
		{"HEAD is not GET", "HEAD", "/v1/pets", -1, nil, []string{"GET", "POST"}},
		{"extension method", "M-SEARCH", "/v1/ssdp", 28, P{}, nil},
		{"404", "GET", "/v1/nope", -1, nil, nil},
		{"404 too deep", "GET", "/v1/pets/1/toys/2/3", -1, nil, nil},
		{"longest base", "GET", "/v1/beta/pets", 0, P{}, nil},
		{"base at a segment boundary only", "GET", "/v1x/pets", -1, nil, nil},
		{"empty base", "GET", "/pets/mine", 4, P{}, nil},
		{"longest base only", "GET", "/v1/beta/v1/pets", -1, nil, nil},
		{"no leading slash", "GET", "v1/pets", -1, nil, nil},
		{"empty path", "GET", "", -1, nil, nil},
		{"far deeper than any template", "GET", "/v1/pets/7" + strings.Repeat("/toys", 10000), -1, nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			buf := make([]Param, 0, rt.MaxParams())
			op, ps, allow, ok := rt.Find(tc.method, tc.path, buf)
			if op != tc.op || ok != (tc.op >= 0) {
				t.Fatalf("Find(%q, %q) = op %d, ok %v; want op %d", tc.method, tc.path, op, ok, tc.op)
			}
			if ok && !slices.Equal(ps, tc.params) {
				t.Errorf("params = %v; want %v", ps, tc.params)
			}
			if !ok && len(ps) != 0 {
				t.Errorf("params = %v on a miss; want none", ps)
			}
			if !slices.Equal(allow, tc.allow) {
				t.Errorf("allow = %q; want %q", allow, tc.allow)
			}
		})
	}
}

// TestFindAllocs holds Find to its promise: with params of MaxParams
// capacity, a hit, a 405 and a 404 allocate nothing.
func TestFindAllocs(t *testing.T) {
	rt, err := New([]string{"/v1"}, petstore)
	if err != nil {
		t.Fatal(err)
	}
	params := make([]Param, 0, rt.MaxParams())
	for _, req := range [][2]string{
		{"GET", "/v1/pets/mine/toys/3/photo.png"},
		{"PATCH", "/v1/pets/7"},
		{"GET", "/v1/orgs/o/projects/special/nope"},
	} {
		if n := testing.AllocsPerRun(100, func() { rt.Find(req[0], req[1], params) }); n != 0 {
			t.Errorf("Find(%s %s) allocates %v times; want 0", req[0], req[1], n)
		}
	}
}

func TestNewErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		bases []string
		ops   []Operation
		want  []string // substrings of the error, each naming what it must
	}{
		{"no leading slash", nil, []Operation{{"GET", "items"}}, []string{"GET items", `start with "/"`}},
		{"unclosed brace", nil, []Operation{{"GET", "/items/{id"}}, []string{"GET /items/{id", `"{" without "}"`}},
		{"closing brace alone", nil, []Operation{{"GET", "/items/id}"}}, []string{`"}" without "{"`}},
		{"closing brace after param", nil, []Operation{{"GET", "/items/{id}}"}}, []string{`"}" without "{"`}},
		{"empty name", nil, []Operation{{"GET", "/items/{}"}}, []string{"empty parameter name"}},
		{"brace inside name", nil, []Operation{{"GET", "/items/{a{b}"}}, []string{`"{" inside a parameter name`}},
		{"name twice", nil, []Operation{{"GET", "/a/{id}/b/{id}"}}, []string{"{id} appears twice"}},
		{"name twice in a segment", nil, []Operation{{"GET", "/a/{id}.{id}"}}, []string{"{id} appears twice"}},
		{"adjacent params", nil, []Operation{{"GET", "/a/{x}{y}"}}, []string{"{x} and {y} are adjacent"}},
		{"unescaped space", nil, []Operation{{"GET", "/a b"}}, []string{`"a b"`}},
		{"bad percent", nil, []Operation{{"GET", "/a%2"}}, []string{"percent-encoding"}},
		{"query in template", nil, []Operation{{"GET", "/a?b"}}, []string{`"a?b"`}},
		{"method not a token", nil, []Operation{{"GE T", "/a"}}, []string{"GE T /a", "HTTP token"}},
		{"empty method", nil, []Operation{{"", "/a"}}, []string{"HTTP token"}},
		{"duplicate", nil, []Operation{{"GET", "/a/{id}"}, {"GET", "/a/{id}"}}, []string{"operations 0 and 1", "GET /a/{id} is listed twice"}},
		{"identical templates", nil, []Operation{{"GET", "/{a}/x"}, {"POST", "/{b}/x"}}, []string{"0 (GET /{a}/x) and 1 (POST /{b}/x)", "differ only in parameter names"}},
		{"identical mixed templates", nil, []Operation{{"GET", "/r/{n}.{f}"}, {"GET", "/r/{a}.{b}"}}, []string{"differ only in parameter names"}},
		{"overlapping mixed", nil, []Operation{{"GET", "/r/{n}.json"}, {"GET", "/r/{n}.{f}"}}, []string{"operation 1 (GET /r/{n}.{f})", "GET /r/{n}.json", "does not order"}},
		{"overlapping mixed prefix and suffix", nil, []Operation{{"GET", "/r/v{n}"}, {"GET", "/r/{n}.json"}}, []string{"does not order"}},
		{"base with trailing slash", []string{"/v1/"}, petstore[:1], []string{`base path "/v1/"`}},
		{"base without leading slash", []string{"v1"}, petstore[:1], []string{`base path "v1"`}},
		{"base root spelled /", []string{"/"}, petstore[:1], []string{`base path "/"`}},
		{"base with a space", []string{"/v 1"}, petstore[:1], []string{`base path "/v 1"`}},
		{"every problem listed", nil, []Operation{{"GET", "/a/{"}, {"GET", "b"}}, []string{"operation 0", "operation 1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rt, err := New(tc.bases, tc.ops)
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("New = %v, %v; want an error wrapping ErrInvalid", rt, err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}

func TestNewAccepts(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		ops  []Operation
	}{
		{"disjoint mixed segments", []Operation{{"GET", "/r/{n}.json"}, {"GET", "/r/{n}.xml"}}},
		{"mixed beside param and literal", []Operation{{"GET", "/r/{n}.json"}, {"GET", "/r/{n}"}, {"GET", "/r/a.json"}}},
		{"same template, many methods", []Operation{{"GET", "/r/{n}"}, {"PUT", "/r/{n}"}, {"DELETE", "/r/{n}"}}},
		{"different names at a shared position", []Operation{{"GET", "/r/{id}"}, {"GET", "/r/{rid}/s"}}},
		{"orderable by the leftmost literal", []Operation{{"GET", "/{a}/x"}, {"GET", "/x/{b}"}}},
		{"none", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if _, err := New([]string{"/v1", "/v1"}, tc.ops); err != nil {
				t.Fatalf("New: %v", err)
			}
		})
	}
}

func TestNewCopies(t *testing.T) {
	t.Parallel()
	ops := []Operation{{"GET", "/a"}}
	rt, err := New(nil, ops)
	if err != nil {
		t.Fatal(err)
	}
	ops[0] = Operation{"POST", "/b"}
	if got := rt.Operations(); got[0] != (Operation{"GET", "/a"}) {
		t.Errorf("Operations()[0] = %v after the caller's slice changed; want GET /a", got[0])
	}
	if op, _, _, ok := rt.Find("GET", "/a", nil); !ok || op != 0 {
		t.Errorf("Find(GET /a) = %d, %v; want 0, true", op, ok)
	}
}

func TestOverlap(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"{a}.json", "{a}.xml", false},
		{"{a}.json", "{a}.{b}", true},
		{"v{a}", "{a}.json", true},
		{"v{a}", "x{a}", false},
		{"{a}.json", "{a}json", true}, // "x.json"
		{"a{b}c", "ab{c}", true},      // "abxc"
		{"a{b}c", "abc{d}", true},     // "abcxc"
		{"a{b}", "{c}ab", true},       // "aab"
		{"{a}.{b}", "{a}-{b}", true},  // "x.y-z"
		{"a.{b}", "b.{c}", false},
		{"x{a}y", "xy{b}", true},   // "xyzy"
		{"x{a}y", "x{b}yz", false}, // one ends in "y", the other in "z"
		{"{a}yz", "{b}yz", true},
	} {
		a, err := parseSegment(tc.a)
		if err != nil {
			t.Fatal(err)
		}
		b, err := parseSegment(tc.b)
		if err != nil {
			t.Fatal(err)
		}
		if got := overlap(&a, &b); got != tc.want {
			t.Errorf("overlap(%q, %q) = %v; want %v", tc.a, tc.b, got, tc.want)
		}
		if got := overlap(&b, &a); got != tc.want {
			t.Errorf("overlap(%q, %q) = %v; want %v", tc.b, tc.a, got, tc.want)
		}
	}
}
