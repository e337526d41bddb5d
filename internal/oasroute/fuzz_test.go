package oasroute

import (
	"errors"
	"strings"
	"testing"
)

// FuzzFind builds a Router from newline-separated templates and matches a
// path. Whatever the input, nothing panics; a set New accepts never
// yields an error without ErrInvalid; and a match's parameters, put back
// into its template, give the path without its base (segments compared
// decoded, as literals are matched).
func FuzzFind(f *testing.F) {
	f.Add("/pets\n/pets/{petId}\n/pets/mine", "/v1", "/v1/pets/mine")
	f.Add("/reports/{name}.{format}\n/reports/{name}", "", "/reports/a.tar.gz")
	f.Add("/files/v{version}-{name}.tar.gz", "", "/files/v1.2-x-y.tar.gz")
	f.Add("/{a}/x\n/x/{b}", "/api", "/api/x/x")
	f.Add("/users/{uid}/keys/{kid}\n/users/{uid}", "", "/users/a%2Fb/keys/k")
	f.Add("/items\n/items/", "/v1", "/v1/items/")
	f.Add("/a{b}c{d}e\n/x", "", "/aXcYce")
	f.Add("/pets/mine\n/pets/{id}", "", "/pets/%6Dine")
	f.Add("/r/{name}.{format}\n/r/{name}", "", "/r/a%20b%2Ejson")
	f.Fuzz(func(t *testing.T, templates, base, path string) {
		var ops []Operation
		for _, tmpl := range strings.Split(templates, "\n") {
			ops = append(ops, Operation{"GET", tmpl})
		}
		rt, err := New([]string{base}, ops)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("New: %v does not wrap ErrInvalid", err)
			}
			return
		}
		params := make([]Param, 0, rt.MaxParams())
		op, ps, allow, ok := rt.Find("GET", path, params)
		if !ok {
			if allow != nil {
				t.Fatalf("Find(GET %q) = Allow %q; every operation is a GET", path, allow)
			}
			return
		}
		rest := strings.TrimPrefix(path, base)
		if got := substitute(t, ops[op].Path, ps); literalPath(got) != literalPath(rest) {
			t.Fatalf("templates %q: %q matched %q with %v, which gives back %q", templates, path, ops[op].Path, ps, got)
		}
		for _, p := range ps {
			if p.Value == "" || strings.Contains(p.Value, "/") {
				t.Fatalf("parameter %v of %q: empty or holds a slash", p, path)
			}
		}
	})
}

// substitute puts each parameter's value in place of its name in tmpl.
func substitute(t *testing.T, tmpl string, ps []Param) string {
	t.Helper()
	var b strings.Builder
	used := 0
	for {
		i := strings.IndexByte(tmpl, '{')
		if i < 0 {
			break
		}
		j := strings.IndexByte(tmpl, '}')
		name := tmpl[i+1 : j]
		k := 0
		for k < len(ps) && ps[k].Name != name {
			k++
		}
		if k == len(ps) {
			t.Fatalf("no value for {%s} of %q in %v", name, tmpl, ps)
		}
		b.WriteString(tmpl[:i])
		b.WriteString(ps[k].Value)
		used++
		tmpl = tmpl[j+1:]
	}
	b.WriteString(tmpl)
	if used != len(ps) {
		t.Fatalf("%d values for %d parameters: %v", len(ps), used, ps)
	}
	return b.String()
}

// literalPath is an escaped path with each segment in its literal form.
func literalPath(p string) string {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		segs[i] = literal(s)
	}
	return strings.Join(segs, "/")
}
