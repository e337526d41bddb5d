package cors

import (
	"net/http"

	apierrors "github.com/apishield/apishield/errors"
	"github.com/apishield/apishield/internal/record"
)

const pkgName = "cors"

// Shared, never-modified header values: assigning them to a response's
// header map costs no allocation. Their capacity equals their length, so a
// later Header.Add by another handler copies instead of writing into them.
var (
	varyOrigin    = []string{"Origin"}
	varyPreflight = []string{"Origin, Access-Control-Request-Method, Access-Control-Request-Headers, Access-Control-Request-Private-Network"}
)

// Handler answers preflights itself and checks every other request before
// next sees it:
//
//   - no Origin header: not a CORS request; next runs, untouched but for
//     Vary: Origin.
//   - the API's own origin: next runs, with no CORS headers.
//   - an allowed preflight: 204 with the Access-Control-Allow-* headers;
//     next never runs.
//   - an allowed cross-origin request: Access-Control-Allow-Origin (and
//     -Credentials, -Expose-Headers as configured) are set, then next runs,
//     so its responses, problems included, are readable by the page.
//   - anything else: 403 origin_not_allowed through apierrors.Write, with
//     no CORS headers; next never runs.
//
// Every response carries Vary: Origin, and a preflight's also names the
// Access-Control-Request-* headers, so shared caches never serve one
// origin's answer to another. Decisions on requests with an Origin go to
// the request record.
func (m *Middleware) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		origins, ok := r.Header["Origin"]
		if !ok {
			addVary(h, varyOrigin)
			next.ServeHTTP(w, r)
			return
		}
		v := m.decide(r, origins)
		if v.kind == preflight || v.kind == sameOrigin && r.Method == http.MethodOptions && r.Header["Access-Control-Request-Method"] != nil {
			addVary(h, varyPreflight)
		} else {
			addVary(h, varyOrigin)
		}
		w, r, rec := record.Install(w, r)
		if v.err != nil {
			rec.AddDecision(record.Decision{Package: pkgName, Outcome: record.Deny, Reason: apierrors.ReasonOriginNotAllowed, Rule: v.rule})
			m.decisions.Decision(r.Context(), outcomeDeny, decisionEvent)
			apierrors.Write(w, r, v.err)
			return
		}
		switch v.kind {
		case sameOrigin:
			rec.AddDecision(record.Decision{Package: pkgName, Outcome: record.Skip, Rule: v.rule})
			m.decisions.Count(outcomeAllow)
			next.ServeHTTP(w, r)
		case preflight:
			rec.AddDecision(record.Decision{Package: pkgName, Outcome: record.Allow, Rule: v.rule})
			m.decisions.Decision(r.Context(), outcomePreflight, decisionEvent)
			v.p.writePreflight(h, v.acao, wantsPrivateNetwork(r))
			w.WriteHeader(http.StatusNoContent)
		default:
			rec.AddDecision(record.Decision{Package: pkgName, Outcome: record.Allow, Rule: v.rule})
			m.decisions.Count(outcomeAllow)
			h["Access-Control-Allow-Origin"] = v.acao
			if v.p.credentials {
				h["Access-Control-Allow-Credentials"] = hdrTrue
			}
			if v.p.expose != nil {
				h["Access-Control-Expose-Headers"] = v.p.expose
			}
			next.ServeHTTP(w, r)
		}
	})
}

// writePreflight sets the headers of an allowed preflight's answer.
func (p *policy) writePreflight(h http.Header, acao []string, privateNetwork bool) {
	h["Access-Control-Allow-Origin"] = acao
	h["Access-Control-Allow-Methods"] = p.allowMethods
	if p.allowHeaders != nil {
		h["Access-Control-Allow-Headers"] = p.allowHeaders
	}
	if p.maxAge != nil {
		h["Access-Control-Max-Age"] = p.maxAge
	}
	if p.credentials {
		h["Access-Control-Allow-Credentials"] = hdrTrue
	}
	if privateNetwork && p.privateNetwork {
		h["Access-Control-Allow-Private-Network"] = hdrTrue
	}
}

// addVary adds v to the Vary header without allocating when there is none
// yet.
func addVary(h http.Header, v []string) {
	old, ok := h["Vary"]
	if !ok {
		h["Vary"] = v
		return
	}
	h["Vary"] = append(old[:len(old):len(old)], v...)
}
