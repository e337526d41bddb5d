package deprecation_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/apishield/apishield/deprecation"
	"github.com/apishield/apishield/internal/record"
)

// benchRequest returns a request as the middleware sees it in a full
// stack: the record installed by an outer middleware, with the route
// pattern route.Mux found.
func benchRequest(method, target, pattern string) (http.ResponseWriter, *http.Request, *record.Record) {
	w, r, rec := record.Install(httptest.NewRecorder(), httptest.NewRequest(method, target, nil))
	rec.SetRoute(pattern)
	return w, r, rec
}

var noop = http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})

// run serves r in b.Loop, resetting what one request leaves behind (the
// headers, the decisions; the record's route is put back) so that every
// iteration is a fresh request's work. The floor does the same.
func run(b *testing.B, h http.Handler, method, target, pattern string, wantDecisions int) {
	b.Helper()
	w, r, rec := benchRequest(method, target, pattern)
	h.ServeHTTP(w, r)
	if got := len(rec.Decisions()); got != wantDecisions {
		b.Fatalf("%d decisions, want %d", got, wantDecisions)
	}
	b.ReportAllocs()
	for b.Loop() {
		clear(w.Header())
		record.ResetDecisions(rec)
		record.ResetResponse(rec)
		rec.SetRoute(pattern)
		h.ServeHTTP(w, r)
	}
}

func benchMiddleware(b *testing.B, now time.Time) *deprecation.Middleware {
	b.Helper()
	m, err := deprecation.New(testConfig(now))
	if err != nil {
		b.Fatal(err)
	}
	return m
}

// BenchmarkFloor is the empty handler behind the same record and reset.
func BenchmarkFloor(b *testing.B) {
	run(b, noop, "GET", "/v2/items", "GET /v2/items", 0)
}

// BenchmarkNotDeprecated is the allow path of a route that is neither
// listed nor under a prefix: a route-table miss and the prefix scan.
func BenchmarkNotDeprecated(b *testing.B) {
	run(b, benchMiddleware(b, depDate).Handler(noop), "GET", "/v2/items/7", "GET /v2/items/{id}", 0)
}

// BenchmarkDeprecatedRoute is the allow path of a deprecated route entry:
// the decision and the headers built at New.
func BenchmarkDeprecatedRoute(b *testing.B) {
	run(b, benchMiddleware(b, depDate).Handler(noop), "GET", "/v1/items", "GET /v1/items", 1)
}

// BenchmarkDeprecatedPrefix is the allow path of a path under a
// deprecated version prefix, with Sunset and two Links.
func BenchmarkDeprecatedPrefix(b *testing.B) {
	run(b, benchMiddleware(b, depDate).Handler(noop), "GET", "/v1/orders/7", "GET /v1/", 1)
}

// BenchmarkGone is the refusal past the sunset: the 410 problem written
// by apierrors.Write.
func BenchmarkGone(b *testing.B) {
	run(b, benchMiddleware(b, sunsetDate).Handler(noop), "GET", "/v1/orders/7", "GET /v1/", 1)
}
