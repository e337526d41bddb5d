package headers_test

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"

	apierrors "github.com/apishield/apishield/errors"
	"github.com/apishield/apishield/headers"
	"github.com/apishield/apishield/route"
)

// The zero Config is the API profile. A request with credentials gets
// Cache-Control: no-store; a Server header the handler set is removed.
func ExampleNew() {
	sec, err := headers.New(headers.Config{})
	if err != nil {
		panic(err)
	}
	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Server", "app/1.2.3")
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"items":[]}`)
	})
	handler := apierrors.Recover(sec.Handler(api))

	req := httptest.NewRequest("GET", "/v1/items", nil)
	req.Header.Set("Authorization", "Bearer …")
	rr := httptest.NewRecorder()
	handler.ServeHTTP(rr, req)
	for _, k := range []string{"X-Content-Type-Options", "Content-Security-Policy", "Referrer-Policy",
		"Cross-Origin-Resource-Policy", "X-Frame-Options", "Cache-Control", "Server"} {
		fmt.Printf("%s: %q\n", k, rr.Header().Get(k))
	}
	// Output:
	// X-Content-Type-Options: "nosniff"
	// Content-Security-Policy: "default-src 'none'; frame-ancestors 'none'"
	// Referrer-Policy: "no-referrer"
	// Cross-Origin-Resource-Policy: "same-origin"
	// X-Frame-Options: "DENY"
	// Cache-Control: "no-store"
	// Server: ""
}

// A download route gets its own CSP and lets the browser keep the file for
// five minutes; the rest of the API keeps the profile. route.Mux, outside
// headers, tells it which route a request is for.
func ExampleConfig_routes() {
	sec, err := headers.New(headers.Config{
		Policy: headers.Policy{Set: map[string]string{"Cross-Origin-Opener-Policy": "same-origin"}},
		Routes: map[string]headers.Policy{
			"GET /v1/files/{id}": {ContentSecurityPolicy: "sandbox", CacheControl: "private, max-age=300"},
		},
	})
	if err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/files/{id}", func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "%PDF-") })
	handler := apierrors.Recover(route.Mux(mux)(sec.Handler(mux)))

	req := httptest.NewRequest("GET", "/v1/files/7", nil)
	req.Header.Set("Cookie", "session=…")
	rr := httptest.NewRecorder()
	handler.ServeHTTP(rr, req)
	fmt.Println(rr.Header().Get("Content-Security-Policy"))
	fmt.Println(rr.Header().Get("Cache-Control"))
	fmt.Println(rr.Header().Get("Cross-Origin-Opener-Policy"))
	// Output:
	// sandbox
	// private, max-age=300
	// same-origin
}

// A request for a host the API does not serve gets a 421 problem.
func ExampleHosts_Handler() {
	hosts, err := headers.NewHosts(headers.HostsConfig{Allow: []string{"api.example.com", "*.tenants.example.com"}})
	if err != nil {
		panic(err)
	}
	handler := apierrors.Recover(hosts.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "ok")
	})))
	for _, host := range []string{"API.example.com.", "eu.tenants.example.com:443", "evil.example"} {
		req := httptest.NewRequest("GET", "/v1/items", nil)
		req.Host = host
		rr := httptest.NewRecorder()
		handler.ServeHTTP(rr, req)
		fmt.Println(host, rr.Code)
	}
	// Output:
	// API.example.com. 200
	// eu.tenants.example.com:443 200
	// evil.example 421
}

// Check decides outside an HTTP handler chain; the error is a problem, and
// errors.Is finds why.
func ExampleHosts_Check() {
	hosts, err := headers.NewHosts(headers.HostsConfig{Allow: []string{"api.example.com"}})
	if err != nil {
		panic(err)
	}
	req := httptest.NewRequest("GET", "http://api.example.com/v1/items", nil)
	req.Header.Set("X-Forwarded-Host", "evil.example") // never consulted
	fmt.Println(hosts.Check(req))

	req.Host = "evil.example"
	err = hosts.Check(req)
	var p *apierrors.Problem
	fmt.Println(errors.Is(err, headers.ErrHostMismatch), errors.As(err, &p) && p.Status == http.StatusMisdirectedRequest)
	// Output:
	// <nil>
	// true true
}
