package errors_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"

	apierrors "github.com/apishield/apishield/errors"
)

func ExampleWrite() {
	h := apierrors.Recover(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		apierrors.Write(w, r, apierrors.New(http.StatusNotFound, apierrors.ReasonNotFound, "No item has this ID."))
	}))
	req := httptest.NewRequest("GET", "/v1/items/42", nil)
	rr := httptest.NewRecorder()
	h.ServeHTTP(rr, req)
	fmt.Println(rr.Code, rr.Header().Get("Content-Type"))
	// The request ID is new for every request; it is in the X-Request-ID
	// header and in the body.
	fmt.Println(strings.Replace(rr.Body.String(), rr.Header().Get("X-Request-ID"), "<request id>", 1))
	// Output:
	// 404 application/problem+json
	// {"type":"tag:apishield,2026:not_found","title":"Not Found","status":404,"detail":"No item has this ID.","instance":"/v1/items/42","reason":"not_found","request_id":"<request id>"}
}

func ExampleMux() {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/items", func(w http.ResponseWriter, r *http.Request) {})
	h := apierrors.Recover(apierrors.Mux(mux))

	req := httptest.NewRequest("DELETE", "/v1/items", nil)
	rr := httptest.NewRecorder()
	h.ServeHTTP(rr, req)
	fmt.Println(rr.Code, rr.Header().Get("Allow"))
	fmt.Println(strings.Replace(rr.Body.String(), rr.Header().Get("X-Request-ID"), "<request id>", 1))
	// Output:
	// 405 GET, HEAD
	// {"type":"tag:apishield,2026:method_not_allowed","title":"Method Not Allowed","status":405,"detail":"The resource does not support the DELETE method.","instance":"/v1/items","reason":"method_not_allowed","request_id":"<request id>"}
}

func ExampleNewResponder() {
	rs, err := apierrors.NewResponder(apierrors.Config{
		TypePrefix: "https://api.example.com/problems/",
		Renderer:   apierrors.SimpleJSON,
		// Our load balancer, which sets X-Request-ID on every request.
		TrustedProxies: []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")},
	})
	if err != nil {
		panic(err)
	}
	h := rs.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		apierrors.Write(w, r, apierrors.New(0, apierrors.ReasonRateLimited, "Try again in 3 seconds.").
			WithHeader("Retry-After", "3"))
	}))
	req := httptest.NewRequest("GET", "/", nil)
	req.RemoteAddr = "192.0.2.1:51234" // the load balancer
	req.Header.Set("X-Request-ID", "req-7")
	rr := httptest.NewRecorder()
	h.ServeHTTP(rr, req)
	fmt.Println(rr.Code, rr.Header().Get("Retry-After"))
	fmt.Println(rr.Body.String())
	// Output:
	// 429 3
	// {"error":"Too Many Requests","code":429,"message":"Try again in 3 seconds.","request_id":"req-7","reason":"rate_limited"}
}
