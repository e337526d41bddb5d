package authz_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/apishield/apishield/auth"
	"github.com/apishield/apishield/authz"
	apierrors "github.com/apishield/apishield/errors"
	"github.com/apishield/apishield/internal/record"
)

func TestOwner(t *testing.T) {
	t.Parallel()
	fixed := func(owner string, err error) authz.OwnerFunc {
		return func(*http.Request) (string, error) { return owner, err }
	}
	tests := []struct {
		name      string
		rule      authz.Rule
		principal func(*auth.Principal)
		status    int
		reason    string
		missing   bool // recorded as not_found rather than a denial
	}{
		{name: "subject owns", rule: authz.Owner(fixed("alice", nil)), status: 204},
		{name: "other owner", rule: authz.Owner(fixed("bob", nil)), status: 404, reason: notFound},
		{name: "empty owner", rule: authz.Owner(fixed("", nil)), status: 404, reason: notFound},
		{name: "empty owner, empty subject", rule: authz.Owner(fixed("", nil)),
			principal: func(p *auth.Principal) { p.Subject = "" }, status: 404, reason: notFound},
		{name: "resolver denies", rule: authz.Owner(fixed("", fmt.Errorf("archived: %w", authz.ErrDenied))), status: 403, reason: forbidden},
		{name: "resolver's not found", rule: authz.Owner(fixed("", fmt.Errorf("item 1: %w", authz.ErrNotFound))),
			status: 404, reason: notFound, missing: true},
		{name: "resolver's 404 problem", rule: authz.Owner(fixed("", apierrors.New(http.StatusNotFound, apierrors.ReasonNotFound, "No item has this ID."))),
			status: 404, reason: notFound, missing: true},
		{name: "resolver's other problem is sent", rule: authz.Owner(fixed("", apierrors.New(http.StatusGone, apierrors.ReasonNotFound, "Archived."))),
			status: 410, reason: notFound},
		{name: "resolver fails closed", rule: authz.Owner(fixed("alice", errBoom)), status: 500, reason: internal},
		{name: "tenant-owned object", rule: authz.Owner(fixed("acme", nil)).ByClaim("/tenant"), status: 204},
		{name: "other tenant's object", rule: authz.Owner(fixed("globex", nil)).ByClaim("/tenant"), status: 404, reason: notFound},
		{name: "other tenant's object missing", rule: authz.Owner(fixed("", authz.ErrNotFound)).ByClaim("/tenant"), status: 404, reason: notFound, missing: true},
		{name: "tenant claim not a string", rule: authz.Owner(fixed("3", nil)).ByClaim("/level"), status: 404, reason: notFound},
		{name: "tenant claim absent", rule: authz.Owner(fixed("acme", nil)).ByClaim("/nope"), status: 404, reason: notFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := alice()
			if tt.principal != nil {
				tt.principal(p)
			}
			c := do(t, authz.Require(tt.rule), as(httptest.NewRequest("GET", "/v1/items/1", nil), p))
			if c.resp.Code != tt.status || c.body.Reason != tt.reason {
				t.Fatalf("got %d %q, want %d %q", c.resp.Code, c.body.Reason, tt.status, tt.reason)
			}
			if c.served != (tt.status == 204) {
				t.Errorf("served %v with status %d", c.served, c.resp.Code)
			}
			ds := authzDecisions(c.rec)
			want := map[bool]record.Outcome{false: record.Deny, true: record.NotFound}[tt.missing]
			if tt.status == 204 {
				want = record.Allow
			}
			if len(ds) != 1 || ds[0].Outcome != want || ds[0].Rule != tt.rule.String() && tt.status != 204 {
				t.Errorf("got decisions %+v, want one %s by %s", ds, want, tt.rule)
			}
		})
	}
}

// TestOwnerHidesExistence: someone else's object and a missing one get the
// same answer, status, headers and body but for the request ID, whichever
// way the resolver says "missing"; the record tells them apart.
func TestOwnerHidesExistence(t *testing.T) {
	t.Parallel()
	owners := map[string]string{"1": "bob"}
	resolvers := map[string]authz.OwnerFunc{
		"ErrNotFound": func(r *http.Request) (string, error) {
			if o, ok := owners[r.PathValue("id")]; ok {
				return o, nil
			}
			return "", authz.ErrNotFound
		},
		"404 problem": func(r *http.Request) (string, error) {
			if o, ok := owners[r.PathValue("id")]; ok {
				return o, nil
			}
			return "", apierrors.New(http.StatusNotFound, apierrors.ReasonNotFound, "No item has this ID.")
		},
	}
	for name, resolve := range resolvers {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			answer := func(id string) (string, record.Outcome) {
				req := httptest.NewRequest("GET", "/v1/items/x", nil)
				req.SetPathValue("id", id)
				c := do(t, authz.Require(authz.Owner(resolve)), as(req, alice()))
				return answerOf(t, c.resp), authzDecisions(c.rec)[0].Outcome
			}
			foreign, fo := answer("1")
			missing, mo := answer("9")
			if foreign != missing {
				t.Errorf("someone else's object:\n%s\na missing one:\n%s", foreign, missing)
			}
			if fo != record.Deny || mo != record.NotFound {
				t.Errorf("recorded %s and %s, want deny and not_found", fo, mo)
			}
		})
	}
}

// answerOf is a response as the client sees it, without the request ID,
// which differs between any two requests.
func answerOf(t *testing.T, w *httptest.ResponseRecorder) string {
	t.Helper()
	var body map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
		t.Fatalf("body %q: %v", w.Body.String(), err)
	}
	delete(body, "request_id")
	h := w.Header().Clone()
	h.Del("X-Request-Id")
	b, _ := json.Marshal(body)
	return fmt.Sprintf("%d %v %s", w.Code, h, b)
}

// TestNotFoundInHandler: a handler that finds no object answers with
// NotFound exactly as CheckOwner answers someone else's object, and the
// record tells them apart; an anonymous caller gets the 401 either way.
func TestNotFoundInHandler(t *testing.T) {
	t.Parallel()
	answer := func(p *auth.Principal, check func(*http.Request) error) (string, []record.Decision) {
		var rec *record.Record
		h := installRecord(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			apierrors.Write(w, r, check(r))
		}), &rec)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, as(httptest.NewRequest("GET", "/v1/items/x", nil), p))
		return answerOf(t, w), authzDecisions(rec)
	}
	foreign, fd := answer(alice(), func(r *http.Request) error { return authz.CheckOwner(r, "bob") })
	missing, md := answer(alice(), authz.NotFound)
	if foreign != missing || !strings.HasPrefix(missing, "404 ") {
		t.Errorf("CheckOwner on someone else's object:\n%s\nNotFound:\n%s\nwant the same 404", foreign, missing)
	}
	if len(fd) != 1 || fd[0].Outcome != record.Deny || len(md) != 1 || md[0].Outcome != record.NotFound || md[0].Reason != notFound {
		t.Errorf("recorded %+v and %+v, want deny and not_found", fd, md)
	}
	anonForeign, _ := answer(nil, func(r *http.Request) error { return authz.CheckOwner(r, "bob") })
	anonMissing, _ := answer(nil, authz.NotFound)
	if anonForeign != anonMissing || !strings.HasPrefix(anonMissing, "401 ") {
		t.Errorf("anonymous: CheckOwner\n%s\nNotFound\n%s\nwant the same 401", anonForeign, anonMissing)
	}
}

func TestTenant(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, tid, pointer string
		allowed            bool
	}{
		{"string claim", "acme", "/tenant", true},
		{"string claim differs", "globex", "/tenant", false},
		{"array claim holds", "globex", "/tenants", true},
		{"array claim lacks", "initech", "/tenants", false},
		{"empty path value", "", "/tenant", false},
		{"claim absent", "acme", "/nope", false},
		{"claim not a string", "3", "/level", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := as(httptest.NewRequest("GET", "/", nil), alice())
			r.SetPathValue("tid", tt.tid)
			err := authz.Check(r, authz.Tenant("tid", tt.pointer))
			if (err == nil) != tt.allowed {
				t.Fatalf("got %v, want allowed %v", err, tt.allowed)
			}
			var p *apierrors.Problem
			if err != nil && (!errors.As(err, &p) || p.Reason != forbidden) {
				t.Errorf("got %v, want 403 forbidden", err)
			}
		})
	}
}

func TestWildcardScopes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		granted, required string
		want              bool
	}{
		{"items:read", "items:read", true},
		{"items:*", "items:read", true},
		{"items:*", "items:read:draft", true},
		{"items:*", "items:", false},
		{"items:*", "items", false},
		{"items:*", "itemsx:read", false},
		{"api.items.*", "api.items.read", true},
		{"items/*", "items/read", true},
		{"*", "items:read", false},
		{":*", "a", false},
		{"items*", "itemsx", false},
		{"items:read", "items:*", false},
	}
	for _, tt := range tests {
		if got := authz.WildcardScopes(tt.granted, tt.required); got != tt.want {
			t.Errorf("WildcardScopes(%q, %q) = %v, want %v", tt.granted, tt.required, got, tt.want)
		}
		if got := authz.ExactScopes(tt.granted, tt.required); got != (tt.granted == tt.required) {
			t.Errorf("ExactScopes(%q, %q) = %v", tt.granted, tt.required, got)
		}
	}
}

// TestCustomScopeMatcher shows a matcher is consulted for every granted scope.
func TestCustomScopeMatcher(t *testing.T) {
	t.Parallel()
	prefix := func(granted, required string) bool { return granted == "root" || granted == required }
	r := as(httptest.NewRequest("GET", "/", nil), &auth.Principal{Subject: "s", Scopes: []string{"openid", "root"}})
	if err := authz.Check(r, authz.AllScopes("a:b", "c:d").Matching(prefix)); err != nil {
		t.Errorf("got %v, want the matcher to grant", err)
	}
	if err := authz.Check(r, authz.AllScopes("a:b").Matching(nil)); err == nil {
		t.Error("Matching(nil) did not restore exact matching")
	}
}

// TestPatternHookEmpty: a Config.Pattern that cannot tell refuses.
func TestPatternHookEmpty(t *testing.T) {
	t.Parallel()
	pol, err := authz.New(authz.Config{Routes: map[string]authz.Rule{"GET /x": authz.Public()},
		Pattern: func(*http.Request) string { return "" }, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	c := do(t, pol.Handler, onRoute("GET", "/x", "GET /x", alice()))
	if c.resp.Code != 403 || c.served {
		t.Fatalf("got %d, served %v; want 403", c.resp.Code, c.served)
	}
	if ds := authzDecisions(c.rec); len(ds) != 1 || ds[0].Outcome != record.Deny || ds[0].Rule != "unknown_route" {
		t.Errorf("got decisions %+v", ds)
	}
}

// TestRequireRecordsRoute: Require records the router's pattern.
func TestRequireRecordsRoute(t *testing.T) {
	t.Parallel()
	c := do(t, authz.Require(authz.AnyRole("editor")), onRoute("GET", "/v1/items/1", "GET /v1/items/{id}", alice()))
	if c.rec.Route() != "GET /v1/items/{id}" {
		t.Errorf("got route %q", c.rec.Route())
	}
}
