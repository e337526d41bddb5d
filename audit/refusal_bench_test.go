//go:build unix

package audit_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/apishield/apishield/audit"
	"github.com/apishield/apishield/auth"
	apierrors "github.com/apishield/apishield/errors"
	"github.com/apishield/apishield/ratelimit"
)

// cpuNow is the process's CPU time so far, user and system: it counts the
// audit writer's goroutine too, which ns/op of the request path does not.
func cpuNow(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// nopWriter is a ResponseWriter that costs nothing.
type nopWriter struct{ h http.Header }

func (w *nopWriter) Header() http.Header         { return w.h }
func (w *nopWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *nopWriter) WriteHeader(int)             {}

// serveCPU serves req through h b.N times and reports the CPU time per
// request (cpu-ns/op) of the whole process; drain, if set, runs inside the
// measured span after the loop, so work a background writer still had
// queued is counted.
func serveCPU(b *testing.B, h http.Handler, req *http.Request, want int, drain func()) {
	b.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req.Clone(req.Context()))
	if rec.Code != want {
		b.Fatalf("status %d, want %d", rec.Code, want)
	}
	w := &nopWriter{h: http.Header{}}
	b.ReportAllocs()
	c0 := cpuNow(b)
	for b.Loop() {
		clear(w.h)
		h.ServeHTTP(w, req)
	}
	if drain != nil {
		drain()
	}
	b.ReportMetric(float64(cpuNow(b)-c0)/float64(b.N), "cpu-ns/op")
}

// authed is auth's middleware, API keys only, in front of a handler that
// answers "ok": every request without a key is refused.
func authed(b *testing.B) http.Handler {
	keys, err := auth.NewMemoryStore(nil)
	if err != nil {
		b.Fatal(err)
	}
	ak, err := auth.NewAPIKeys(auth.APIKeysConfig{Store: keys})
	if err != nil {
		b.Fatal(err)
	}
	am, err := auth.New(auth.Config{Authenticators: []auth.Authenticator{ak}})
	if err != nil {
		b.Fatal(err)
	}
	return am.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) }))
}

// BenchmarkRefusal is a refusal before authentication, writer included:
// the full recommended stack (errors.Recover, audit, ratelimit by IP, auth)
// refusing a request without a token (401) and a rate-limited client (429),
// repeats of one client's refusal summarised as by default (Repeats), and
// /no-token-each-event with an event for every request, as when each comes
// from another client, and /auth-alone, errors.Recover and auth only (the
// least a refusal in the problem format costs),
// beside /peer, the plainest stack a peer would write: a strings.HasPrefix
// check of Authorization, one slog JSON line, http.Error. Each reports the
// process's CPU per request (cpu-ns/op), so the audit writer's goroutine is
// counted: the auditor is Blocking (no event is dropped to save work) and
// is closed, its queue written, inside the measured span.
func BenchmarkRefusal(b *testing.B) {
	stack := func(b *testing.B, limit int, repeats audit.Repeats) (http.Handler, func()) {
		a, err := audit.New(audit.Config{Handlers: []slog.Handler{audit.NewJSONHandler(io.Discard, nil)}, Blocking: true, Repeats: repeats})
		if err != nil {
			b.Fatal(err)
		}
		byIP, err := ratelimit.ByIP(ratelimit.IPConfig{})
		if err != nil {
			b.Fatal(err)
		}
		rl, err := ratelimit.New(ratelimit.Config{Name: "ip", Key: byIP,
			Policies: []ratelimit.Policy{{Name: "per-ip", Limit: limit, Period: time.Hour}}})
		if err != nil {
			b.Fatal(err)
		}
		return apierrors.Recover(a.Handler(rl.Handler(authed(b)))), func() { a.Close(context.Background()) }
	}
	req := httptest.NewRequest("GET", "/v1/items/42", nil)
	req.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36")
	b.Run("no-token", func(b *testing.B) {
		h, closeFn := stack(b, 1<<30, audit.Repeats{})
		serveCPU(b, h, req, http.StatusUnauthorized, closeFn)
	})
	b.Run("no-token-each-event", func(b *testing.B) {
		h, closeFn := stack(b, 1<<30, audit.Repeats{Disabled: true})
		serveCPU(b, h, req, http.StatusUnauthorized, closeFn)
	})
	b.Run("rate-limited", func(b *testing.B) {
		h, closeFn := stack(b, 1, audit.Repeats{})
		h.ServeHTTP(httptest.NewRecorder(), req.Clone(req.Context())) // spends the one request
		serveCPU(b, h, req, http.StatusTooManyRequests, closeFn)
	})
	b.Run("auth-alone", func(b *testing.B) {
		// The floor of a refusal in the problem format: errors.Recover and
		// auth only — a request ID, a 401 problem body and its challenge —
		// without audit or a rate limit.
		serveCPU(b, apierrors.Recover(authed(b)), req, http.StatusUnauthorized, nil)
	})
	b.Run("peer", func(b *testing.B) {
		log := slog.New(slog.NewJSONHandler(io.Discard, nil))
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ") {
				log.Warn("unauthorized", "method", r.Method, "path", r.URL.Path, "remote_addr", r.RemoteAddr,
					"user_agent", r.UserAgent(), "status", http.StatusUnauthorized)
				http.Error(w, "unauthorized", http.StatusUnauthorized)
				return
			}
			w.Write([]byte("ok"))
		})
		serveCPU(b, h, req, http.StatusUnauthorized, nil)
	})
}
