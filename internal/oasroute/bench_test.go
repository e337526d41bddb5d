package oasroute

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// document returns the operations of a generated document the size of a
// large real one: 200 resources, each with list and create on its
// collection and get, update and delete on its items, a quarter at the
// top level and the rest nested up to
// "/orgs/{org}/projects/{project}/r199/{id}"; every tenth resource's
// items are "{id}.{format}" (a mixed segment).
func document() []Operation {
	var ops []Operation
	for i := range 200 {
		var base string
		switch i % 4 {
		case 0:
			base = fmt.Sprintf("/r%d", i)
		case 1:
			base = fmt.Sprintf("/orgs/{org}/r%d", i)
		default:
			base = fmt.Sprintf("/orgs/{org}/projects/{project}/r%d", i)
		}
		item := base + "/{id}"
		if i%10 == 0 {
			item = base + "/{id}.{format}"
		}
		ops = append(ops,
			Operation{"GET", base}, Operation{"POST", base},
			Operation{"GET", item}, Operation{"PUT", item}, Operation{"DELETE", item})
	}
	return ops
}

// BenchmarkFind matches a hit deep in the 1 000 operations of document,
// a 404 and a 405, each beside two floors in the same run: ServeMux
// finding the handler of the same set (mixed segments registered as one
// wildcard, which ServeMux can express) and a map lookup of the literal
// path, which no router of templates can beat.
func BenchmarkFind(b *testing.B) {
	ops := document()
	rt, err := New([]string{"/v1"}, ops)
	if err != nil {
		b.Fatal(err)
	}
	mux := http.NewServeMux()
	noop := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})
	for _, op := range ops {
		p := strings.ReplaceAll(op.Path, "{id}.{format}", "{id}")
		mux.Handle(op.Method+" /v1"+p, noop)
	}
	literal := map[string]int{}
	for i, op := range ops {
		literal[op.Method+" /v1"+op.Path] = i
	}

	for _, c := range []struct {
		name, method, path string
		ok                 bool
		allow              bool
	}{
		{"hit", "DELETE", "/v1/orgs/acme/projects/p1/r199/42", true, false},
		{"404", "GET", "/v1/orgs/acme/projects/p1/r250/42", false, false},
		{"405", "PATCH", "/v1/orgs/acme/projects/p1/r199/42", false, true},
	} {
		params := make([]Param, 0, rt.MaxParams())
		if _, _, allow, ok := rt.Find(c.method, c.path, params); ok != c.ok || (allow != nil) != c.allow {
			b.Fatalf("Find(%s %s) = %v, Allow %q", c.method, c.path, ok, allow)
		}
		b.Run(c.name+"/oasroute", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				rt.Find(c.method, c.path, params)
			}
		})
		b.Run(c.name+"/floor=ServeMux", func(b *testing.B) {
			req := httptest.NewRequest(c.method, c.path, nil)
			b.ReportAllocs()
			for b.Loop() {
				mux.Handler(req)
			}
		})
		b.Run(c.name+"/floor=map", func(b *testing.B) {
			key := c.method + " " + c.path
			b.ReportAllocs()
			for b.Loop() {
				_ = literal[key]
			}
		})
	}
}

// BenchmarkNew builds the Router of document's 1 000 operations, the
// start-up cost a loader adds to reading the document.
func BenchmarkNew(b *testing.B) {
	ops := document()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := New([]string{"/v1"}, ops); err != nil {
			b.Fatal(err)
		}
	}
}
