package openapi

import (
	"errors"
	"testing"
)

// FuzzCheckRoutes feeds any route to the check: it never panics, and its
// error is a parse error naming the route or a *RouteMismatchError.
func FuzzCheckRoutes(f *testing.F) {
	for _, s := range []string{
		"GET /items/{id}", "/files/{p...}", "GET /v1/{$}", "GET /a/{id:[0-9]{3}}/b", "GET /x/*",
		"GET host/r/{n}.{f}", "{", "}", "/{}", "GET /a/{x}{y}", "* /", "GET\t/items/",
	} {
		f.Add(s)
	}
	c := routeDoc([]string{"", "/v1"}, "GET /items/{id}", "GET /r/{name}.{format}", "GET /files/{path}", "GET /")
	f.Fuzz(func(t *testing.T, route string) {
		err := c.CheckRoutes(route)
		if err == nil {
			t.Fatalf("%q: one route served every operation", route)
		}
		var me *RouteMismatchError
		if errors.As(err, &me) {
			if len(me.Unserved)+len(me.Undeclared) == 0 {
				t.Fatalf("%q: a mismatch with empty lists", route)
			}
			return
		}
		if _, perr := parseRoute(route); perr == nil {
			t.Fatalf("%q: parses, yet the check failed with %v", route, err)
		}
	})
}

// TestCheckRoutesOwnPaths checks that a document's own paths, under each
// base, are routes that match it exactly.
func TestCheckRoutesOwnPaths(t *testing.T) {
	t.Parallel()
	ops := []string{"GET /", "GET /items", "POST /items", "GET /items/{id}", "PUT /items/{id}/tags/{tag}",
		"GET /r/{name}.{format}", "GET /r/{name}.json", "GET /dir/", "DELETE /a/b/c/d/e/{f}"}
	bases := []string{"", "/v1", "/api/v2"}
	c := routeDoc(bases, ops...)
	var routes []string
	for _, o := range ops {
		op := routeDoc(nil, o).doc.ops[0]
		for _, b := range bases {
			routes = append(routes, op.method+" "+b+op.path)
		}
	}
	if err := c.CheckRoutes(routes...); err != nil {
		t.Errorf("got %v", err)
	}
}
