package authz_test

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
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
	}{
		{name: "subject owns", rule: authz.Owner(fixed("alice", nil)), status: 204},
		{name: "other owner", rule: authz.Owner(fixed("bob", nil)), status: 403, reason: forbidden},
		{name: "empty owner", rule: authz.Owner(fixed("", nil)), status: 403, reason: forbidden},
		{name: "empty owner, empty subject", rule: authz.Owner(fixed("", nil)),
			principal: func(p *auth.Principal) { p.Subject = "" }, status: 403, reason: forbidden},
		{name: "resolver denies", rule: authz.Owner(fixed("", fmt.Errorf("archived: %w", authz.ErrDenied))), status: 403, reason: forbidden},
		{name: "resolver's problem is sent", rule: authz.Owner(fixed("", apierrors.New(http.StatusNotFound, apierrors.ReasonNotFound, "No item has this ID."))),
			status: 404, reason: "not_found"},
		{name: "resolver fails closed", rule: authz.Owner(fixed("alice", errBoom)), status: 500, reason: internal},
		{name: "tenant-owned object", rule: authz.Owner(fixed("acme", nil)).ByClaim("/tenant"), status: 204},
		{name: "other tenant's object", rule: authz.Owner(fixed("globex", nil)).ByClaim("/tenant"), status: 403, reason: forbidden},
		{name: "tenant claim not a string", rule: authz.Owner(fixed("3", nil)).ByClaim("/level"), status: 403, reason: forbidden},
		{name: "tenant claim absent", rule: authz.Owner(fixed("acme", nil)).ByClaim("/nope"), status: 403, reason: forbidden},
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
		})
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
