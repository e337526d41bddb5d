package audit

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/apishield/apishield/internal/record"
)

// eventKind drives an auditor to write one kind of event. The schema tests
// run every kind in both schemas, so a kind added here is validated against
// OCSF and ECS at once.
type eventKind struct {
	name  string
	cfg   Config // Handlers and Schema are set by the caller
	run   func(t *testing.T, a *Auditor)
	lines int // how many lines the kind writes
}

// deny records a package's denial and the problem written for it.
func deny(w http.ResponseWriter, rec *record.Record, pkg, reason string, status int) {
	rec.AddDecision(record.Decision{Package: pkg, Outcome: record.Deny, Reason: reason, Rule: "rule"})
	rec.SetProblem(record.Problem{Status: status, Reason: reason})
	w.WriteHeader(status)
}

var testPrincipal = record.Principal{Subject: "alice", Issuer: "https://idp.example", ClientID: "web-app", Method: "jwt"}

func eventKinds() []eventKind {
	get := func(target string) *http.Request {
		r := httptest.NewRequest("GET", target, nil)
		r.Header.Set("User-Agent", "curl/8.5")
		return r
	}
	withMethod := func(method string) func(t *testing.T, a *Auditor) {
		return func(t *testing.T, a *Auditor) {
			serveRec(a, httptest.NewRequest(method, "/v1/items/7", strings.NewReader("{}")), func(w http.ResponseWriter, r *http.Request, rec *record.Record) {
				rec.SetPrincipal(testPrincipal)
				w.WriteHeader(http.StatusNoContent)
			})
		}
	}
	return []eventKind{
		{name: "request allowed", lines: 1, run: func(t *testing.T, a *Auditor) {
			serveRec(a, get("/v1/items/7?limit=10"), func(w http.ResponseWriter, r *http.Request, rec *record.Record) {
				rec.SetPrincipal(testPrincipal)
				rec.AddRouteDecision("GET /v1/items/{id}", record.Decision{Package: "authz", Outcome: record.Allow, Reason: "owner"})
				rec.SetRateLimit(record.RateLimit{Policy: "per-ip", Key: "ip", Limit: 10, Remaining: 9, Allowed: true})
				w.Write([]byte("{}"))
			})
		}},
		{name: "request denied by authz", lines: 1, run: func(t *testing.T, a *Auditor) {
			serveRec(a, get("/v1/items/7"), func(w http.ResponseWriter, r *http.Request, rec *record.Record) {
				rec.SetPrincipal(testPrincipal)
				deny(w, rec, "authz", "forbidden", 403)
			})
		}},
		{name: "anonymous request refused by auth", lines: 1, run: func(t *testing.T, a *Auditor) {
			serveRec(a, get("/v1/items/7"), func(w http.ResponseWriter, r *http.Request, rec *record.Record) {
				deny(w, rec, "auth", "invalid_token", 401)
			})
		}},
		{name: "revoked token refused by auth", lines: 1, run: func(t *testing.T, a *Auditor) {
			serveRec(a, get("/v1/items/7"), func(w http.ResponseWriter, r *http.Request, rec *record.Record) {
				rec.AddDecision(record.Decision{Package: "auth", Outcome: record.Deny, Reason: "invalid_token", Rule: "bearer:token_revoked"})
				rec.SetProblem(record.Problem{Status: 401, Reason: "invalid_token"})
				w.WriteHeader(401)
			})
		}},
		{name: "anonymous request allowed", lines: 1, run: func(t *testing.T, a *Auditor) {
			serveRec(a, get("/healthz"), func(w http.ResponseWriter, r *http.Request, rec *record.Record) {})
		}},
		{name: "caller with a client ID only", lines: 1, run: func(t *testing.T, a *Auditor) {
			serveRec(a, get("/v1/items"), func(w http.ResponseWriter, r *http.Request, rec *record.Record) {
				rec.SetPrincipal(record.Principal{ClientID: "batch-job", Method: "api_key"})
			})
		}},
		{name: "rate limited", lines: 1, run: func(t *testing.T, a *Auditor) {
			serveRec(a, get("/v1/items"), func(w http.ResponseWriter, r *http.Request, rec *record.Record) {
				rec.SetRateLimit(record.RateLimit{Policy: "per-ip", Key: "ip", Limit: 10, RetryAfter: time.Second})
				deny(w, rec, "ratelimit", "rate_limited", 429)
			})
		}},
		{name: "repeated refusals without a credential, summarised", lines: 2, run: func(t *testing.T, a *Auditor) {
			for _, id := range []string{"1", "2", "3"} {
				serveRec(a, get("/v1/items/"+id), func(w http.ResponseWriter, r *http.Request, rec *record.Record) {
					rec.AddRouteDecision("GET /v1/items/{id}", record.Decision{Package: "auth", Outcome: record.Deny, Reason: "unauthenticated", Rule: "none:no_credentials"})
					rec.SetProblem(record.Problem{Status: 401, Reason: "unauthenticated"})
					w.WriteHeader(401)
				})
			}
		}},
		{name: "repeated rate limiting on no route, summarised", lines: 2, run: func(t *testing.T, a *Auditor) {
			for range 3 {
				serveRec(a, get("/nowhere"), func(w http.ResponseWriter, r *http.Request, rec *record.Record) {
					deny(w, rec, "ratelimit", "rate_limited", 429)
				})
			}
		}},
		{name: "validation failure", lines: 1, run: func(t *testing.T, a *Auditor) {
			serveRec(a, httptest.NewRequest("POST", "/v1/items", strings.NewReader(`{"price":-1}`)), func(w http.ResponseWriter, r *http.Request, rec *record.Record) {
				rec.SetPrincipal(testPrincipal)
				rec.AddFieldErrors(record.FieldError{Pointer: "/price", Keyword: "minimum", Detail: "must be >= 0"})
				deny(w, rec, "validate", "validation_failed", 422)
			})
		}},
		{name: "object not found", lines: 1, run: func(t *testing.T, a *Auditor) {
			serveRec(a, get("/v1/items/999"), func(w http.ResponseWriter, r *http.Request, rec *record.Record) {
				rec.SetPrincipal(testPrincipal)
				rec.AddDecision(record.Decision{Package: "authz", Outcome: record.NotFound, Reason: "not_found", Rule: "owner"})
				rec.SetProblem(record.Problem{Status: 404, Reason: "not_found"})
				w.WriteHeader(404)
			})
		}},
		{name: "handler panic", lines: 1, run: func(t *testing.T, a *Auditor) {
			defer func() { recover() }()
			serveRec(a, get("/v1/boom"), func(w http.ResponseWriter, r *http.Request, rec *record.Record) { panic("boom") })
		}},
		{name: "admin activity", cfg: Config{AdminPaths: []string{"/admin/"}}, lines: 1, run: func(t *testing.T, a *Auditor) {
			serveRec(a, httptest.NewRequest("DELETE", "/admin/users/42", nil), func(w http.ResponseWriter, r *http.Request, rec *record.Record) {
				rec.SetPrincipal(testPrincipal)
			})
		}},
		{name: "PATCH, which OCSF's method list lacks", lines: 1, run: withMethod(http.MethodPatch)},
		{name: "OPTIONS, an activity of its own", lines: 1, run: withMethod(http.MethodOptions)},
		{name: "an extension method", lines: 1, run: withMethod("PURGE")},
		{name: "deprecated route", lines: 1, run: func(t *testing.T, a *Auditor) {
			serveRec(a, get("/v1/old"), func(w http.ResponseWriter, r *http.Request, rec *record.Record) {
				rec.AddDecision(record.Decision{Package: deprecationPackage, Outcome: record.Allow, Reason: "deprecated"})
			})
		}},
		{name: "chunked body, extra header, client's request ID", cfg: Config{Headers: []string{"X-Tenant"}}, lines: 1, run: func(t *testing.T, a *Auditor) {
			req := httptest.NewRequest("POST", "/v1/items", strings.NewReader("hello"))
			req.ContentLength = -1
			req.Header.Set("X-Tenant", "acme")
			req.Header.Set("X-Request-ID", "client-1")
			serveRec(a, req, func(w http.ResponseWriter, r *http.Request, rec *record.Record) {
				var b [16]byte
				for {
					if _, err := r.Body.Read(b[:]); err != nil {
						break
					}
				}
			})
		}},
		{name: "peer address that is not an IP", lines: 1, run: func(t *testing.T, a *Auditor) {
			req := get("/v1/items")
			req.RemoteAddr = "@"
			serveRec(a, req, func(w http.ResponseWriter, r *http.Request, rec *record.Record) {})
		}},
		{name: "Log inside a request", lines: 2, run: func(t *testing.T, a *Auditor) {
			serveRec(a, httptest.NewRequest("POST", "/admin/roles", nil), func(w http.ResponseWriter, r *http.Request, rec *record.Record) {
				rec.SetPrincipal(testPrincipal)
				rec.SetRoute("POST /admin/roles")
				rec.SetClientIP(netip.MustParseAddr("192.0.2.9"))
				if err := a.Log(r.Context(), Event{Action: ActionPrivilegeChanged, Outcome: Success, Target: "user:42",
					Attrs: []slog.Attr{slog.String("role", "admin")}}); err != nil {
					t.Error(err)
				}
			})
		}},
		{name: "Log inside a request: a login the application checks, no client IP", lines: 2, run: func(t *testing.T, a *Auditor) {
			serveRec(a, httptest.NewRequest("POST", "/login", nil), func(w http.ResponseWriter, r *http.Request, rec *record.Record) {
				if err := a.Log(r.Context(), Event{Action: ActionAuthnLoginFail, Outcome: Failure, Reason: "invalid_password", User: "bob"}); err != nil {
					t.Error(err)
				}
				w.WriteHeader(401)
			})
		}},
		{name: "Log inside a request: created, updated, deleted", lines: 4, run: func(t *testing.T, a *Auditor) {
			serveRec(a, httptest.NewRequest("POST", "/v1/users", nil), func(w http.ResponseWriter, r *http.Request, rec *record.Record) {
				rec.SetPrincipal(testPrincipal)
				for _, act := range []string{ActionUserCreated, ActionUserUpdated, ActionUserDeleted} {
					if err := a.Log(r.Context(), Event{Action: act, Outcome: Success, Target: "user:7"}); err != nil {
						t.Error(err)
					}
				}
			})
		}},
		{name: "Log outside a request", lines: 1, run: func(t *testing.T, a *Auditor) {
			if err := a.Log(context.Background(), Event{Action: ActionUserCreated, Outcome: Success, User: "carol",
				Target: "user:9", Message: "created by the nightly sync", Attrs: []slog.Attr{slog.Int("batch", 3)}}); err != nil {
				t.Error(err)
			}
		}},
		{name: "Log outside a request: revocation", lines: 1, run: func(t *testing.T, a *Auditor) {
			if err := a.Log(context.Background(), Event{Action: ActionAuthnTokenRevoked, Outcome: Success, User: "dave", Reason: "logout"}); err != nil {
				t.Error(err)
			}
		}},
		{name: "Log outside a request: the application's own action, nobody named", lines: 1, run: func(t *testing.T, a *Auditor) {
			if err := a.Log(context.Background(), Event{Action: "config_reloaded"}); err != nil {
				t.Error(err)
			}
		}},
		{name: "brute force from one client IP", cfg: Config{BruteForce: BruteForce{Threshold: 2}}, lines: 3, run: func(t *testing.T, a *Auditor) {
			for range 2 {
				serveRec(a, get("/v1/items"), func(w http.ResponseWriter, r *http.Request, rec *record.Record) {
					deny(w, rec, "auth", "invalid_token", 401)
				})
			}
		}},
		{name: "brute force on one user", cfg: Config{BruteForce: BruteForce{Threshold: 2}}, lines: 3, run: func(t *testing.T, a *Auditor) {
			for range 2 {
				a.Log(context.Background(), Event{Action: ActionAuthnLoginFail, Outcome: Failure, User: "erin"})
			}
		}},
		{name: "hash chain", cfg: Config{ChainKey: make32()}, lines: 2, run: func(t *testing.T, a *Auditor) {
			serveRec(a, get("/v1/items"), func(w http.ResponseWriter, r *http.Request, rec *record.Record) {
				rec.SetPrincipal(testPrincipal)
			})
			a.Log(context.Background(), Event{Action: ActionUserDeleted, Outcome: Success, User: "frank"})
		}},
	}
}

// emitKinds runs every event kind in schema s and returns each kind's lines.
func emitKinds(t *testing.T, s Schema) map[string][]map[string]any {
	t.Helper()
	out := map[string][]map[string]any{}
	for _, k := range eventKinds() {
		cfg := k.cfg
		cfg.Schema = s
		a, flush, _ := newTest(t, cfg)
		k.run(t, a)
		lines := flush()
		if len(lines) != k.lines {
			t.Errorf("%s: %d lines, want %d", k.name, len(lines), k.lines)
		}
		out[k.name] = lines
	}
	return out
}
