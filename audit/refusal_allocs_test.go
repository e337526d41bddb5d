//go:build !race

// The race detector drops a quarter of what sync.Pool is given, so
// allocation counts under it are the detector's, not the stack's.

package audit_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/apishield/apishield/audit"
	"github.com/apishield/apishield/internal/cpubench"
)

// TestRefusalAllocations pins what a refusal before authentication costs
// in allocations through the recommended stack: the request record, and
// for the 401 the RateLimit value. A request copy or a problem made per
// refusal would show here before it shows in BenchmarkRefusal.
func TestRefusalAllocations(t *testing.T) {
	for _, tc := range []struct {
		name  string
		limit int
		want  int
		code  int
	}{
		{"no token", 1 << 30, 2, http.StatusUnauthorized},
		{"rate limited", 1, 2, http.StatusTooManyRequests},
	} {
		h, closeFn := cpubench.RefusalStack(t, tc.limit, audit.Repeats{})
		req := httptest.NewRequest("GET", "/v1/items/42", nil)
		w := &cpubench.Discard{H: http.Header{}}
		for range 3 { // the limit spent, the client's summary open
			clear(w.H)
			h.ServeHTTP(w, req)
		}
		rr := httptest.NewRecorder()
		h.ServeHTTP(rr, req)
		if rr.Code != tc.code {
			t.Fatalf("%s: status %d, want %d", tc.name, rr.Code, tc.code)
		}
		n := testing.AllocsPerRun(200, func() {
			clear(w.H)
			h.ServeHTTP(w, req)
		})
		closeFn()
		if int(n) > tc.want {
			t.Errorf("%s: a refusal allocates %v times, want at most %d", tc.name, n, tc.want)
		}
	}
}
