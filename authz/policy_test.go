package authz_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/apishield/apishield/auth"
	"github.com/apishield/apishield/authz"
	apierrors "github.com/apishield/apishield/errors"
	"github.com/apishield/apishield/internal/record"
)

// logBuffer collects JSON log lines, safe for concurrent use.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// entries returns the logged records' levels and messages.
func (b *logBuffer) entries(t *testing.T) []map[string]any {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []map[string]any
	for _, line := range bytes.Split(bytes.TrimSpace(b.buf.Bytes()), []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal(line, &m); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		out = append(out, m)
	}
	return out
}

func (b *logBuffer) logger() *slog.Logger {
	return slog.New(slog.NewJSONHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

func TestNewConfigErrors(t *testing.T) {
	t.Parallel()
	ok := authz.AnyRole("a")
	tests := []struct {
		name   string
		routes map[string]authz.Rule
	}{
		{"empty", nil},
		{"nil rule", map[string]authz.Rule{"GET /x": nil}},
		{"lower-case method", map[string]authz.Rule{"get /x": ok}},
		{"no slash", map[string]authz.Rule{"GET x": ok}},
		{"space in pattern", map[string]authz.Rule{"GET /x y": ok}},
		{"twice with method", map[string]authz.Rule{"GET /x": ok, "GET  /x": ok}},
		{"twice without method", map[string]authz.Rule{"/x": ok, " /x": ok}},
		{"invalid rule", map[string]authz.Rule{"GET /x": authz.AllScopes()}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := authz.New(authz.Config{Routes: tt.routes}); !errors.Is(err, authz.ErrInvalidConfig) {
				t.Fatalf("got %v, want ErrInvalidConfig", err)
			}
		})
	}
}

// onRoute returns a request that a router has matched to pattern, as
// ServeMux and chi leave it for the handlers they call.
func onRoute(method, path, pattern string, p *auth.Principal) *http.Request {
	r := as(httptest.NewRequest(method, path, nil), p)
	r.Pattern = pattern
	return r
}

func TestPolicyLookup(t *testing.T) {
	t.Parallel()
	pol, err := authz.New(authz.Config{Routes: map[string]authz.Rule{
		"GET /v1/items":       authz.AllScopes("items:read"),
		"POST /v1/items":      authz.AllScopes("items:write"),
		"GET /v1/items/{id}":  authz.AnyRole("viewer"),
		"/v1/any":             authz.AnyRole("editor"),
		"DELETE /v1/any":      authz.AnyRole("admin"),
		"GET /healthz":        authz.Public(),
		"GET /v1/only-get":    authz.AnyRole("viewer"),
		"PUT /v1/items/{id}":  authz.AnyRole("nobody"),
		"GET example.com/v1/": authz.AnyRole("editor"),
	}, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name             string
		method, pattern  string
		anonymous        bool
		status           int
		wantRoute, why   string
		wantDecisionRule string
	}{
		{name: "method in the pattern", method: "GET", pattern: "GET /v1/items", status: 204, wantRoute: "GET /v1/items"},
		{name: "other method entry", method: "POST", pattern: "POST /v1/items", status: 204, wantRoute: "POST /v1/items"},
		{name: "wildcard pattern", method: "GET", pattern: "GET /v1/items/{id}", status: 204, wantRoute: "GET /v1/items/{id}"},
		{name: "entry denies", method: "PUT", pattern: "PUT /v1/items/{id}", status: 403, wantRoute: "PUT /v1/items/{id}", wantDecisionRule: "any_role(nobody)"},
		{name: "HEAD on a GET pattern uses the GET entry", method: "HEAD", pattern: "GET /v1/items", status: 204, wantRoute: "GET /v1/items"},
		{name: "pattern without method: request method's entry", method: "DELETE", pattern: "/v1/any", status: 403, wantRoute: "DELETE /v1/any", wantDecisionRule: "any_role(admin)"},
		{name: "pattern without method: the any-method entry", method: "PATCH", pattern: "/v1/any", status: 204, wantRoute: "/v1/any"},
		{name: "pattern without method, HEAD falls back to GET", method: "HEAD", pattern: "/v1/only-get", status: 204, wantRoute: "GET /v1/only-get"},
		{name: "no entry for the method", method: "POST", pattern: "/v1/only-get", status: 403, wantRoute: "POST /v1/only-get", wantDecisionRule: "no_policy"},
		{name: "no entry for the pattern", method: "GET", pattern: "GET /v1/forgotten", status: 403, wantRoute: "GET /v1/forgotten", wantDecisionRule: "no_policy"},
		{name: "host pattern", method: "GET", pattern: "GET example.com/v1/", status: 204, wantRoute: "GET example.com/v1/"},
		{name: "public anonymous", method: "GET", pattern: "GET /healthz", anonymous: true, status: 204, wantRoute: "GET /healthz"},
		{name: "anonymous", method: "GET", pattern: "GET /v1/items", anonymous: true, status: 401, wantRoute: "GET /v1/items", wantDecisionRule: "principal"},
		{name: "no pattern source", method: "GET", pattern: "", status: 403, wantRoute: "", wantDecisionRule: "unknown_route"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := alice()
			if tt.anonymous {
				p = nil
			}
			req := onRoute(tt.method, "/whatever", tt.pattern, p)
			c := do(t, pol.Handler, req)
			if c.resp.Code != tt.status {
				t.Fatalf("got %d %s, want %d", c.resp.Code, c.resp.Body, tt.status)
			}
			if got := c.rec.Route(); got != tt.wantRoute {
				t.Errorf("got record route %q, want %q", got, tt.wantRoute)
			}
			ds := authzDecisions(c.rec)
			if len(ds) != 1 {
				t.Fatalf("got decisions %v, want one", ds)
			}
			if tt.status < 400 {
				if ds[0].Outcome != record.Allow || ds[0].Rule != tt.wantRoute {
					t.Errorf("got %+v, want allow by route %q", ds[0], tt.wantRoute)
				}
			} else if ds[0].Outcome != record.Deny || ds[0].Rule != tt.wantDecisionRule {
				t.Errorf("got %+v, want deny by %q", ds[0], tt.wantDecisionRule)
			}
			if err := pol.Check(req); (err == nil) != (tt.status < 400) {
				t.Errorf("Check: got %v, want it to agree with the Handler's %d", err, tt.status)
			}
		})
	}
}

func TestPolicyLogsWiringErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		req       *http.Request
		auth      bool // record an auth decision first, as auth's middleware does
		wantLevel string
		wantMsg   string
	}{
		{name: "missing entry", req: onRoute("GET", "/x", "GET /forgotten", alice()), wantLevel: "ERROR", wantMsg: "no policy entry"},
		{name: "unknown pattern", req: onRoute("GET", "/x", "", alice()), wantLevel: "ERROR", wantMsg: "cannot learn"},
		{name: "no principal, no auth", req: onRoute("GET", "/x", "GET /x", nil), wantLevel: "ERROR", wantMsg: "install auth's middleware before authz"},
		{name: "anonymous let through by auth", req: onRoute("GET", "/x", "GET /x", nil), auth: true, wantLevel: "DEBUG", wantMsg: "anonymous caller refused"},
		{name: "plain denial", req: onRoute("GET", "/x", "GET /x", alice()), wantLevel: "DEBUG", wantMsg: "authz: denied"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var logs logBuffer
			pol, err := authz.New(authz.Config{Routes: map[string]authz.Rule{"GET /x": authz.AnyRole("admin")}, Logger: logs.logger()})
			if err != nil {
				t.Fatal(err)
			}
			mw := pol.Handler
			if tt.auth {
				mw = func(next http.Handler) http.Handler {
					return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
						record.From(r.Context()).AddDecision(record.Decision{Package: "auth", Outcome: record.Skip, Reason: "anonymous"})
						pol.Handler(next).ServeHTTP(w, r)
					})
				}
			}
			c := do(t, mw, tt.req)
			if c.served || c.resp.Code < 400 {
				t.Fatalf("got %d, want a refusal", c.resp.Code)
			}
			entries := logs.entries(t)
			if len(entries) != 1 {
				t.Fatalf("got %d log entries %v, want 1", len(entries), entries)
			}
			e := entries[0]
			if e["level"] != tt.wantLevel || !strings.Contains(e["msg"].(string), tt.wantMsg) {
				t.Errorf("got %v %q, want %v containing %q", e["level"], e["msg"], tt.wantLevel, tt.wantMsg)
			}
			if e["request_id"] != c.rec.ID() {
				t.Errorf("log entry has request_id %v, want %s", e["request_id"], c.rec.ID())
			}
		})
	}
}

func TestDryRun(t *testing.T) {
	t.Parallel()
	var logs logBuffer
	pol, err := authz.New(authz.Config{
		Routes: map[string]authz.Rule{
			"POST /v1/items": authz.AllScopes("items:admin"),
			"GET /v1/items":  authz.AllScopes("items:read"),
		},
		DryRun: true,
		Logger: logs.logger(),
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name        string
		req         *http.Request
		wantOutcome record.Outcome
		wantReason  string
	}{
		{"allowed", onRoute("GET", "/v1/items", "GET /v1/items", alice()), record.Allow, "all_scopes(items:read)"},
		{"would deny scope", onRoute("POST", "/v1/items", "POST /v1/items", alice()), record.Skip, scope},
		{"would deny no policy", onRoute("DELETE", "/v1/items", "DELETE /v1/items", alice()), record.Skip, forbidden},
		{"would deny anonymous", onRoute("GET", "/v1/items", "GET /v1/items", nil), record.Skip, unauthn},
	}
	for _, tt := range tests {
		c := do(t, pol.Handler, tt.req)
		if !c.served || c.resp.Code != 204 {
			t.Fatalf("%s: got %d, served %v; dry run must serve", tt.name, c.resp.Code, c.served)
		}
		ds := authzDecisions(c.rec)
		if len(ds) != 1 || ds[0].Outcome != tt.wantOutcome || ds[0].Reason != tt.wantReason {
			t.Errorf("%s: got decisions %+v, want %s %s", tt.name, ds, tt.wantOutcome, tt.wantReason)
		}
		if err := pol.Check(tt.req); (err == nil) != (tt.wantOutcome == record.Allow) {
			t.Errorf("%s: Check got %v; it reports what would happen", tt.name, err)
		}
	}
	var wouldDeny int
	for _, e := range logs.entries(t) {
		if e["msg"] == "authz: dry run: would deny" {
			wouldDeny++
		}
	}
	if wouldDeny != 3 {
		t.Errorf("got %d dry-run warnings, want 3", wouldDeny)
	}
}

func TestCheckReturnsACopy(t *testing.T) {
	t.Parallel()
	req := as(httptest.NewRequest("GET", "/", nil), alice())
	err := authz.Check(req, authz.AllScopes("nope:x"))
	var p *apierrors.Problem
	if !errors.As(err, &p) || p.Reason != scope {
		t.Fatalf("got %v, want an insufficient_scope problem", err)
	}
	p.Header.Set("WWW-Authenticate", "tampered")
	p.Detail = "tampered"
	err = authz.Check(req, authz.AllScopes("nope:x"))
	if !errors.As(err, &p) || p.Detail == "tampered" || p.Header.Get("WWW-Authenticate") == "tampered" {
		t.Fatalf("a caller's change to a returned problem leaked into the next: %+v", p)
	}
}

func TestCheckOwner(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		owner     string
		principal *auth.Principal
		want      string // "" for nil
	}{
		{"owner", "alice", alice(), ""},
		{"other owner", "bob", alice(), notFound},
		{"empty owner", "", alice(), notFound},
		{"empty owner and subject", "", &auth.Principal{}, notFound},
		{"anonymous", "alice", nil, unauthn},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var rec *record.Record
			var err error
			h := installRecord(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				err = authz.CheckOwner(r, tt.owner)
			}), &rec)
			h.ServeHTTP(httptest.NewRecorder(), as(httptest.NewRequest("GET", "/", nil), tt.principal))
			var p *apierrors.Problem
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("got %v, want nil", err)
			case tt.want != "" && (!errors.As(err, &p) || p.Reason != tt.want):
				t.Fatalf("got %v, want %s", err, tt.want)
			}
			ds := authzDecisions(rec)
			wantOutcome := record.Allow
			if tt.want != "" {
				wantOutcome = record.Deny
			}
			if len(ds) != 1 || ds[0].Outcome != wantOutcome {
				t.Errorf("got decisions %+v, want one %s", ds, wantOutcome)
			}
		})
	}
}
