//go:build unix

package peers

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/go-chi/httprate"
	"github.com/go-chi/jwtauth/v5"

	"github.com/apishield/apishield/audit"
	"github.com/apishield/apishield/auth"
	apierrors "github.com/apishield/apishield/errors"
	"github.com/apishield/apishield/ratelimit"
)

// cpuNow is the process's CPU time so far, user and system: it counts
// every goroutine's work, a background writer's and the collector's too.
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

// serveCPU serves req through h b.N times and reports the process's CPU
// per request (cpu-ns/op); drain, if set, runs inside the measured span,
// so work a background writer still had queued is counted.
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

var ok = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) })

// apishieldStack is the recommended stack: errors.Recover, audit (every
// event written, as JSON, by its writer), ratelimit by IP and auth.
func apishieldStack(b *testing.B, limit int) (http.Handler, func()) {
	a, err := audit.New(audit.Config{Handlers: []slog.Handler{audit.NewJSONHandler(io.Discard, nil)}, Blocking: true})
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
	return apierrors.Recover(a.Handler(rl.Handler(am.Handler(ok)))), func() { a.Close(context.Background()) }
}

// statusWriter records the status for a request log.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(status int) {
	w.status = status
	w.ResponseWriter.WriteHeader(status)
}

// requestLog is the request logger such a stack has: one slog JSON line
// per request, after it is served.
func requestLog(log *slog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
			next.ServeHTTP(sw, r)
			log.LogAttrs(r.Context(), slog.LevelInfo, "request",
				slog.String("method", r.Method), slog.String("path", r.URL.Path),
				slog.Int("status", sw.status), slog.String("remote_addr", r.RemoteAddr),
				slog.String("user_agent", r.UserAgent()), slog.Duration("duration", time.Since(start)))
		})
	}
}

// keyByPeer keys by the socket peer, as apishield's ByIP does without
// trusted proxies (httprate's own KeyByIP, which does the same, is
// deprecated for its name).
func keyByPeer(r *http.Request) (string, error) {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	return httprate.CanonicalizeIP(host), err
}

// peerStack is the plainest stack of the libraries Go services use
// instead: a slog request log, httprate by IP, and jwtauth's Verifier
// and Authenticator.
func peerStack(limit int) http.Handler {
	ja := jwtauth.New("HS256", []byte("a secret of thirty-two bytes....."), nil)
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	limiter := httprate.LimitBy(limit, time.Hour, keyByPeer)
	return requestLog(log)(limiter(jwtauth.Verifier(ja)(jwtauth.Authenticator(ja)(ok))))
}

// BenchmarkRefusal is a refusal before authentication, writer included,
// in process CPU per request (cpu-ns/op): a request without a token (401)
// and from a client over its rate limit (429),
//
//   - through apishield's recommended stack, whose auditor summarises a
//     client's repeated refusals (audit.Repeats, the default);
//   - through the plainest peer stack (see peerStack), which logs a line
//     for each;
//   - and, as a floor no stack reaches, /handwritten: a prefix check of
//     Authorization, one slog JSON line and http.Error, with no rate
//     limiter, request ID or problem body.
func BenchmarkRefusal(b *testing.B) {
	req := httptest.NewRequest("GET", "/v1/items/42", nil)
	req.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36")
	spend := func(h http.Handler) { h.ServeHTTP(httptest.NewRecorder(), req.Clone(req.Context())) }

	b.Run("apishield/no-token", func(b *testing.B) {
		h, drain := apishieldStack(b, 1<<30)
		serveCPU(b, h, req, http.StatusUnauthorized, drain)
	})
	b.Run("peer/no-token", func(b *testing.B) {
		serveCPU(b, peerStack(1<<30), req, http.StatusUnauthorized, nil)
	})
	b.Run("apishield/rate-limited", func(b *testing.B) {
		h, drain := apishieldStack(b, 1)
		spend(h)
		serveCPU(b, h, req, http.StatusTooManyRequests, drain)
	})
	b.Run("peer/rate-limited", func(b *testing.B) {
		h := peerStack(1)
		spend(h)
		serveCPU(b, h, req, http.StatusTooManyRequests, nil)
	})
	b.Run("handwritten/no-token", func(b *testing.B) {
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
