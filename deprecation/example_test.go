package deprecation_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/apishield/apishield/deprecation"
	"github.com/apishield/apishield/route"
)

// A whole version is deprecated by prefix: its responses carry the
// Deprecation, Sunset and Link headers, other versions none.
func Example() {
	dep, err := deprecation.New(deprecation.Config{
		Prefixes: map[string]deprecation.Policy{"/v1/": {
			Deprecated: time.Date(2026, 6, 30, 0, 0, 0, 0, time.UTC),
			Sunset:     time.Date(2027, 6, 30, 0, 0, 0, 0, time.UTC),
			Docs:       "https://developer.example.com/migrate-to-v2",
			Successor:  "/v2/",
		}},
		Now: func() time.Time { return time.Date(2026, 12, 4, 0, 0, 0, 0, time.UTC) },
	})
	if err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/items", func(w http.ResponseWriter, r *http.Request) {})
	mux.HandleFunc("GET /v2/items", func(w http.ResponseWriter, r *http.Request) {})
	handler := dep.Handler(mux)

	for _, path := range []string{"/v1/items", "/v2/items"} {
		rr := httptest.NewRecorder()
		handler.ServeHTTP(rr, httptest.NewRequest("GET", path, nil))
		fmt.Println(path, rr.Code)
		fmt.Printf("  Deprecation: %q\n  Sunset: %q\n  Link: %q\n",
			rr.Header().Get("Deprecation"), rr.Header().Get("Sunset"), rr.Header().Values("Link"))
	}
	// Output:
	// /v1/items 200
	//   Deprecation: "@1782777600"
	//   Sunset: "Wed, 30 Jun 2027 00:00:00 GMT"
	//   Link: ["<https://developer.example.com/migrate-to-v2>; rel=\"deprecation\"" "</v2/>; rel=\"successor-version\""]
	// /v2/items 200
	//   Deprecation: ""
	//   Sunset: ""
	//   Link: []
}

// Past its sunset a route answers 410 Gone as a problem, still pointing
// at its successor. Route entries are keyed by pattern, which route.Mux
// learns from the ServeMux before it runs.
func Example_gone() {
	dep, err := deprecation.New(deprecation.Config{
		Routes: map[string]deprecation.Policy{"GET /v1/items/{id}": {
			Deprecated: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
			Sunset:     time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC),
			Successor:  "https://api.example.com/v2/items",
		}},
		Now: func() time.Time { return time.Date(2026, 12, 4, 0, 0, 0, 0, time.UTC) },
	})
	if err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/items/{id}", func(w http.ResponseWriter, r *http.Request) {
		fmt.Println("not reached")
	})
	handler := route.Mux(mux)(dep.Handler(mux))

	rr := httptest.NewRecorder()
	handler.ServeHTTP(rr, httptest.NewRequest("GET", "/v1/items/7", nil))
	fmt.Println(rr.Code, rr.Header().Get("Content-Type"))
	fmt.Println("Link:", rr.Header().Get("Link"))
	// Output:
	// 410 application/problem+json
	// Link: <https://api.example.com/v2/items>; rel="successor-version"
}

// Check is the decision alone, for code outside a handler chain.
func ExampleMiddleware_Check() {
	dep := deprecation.MustNew(deprecation.Config{
		Prefixes: map[string]deprecation.Policy{"/v1": {Deprecated: time.Date(2026, 6, 30, 0, 0, 0, 0, time.UTC)}},
	})
	for _, path := range []string{"/v1/items", "/v10/items"} {
		n, err := dep.Check(httptest.NewRequest("GET", path, nil))
		if n == nil {
			fmt.Println(path, "not deprecated")
			continue
		}
		fmt.Println(path, "deprecated by", n.Rule, "since", n.Deprecated.Format(time.DateOnly), "gone:", err != nil)
	}
	// Output:
	// /v1/items deprecated by /v1 since 2026-06-30 gone: false
	// /v10/items not deprecated
}
