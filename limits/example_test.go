package limits_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/apishield/apishield/limits"
	"github.com/apishield/apishield/route"
)

// The zero Config bounds every route: here a TRACE probe, a GET with a
// body and an oversized query are refused, and a plain GET passes.
func Example() {
	g, err := limits.New(limits.Config{})
	if err != nil {
		panic(err)
	}
	h := g.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "ok")
	}))
	for _, r := range []*http.Request{
		httptest.NewRequest("GET", "/v1/items", nil),
		httptest.NewRequest("TRACE", "/v1/items", nil),
		httptest.NewRequest("GET", "/v1/items", strings.NewReader(`{"q":1}`)),
		httptest.NewRequest("GET", "/v1/items?q="+strings.Repeat("a", 5000), nil),
	} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		fmt.Println(r.Method, w.Code, w.Header().Values("Allow"))
	}
	// Output:
	// GET 200 []
	// TRACE 405 [GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS]
	// GET 400 []
	// GET 414 []
}

// Per-route rules, keyed by the route patterns package route reports,
// raise the body limit for uploads and declare content types, while every
// other route, known or not, keeps the defaults.
func Example_routes() {
	g, err := limits.New(limits.Config{
		Default: limits.Rules{ContentTypes: []string{"application/json"}},
		Routes: map[string]limits.Rules{
			"POST /v1/uploads": {MaxBodyBytes: 10 << 20, ContentTypes: []string{"application/octet-stream"}},
		},
	})
	if err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/uploads", func(w http.ResponseWriter, r *http.Request) {})
	mux.HandleFunc("POST /v1/items", func(w http.ResponseWriter, r *http.Request) {})
	h := route.Mux(mux)(g.Handler(mux))

	send := func(path, contentType string, size int) {
		r := httptest.NewRequest("POST", path, strings.NewReader(strings.Repeat("a", size)))
		r.Header.Set("Content-Type", contentType)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		fmt.Println(path, contentType, size>>20, "MiB:", w.Code)
	}
	send("/v1/uploads", "application/octet-stream", 2<<20)
	send("/v1/items", "application/json", 2<<20)
	send("/v1/items", "text/plain", 0)
	send("/v1/items", "application/octet-stream", 1)
	// Output:
	// /v1/uploads application/octet-stream 2 MiB: 200
	// /v1/items application/json 2 MiB: 413
	// /v1/items text/plain 0 MiB: 200
	// /v1/items application/octet-stream 0 MiB: 415
}

// Check is the decision alone, for code outside an HTTP stack; its error
// is a problem whose cause is one of the package's sentinels.
func ExampleGuard_Check() {
	g, err := limits.New(limits.Config{Default: limits.Rules{MaxQueryParams: 2}})
	if err != nil {
		panic(err)
	}
	r := httptest.NewRequest("GET", "/v1/items?a=1&b=2&c=3", nil)
	err = g.Check(r)
	fmt.Println(errors.Is(err, limits.ErrTooManyParams))
	// Output:
	// true
}
