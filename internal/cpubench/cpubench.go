// Package cpubench measures handlers for benchmarks whose cost is not all
// on the benchmark's goroutine: a background writer's work and the
// collector's are counted too, as process CPU per request. It also builds
// the recommended stack that refuses a request before authentication, for
// the refusal benchmarks and the test that pins their allocations.
package cpubench

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/apishield/apishield/audit"
	"github.com/apishield/apishield/auth"
	apierrors "github.com/apishield/apishield/errors"
	"github.com/apishield/apishield/ratelimit"
)

// Discard is a ResponseWriter that keeps only its header.
type Discard struct{ H http.Header }

func (w *Discard) Header() http.Header         { return w.H }
func (w *Discard) Write(p []byte) (int, error) { return len(p), nil }
func (w *Discard) WriteHeader(int)             {}

// OK answers "ok".
var OK = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) })

// Handwritten is the least a refusal costs: a prefix check of
// Authorization, one slog JSON line to io.Discard and http.Error, with
// no rate limiter, request ID or problem body; OK when a bearer token is
// there.
func Handwritten() http.Handler {
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ") {
			log.Warn("unauthorized", "method", r.Method, "path", r.URL.Path, "remote_addr", r.RemoteAddr,
				"user_agent", r.UserAgent(), "status", http.StatusUnauthorized)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		OK.ServeHTTP(w, r)
	})
}

// RefusalStack is apishield's recommended stack in front of OK:
// errors.Recover, audit (Blocking, so no event is dropped to save work,
// JSON to io.Discard, repeats as given), ratelimit by IP with one policy
// of limit requests an hour, and auth taking API keys of an empty store,
// so a request without a key is refused. Close closes the auditor,
// writing what it still holds.
func RefusalStack(tb testing.TB, limit int, repeats audit.Repeats) (h http.Handler, close func()) {
	tb.Helper()
	a, err := audit.New(audit.Config{Handlers: []slog.Handler{audit.NewJSONHandler(io.Discard, nil)}, Blocking: true, Repeats: repeats})
	if err != nil {
		tb.Fatal(err)
	}
	byIP, err := ratelimit.ByIP(ratelimit.IPConfig{})
	if err != nil {
		tb.Fatal(err)
	}
	rl, err := ratelimit.New(ratelimit.Config{Name: "ip", Key: byIP,
		Policies: []ratelimit.Policy{{Name: "per-ip", Limit: limit, Period: time.Hour}}})
	if err != nil {
		tb.Fatal(err)
	}
	return apierrors.Recover(a.Handler(rl.Handler(Authenticated(tb, OK)))), func() { a.Close(context.Background()) }
}

// Authenticated is auth's middleware, API keys of an empty store only, in
// front of next: every request is refused.
func Authenticated(tb testing.TB, next http.Handler) http.Handler {
	tb.Helper()
	keys, err := auth.NewMemoryStore(nil)
	if err != nil {
		tb.Fatal(err)
	}
	ak, err := auth.NewAPIKeys(auth.APIKeysConfig{Store: keys})
	if err != nil {
		tb.Fatal(err)
	}
	am, err := auth.New(auth.Config{Authenticators: []auth.Authenticator{ak}})
	if err != nil {
		tb.Fatal(err)
	}
	return am.Handler(next)
}
