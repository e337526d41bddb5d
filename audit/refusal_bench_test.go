//go:build unix

package audit_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/apishield/apishield/audit"
	apierrors "github.com/apishield/apishield/errors"
	"github.com/apishield/apishield/internal/cpubench"
)

// BenchmarkRefusal is a refusal before authentication, writer included:
// the full recommended stack (errors.Recover, audit, ratelimit by IP, auth)
// refusing a request without a token (401) and a rate-limited client (429),
// repeats of one client's refusal summarised as by default (Repeats), and
// /no-token-each-event with an event for every request, as when each comes
// from another client, and /auth-alone, errors.Recover and auth only (the
// least a refusal in the problem format costs),
// beside /peer, a handwritten refusal: a strings.HasPrefix check of
// Authorization, one slog JSON line, http.Error. Each reports the
// process's CPU per request (cpu-ns/op), so the audit writer's goroutine is
// counted: the auditor is Blocking (no event is dropped to save work) and
// is closed, its queue written, inside the measured span. The budget's
// comparison, with the plainest peer stack, is benchmarks/peers.
func BenchmarkRefusal(b *testing.B) {
	req := httptest.NewRequest("GET", "/v1/items/42", nil)
	req.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36")
	b.Run("no-token", func(b *testing.B) {
		h, closeFn := cpubench.RefusalStack(b, 1<<30, audit.Repeats{})
		cpubench.Serve(b, h, req, http.StatusUnauthorized, closeFn)
	})
	b.Run("no-token-each-event", func(b *testing.B) {
		h, closeFn := cpubench.RefusalStack(b, 1<<30, audit.Repeats{Disabled: true})
		cpubench.Serve(b, h, req, http.StatusUnauthorized, closeFn)
	})
	b.Run("rate-limited", func(b *testing.B) {
		h, closeFn := cpubench.RefusalStack(b, 1, audit.Repeats{})
		h.ServeHTTP(httptest.NewRecorder(), req.Clone(req.Context())) // spends the one request
		cpubench.Serve(b, h, req, http.StatusTooManyRequests, closeFn)
	})
	b.Run("auth-alone", func(b *testing.B) {
		// The floor of a refusal in the problem format: errors.Recover and
		// auth only — a request ID, a 401 problem body and its challenge —
		// without audit or a rate limit.
		cpubench.Serve(b, apierrors.Recover(cpubench.Authenticated(b, cpubench.OK)), req, http.StatusUnauthorized, nil)
	})
	b.Run("peer", func(b *testing.B) {
		cpubench.Serve(b, cpubench.Handwritten(), req, http.StatusUnauthorized, nil)
	})
}
