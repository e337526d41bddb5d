//go:build unix

package peers

import (
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/go-chi/httprate"
	"github.com/go-chi/jwtauth/v5"

	"github.com/apishield/apishield/audit"
	"github.com/apishield/apishield/internal/cpubench"
)

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
	return requestLog(log)(limiter(jwtauth.Verifier(ja)(jwtauth.Authenticator(ja)(cpubench.OK))))
}

// BenchmarkRefusal is a refusal before authentication, writer included,
// in process CPU per request (cpu-ns/op): a request without a token (401)
// and from a client over its rate limit (429),
//
//   - through apishield's recommended stack (cpubench.RefusalStack), whose
//     auditor summarises a client's repeated refusals (audit.Repeats, the
//     default);
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
		h, drain := cpubench.RefusalStack(b, 1<<30, audit.Repeats{})
		cpubench.Serve(b, h, req, http.StatusUnauthorized, drain)
	})
	b.Run("peer/no-token", func(b *testing.B) {
		cpubench.Serve(b, peerStack(1<<30), req, http.StatusUnauthorized, nil)
	})
	b.Run("apishield/rate-limited", func(b *testing.B) {
		h, drain := cpubench.RefusalStack(b, 1, audit.Repeats{})
		spend(h)
		cpubench.Serve(b, h, req, http.StatusTooManyRequests, drain)
	})
	b.Run("peer/rate-limited", func(b *testing.B) {
		h := peerStack(1)
		spend(h)
		cpubench.Serve(b, h, req, http.StatusTooManyRequests, nil)
	})
	b.Run("handwritten/no-token", func(b *testing.B) {
		cpubench.Serve(b, cpubench.Handwritten(), req, http.StatusUnauthorized, nil)
	})
}
