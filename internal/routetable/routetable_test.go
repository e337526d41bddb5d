package routetable

import "testing"

func TestLookup(t *testing.T) {
	t.Parallel()
	tab, err := New(map[string]int{
		"GET /v1/items/{id}": 1,
		"/v1/items/{id}":     2,
		"POST  /v1/items":    3,
		"/healthz":           4,
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		pattern string
		want    int
		ok      bool
	}{
		{"method entry first", "GET /v1/items/{id}", 1, true},
		{"every-method entry", "DELETE /v1/items/{id}", 2, true},
		{"blanks folded in keys", "POST /v1/items", 3, true},
		{"no method entry for GET", "GET /v1/items", 0, false},
		{"pattern without method", "/healthz", 4, true},
		{"method on an every-method entry", "GET /healthz", 4, true},
		{"no pattern", "", 0, false},
		{"unknown", "GET /nope", 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := tab.Lookup(tc.pattern)
			if got != tc.want || ok != tc.ok {
				t.Errorf("Lookup(%q) = %d, %v; want %d, %v", tc.pattern, got, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestNewRefuses(t *testing.T) {
	t.Parallel()
	for name, entries := range map[string]map[string]int{
		"empty key":         {"": 1},
		"no slash":          {"GET items": 1},
		"lower-case method": {"get /x": 1},
		"blank in path":     {"GET /a b": 1},
		"listed twice":      {"GET /x": 1, "GET  /x": 2},
	} {
		if _, err := New(entries); err == nil {
			t.Errorf("%s: New accepted %v", name, entries)
		}
	}
}
