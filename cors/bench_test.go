package cors

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/apishield/apishield/internal/record"
	"github.com/apishield/apishield/route"
)

// nopWriter is a ResponseWriter that costs nothing.
type nopWriter struct{ h http.Header }

func (w *nopWriter) Header() http.Header         { return w.h }
func (w *nopWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *nopWriter) WriteHeader(int)             {}

var empty = http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})

// benchServe runs h on req with the request record installed once, as an
// outer middleware (errors' Responder, audit) does in a full stack. Each
// iteration forgets the decision and the headers the last one set, so
// every iteration does the same work; the floor pays the same bookkeeping.
func benchServe(b *testing.B, h http.Handler, req *http.Request) {
	nw := &nopWriter{h: http.Header{}}
	w, req, rec := record.Install(nw, req)
	b.ReportAllocs()
	for b.Loop() {
		h.ServeHTTP(w, req)
		record.ResetDecisions(rec)
		delete(nw.h, "Vary")
	}
}

func benchRequest(method, origin string, hdr ...string) *http.Request {
	req := httptest.NewRequest(method, "/v1/items/7", nil)
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	return req
}

// BenchmarkFloor is the empty handler alone, with the same record and
// bookkeeping: what the middleware's figures are compared with.
func BenchmarkFloor(b *testing.B) {
	benchServe(b, empty, benchRequest("GET", "https://app.example.com"))
}

// BenchmarkNonCORS: a request without Origin (server to server, same-origin
// GET): Vary: Origin and next. Budget: ≤ 150 ns over the floor, ≤ 1 alloc.
func BenchmarkNonCORS(b *testing.B) {
	benchServe(b, MustNew(Config{Policy: testPolicy}).Handler(empty), benchRequest("GET", ""))
}

// BenchmarkSimple: an allowed simple request from an exact origin: the
// allow path. Budget: ≤ 150 ns over the floor, ≤ 1 alloc.
func BenchmarkSimple(b *testing.B) {
	benchServe(b, MustNew(Config{Policy: testPolicy}).Handler(empty), benchRequest("GET", "https://app.example.com"))
}

// BenchmarkSimpleWildcard: an allowed simple request matched by a
// wildcard, whose Access-Control-Allow-Origin value is the one allocation.
func BenchmarkSimpleWildcard(b *testing.B) {
	benchServe(b, MustNew(Config{Policy: testPolicy}).Handler(empty), benchRequest("GET", "https://shop.example.com"))
}

// BenchmarkPreflight: an allowed preflight, answered by the middleware.
func BenchmarkPreflight(b *testing.B) {
	benchServe(b, MustNew(Config{Policy: testPolicy}).Handler(empty), benchRequest("OPTIONS", "https://app.example.com",
		"Access-Control-Request-Method", "PUT", "Access-Control-Request-Headers", "content-type,x-trace"))
}

// BenchmarkPreflightRoutes: the same preflight with per-route policies,
// which runs the route middleware to find the route the preflight is for.
func BenchmarkPreflightRoutes(b *testing.B) {
	mux := http.NewServeMux()
	mux.Handle("PUT /v1/items/{id}", empty)
	rt := route.Mux(mux)
	m := MustNew(Config{Policy: testPolicy, Route: rt,
		Routes: map[string]Policy{"/v1/public": {AllowedOrigins: []string{"*"}}}})
	benchServe(b, m.Handler(empty), benchRequest("OPTIONS", "https://app.example.com",
		"Access-Control-Request-Method", "PUT", "Access-Control-Request-Headers", "content-type,x-trace"))
}

// BenchmarkRefused: a refused origin: the 403 problem.
func BenchmarkRefused(b *testing.B) {
	h := MustNew(Config{Policy: testPolicy}).Handler(empty)
	req := benchRequest("POST", "https://evil.test")
	nw := &nopWriter{h: http.Header{}}
	w, req, rec := record.Install(nw, req)
	b.ReportAllocs()
	for b.Loop() {
		h.ServeHTTP(w, req)
		record.ResetDecisions(rec)
		record.ResetResponse(rec)
		clear(nw.h)
	}
}

// BenchmarkOverhead runs the floor and the middleware alternately in every
// iteration, timing each, so both see the same load on a shared machine,
// where separate benchmarks swing by 2× and more. It reports each one's
// ns/op and the middleware's overhead over the floor in ns; allocs/op are
// the middleware's (the floor allocates nothing). Budget on the allow
// paths: overhead-ns ≤ 150, ≤ 1 alloc.
func BenchmarkOverhead(b *testing.B) {
	m := MustNew(Config{Policy: testPolicy})
	for _, bc := range []struct {
		name string
		req  *http.Request
	}{
		{"simple", benchRequest("GET", "https://app.example.com")},
		{"simple-wildcard", benchRequest("GET", "https://shop.example.com")},
		{"non-CORS", benchRequest("GET", "")},
		{"preflight", benchRequest("OPTIONS", "https://app.example.com",
			"Access-Control-Request-Method", "PUT", "Access-Control-Request-Headers", "content-type,x-trace")},
	} {
		b.Run(bc.name, func(b *testing.B) {
			h := m.Handler(empty)
			nw := &nopWriter{h: http.Header{}}
			w, req, rec := record.Install(nw, bc.req)
			var floor, ours time.Duration
			b.ReportAllocs()
			for b.Loop() {
				t0 := time.Now()
				empty.ServeHTTP(w, req)
				record.ResetDecisions(rec)
				delete(nw.h, "Vary")
				t1 := time.Now()
				h.ServeHTTP(w, req)
				record.ResetDecisions(rec)
				delete(nw.h, "Vary")
				t2 := time.Now()
				floor += t1.Sub(t0)
				ours += t2.Sub(t1)
			}
			b.ReportMetric(float64(floor.Nanoseconds())/float64(b.N), "floor-ns/op")
			b.ReportMetric(float64(ours.Nanoseconds())/float64(b.N), "middleware-ns/op")
			b.ReportMetric(float64((ours-floor).Nanoseconds())/float64(b.N), "overhead-ns/op")
		})
	}
}
