package openapi

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// largeRouteDoc returns a document of 1 000 operations shaped like a large
// real one (the one internal/oasroute benchmarks), and the ServeMux
// patterns that serve it under /v1.
func largeRouteDoc() (*Contract, []string) {
	var ops, patterns []string
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
		for _, m := range []string{"GET " + base, "POST " + base, "GET " + item, "PUT " + item, "DELETE " + item} {
			ops = append(ops, m)
			method, path, _ := strings.Cut(m, " ")
			patterns = append(patterns, method+" /v1"+path)
		}
	}
	return routeDoc([]string{"/v1"}, ops...), patterns
}

// BenchmarkCheckRoutes is the start-up check of 1 000 routes against 1 000
// operations, beside the floor of registering the same patterns on a
// ServeMux, which the application does at start-up anyway.
func BenchmarkCheckRoutes(b *testing.B) {
	c, patterns := largeRouteDoc()
	if err := c.CheckRoutes(patterns...); err != nil {
		b.Fatal(err)
	}
	b.Run("check", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := c.CheckRoutes(patterns...); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("floor/servemux-register", func(b *testing.B) {
		b.ReportAllocs()
		h := http.NotFoundHandler()
		for b.Loop() {
			m := http.NewServeMux()
			for _, p := range patterns {
				m.Handle(p, h)
			}
		}
	})
}
