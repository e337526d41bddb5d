package audit_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/apishield/apishield/audit"
	"github.com/apishield/apishield/auth"
	apierrors "github.com/apishield/apishield/errors"
	"github.com/apishield/apishield/ratelimit"
)

// headerOnly is a ResponseWriter that keeps only its header.
type headerOnly struct{ h http.Header }

func (w *headerOnly) Header() http.Header         { return w.h }
func (w *headerOnly) Write(p []byte) (int, error) { return len(p), nil }
func (w *headerOnly) WriteHeader(int)             {}

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
		a, err := audit.New(audit.Config{Handlers: []slog.Handler{audit.NewJSONHandler(io.Discard, nil)}, Blocking: true})
		if err != nil {
			t.Fatal(err)
		}
		byIP, err := ratelimit.ByIP(ratelimit.IPConfig{})
		if err != nil {
			t.Fatal(err)
		}
		rl, err := ratelimit.New(ratelimit.Config{Name: "ip", Key: byIP,
			Policies: []ratelimit.Policy{{Name: "per-ip", Limit: tc.limit, Period: time.Hour}}})
		if err != nil {
			t.Fatal(err)
		}
		keys, err := auth.NewMemoryStore(nil)
		if err != nil {
			t.Fatal(err)
		}
		ak, err := auth.NewAPIKeys(auth.APIKeysConfig{Store: keys})
		if err != nil {
			t.Fatal(err)
		}
		am, err := auth.New(auth.Config{Authenticators: []auth.Authenticator{ak}})
		if err != nil {
			t.Fatal(err)
		}
		h := apierrors.Recover(a.Handler(rl.Handler(am.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})))))
		req := httptest.NewRequest("GET", "/v1/items/42", nil)
		w := &headerOnly{h: http.Header{}}
		for range 3 { // the limit spent, the client's summary open
			clear(w.h)
			h.ServeHTTP(w, req)
		}
		rr := httptest.NewRecorder()
		h.ServeHTTP(rr, req)
		if rr.Code != tc.code {
			t.Fatalf("%s: status %d, want %d", tc.name, rr.Code, tc.code)
		}
		n := testing.AllocsPerRun(200, func() {
			clear(w.h)
			h.ServeHTTP(w, req)
		})
		a.Close(context.Background())
		if int(n) > tc.want {
			t.Errorf("%s: a refusal allocates %v times, want at most %d", tc.name, n, tc.want)
		}
	}
}
