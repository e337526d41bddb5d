//go:build !race

package audit

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/apishield/apishield/internal/record"
)

// TestRequestPathAllocations checks the request path's allocation budget
// (the issue's ≤ 3 per request) beside the same stack without the auditor.
// The sink wants no level, so the writer encodes nothing and what is
// counted is the request path alone. (The race detector disables
// sync.Pool at random, hence the build tag.)
func TestRequestPathAllocations(t *testing.T) {
	a, err := New(Config{Handlers: []slog.Handler{slog.DiscardHandler}})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close(context.Background())
	deny := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := record.From(r.Context())
		rec.AddDecision(record.Decision{Package: "auth", Outcome: record.Deny, Reason: "invalid_token"})
		rec.SetProblem(record.Problem{Status: 401, Reason: "invalid_token"})
		w.WriteHeader(401)
	})
	for _, tc := range []struct {
		name string
		h    http.Handler
	}{{"success", app}, {"denied", deny}} {
		req := httptest.NewRequest("GET", "/v1/items/42?limit=10", nil)
		req.Header.Set("User-Agent", "test")
		w := &discardWriter{h: http.Header{}}
		measure := func(h http.Handler) float64 {
			h.ServeHTTP(w, req) // warm the pools
			return testing.AllocsPerRun(1000, func() { clear(w.h); h.ServeHTTP(w, req) })
		}
		floor := measure(outer(tc.h))
		with := measure(outer(a.Handler(tc.h)))
		if with-floor > 3 {
			t.Errorf("%s: %v allocations per request with audit, %v without: the request path adds %v, budget 3", tc.name, with, floor, with-floor)
		}
		t.Logf("%s: floor %v, with audit %v allocs/request", tc.name, floor, with)
	}
}
