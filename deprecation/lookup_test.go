package deprecation

import (
	"strings"
	"testing"
	"time"
)

// FuzzLookupRoute checks that the length filter in front of the route
// table never hides an entry: lookupRoute agrees with the table itself.
func FuzzLookupRoute(f *testing.F) {
	keys := []string{
		"GET /v1/items", "/v1/items/{id}", "POST  /v1/orders",
		"GET /" + strings.Repeat("a", 70), "/" + strings.Repeat("b", 63),
	}
	for _, k := range keys {
		f.Add(k)
		f.Add("PUT " + k)
		f.Add("DELETE  " + k)
	}
	routes := make(map[string]Policy)
	for _, k := range keys {
		routes[k] = Policy{Deprecated: time.Unix(0, 0)}
	}
	m, err := New(Config{Routes: routes})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, pattern string) {
		want, _ := m.routes.Lookup(pattern)
		if got := m.lookupRoute(pattern); got != want {
			t.Errorf("lookupRoute(%q) = %v, table %v", pattern, got, want)
		}
	})
}
