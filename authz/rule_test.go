package authz_test

import (
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apishield/apishield/auth"
	"github.com/apishield/apishield/authz"
	apierrors "github.com/apishield/apishield/errors"
	"github.com/apishield/apishield/internal/record"
)

const (
	forbidden = "forbidden"
	scope     = "insufficient_scope"
	stepUp    = "step_up_required"
	unauthn   = "unauthenticated"
	internal  = "internal"
	notFound  = "not_found"
)

var errBoom = errors.New("database on fire")

func TestRules(t *testing.T) {
	t.Parallel()
	mfa := authz.StepUp(authz.StepUpOptions{AMR: []string{"mfa", "otp"}, Now: clock})
	tests := []struct {
		name      string
		rule      authz.Rule
		principal func(*auth.Principal) // changes alice; nil keeps her
		anonymous bool
		status    int    // 0: allowed
		reason    string // the problem's reason when denied
		challenge string // the WWW-Authenticate header when denied
		rule2     string // the decision's rule when denied, if not the rule's own name
	}{
		// scopes
		{name: "all scopes granted", rule: authz.AllScopes("items:read", "items:write")},
		{name: "all scopes one missing", rule: authz.AllScopes("items:read", "items:delete"),
			status: 403, reason: scope, challenge: `Bearer error="insufficient_scope", scope="items:read items:delete"`},
		{name: "any scope one granted", rule: authz.AnyScope("items:delete", "items:write")},
		{name: "any scope none granted", rule: authz.AnyScope("items:delete", "items:purge"),
			status: 403, reason: scope, challenge: `Bearer error="insufficient_scope", scope="items:delete"`},
		{name: "scope is exact by default", rule: authz.AllScopes("items"),
			status: 403, reason: scope, challenge: `Bearer error="insufficient_scope", scope="items"`},
		{name: "granted wildcard is literal by default", rule: authz.AllScopes("orders:read"),
			status: 403, reason: scope, challenge: `Bearer error="insufficient_scope", scope="orders:read"`},
		{name: "wildcard matcher grants under prefix", rule: authz.AllScopes("orders:read", "items:read").Matching(authz.WildcardScopes)},
		{name: "wildcard matcher does not grant the bare prefix", rule: authz.AllScopes("orders").Matching(authz.WildcardScopes),
			status: 403, reason: scope, challenge: `Bearer error="insufficient_scope", scope="orders"`},
		{name: "no scopes at all", rule: authz.AllScopes("items:read"), principal: func(p *auth.Principal) { p.Scopes = nil },
			status: 403, reason: scope, challenge: `Bearer error="insufficient_scope", scope="items:read"`},
		// A granted scope that is not a scope token (from an authenticator
		// other than auth's, which refuses such claims) is one opaque
		// string: it never grants a part of itself, exactly or by prefix.
		{name: "granted scope with NBSP grants neither half", rule: authz.AnyScope("admin", "items:delete"),
			principal: func(p *auth.Principal) { p.Scopes = []string{"items:delete\u00a0admin"} },
			status:    403, reason: scope, challenge: `Bearer error="insufficient_scope", scope="admin"`},
		{name: "granted wildcard with NBSP grants nothing", rule: authz.AllScopes("items:read").Matching(authz.WildcardScopes),
			principal: func(p *auth.Principal) { p.Scopes = []string{"items\u00a0:*", "items:\u00a0*"} },
			status:    403, reason: scope, challenge: `Bearer error="insufficient_scope", scope="items:read"`},
		{name: "granted scope with a space grants neither half", rule: authz.AllScopes("items:read").Matching(authz.WildcardScopes),
			principal: func(p *auth.Principal) { p.Scopes = []string{"items:read items:write"} },
			status:    403, reason: scope, challenge: `Bearer error="insufficient_scope", scope="items:read"`},

		// roles
		{name: "all roles held", rule: authz.AllRoles("editor", "viewer")},
		{name: "all roles one missing", rule: authz.AllRoles("editor", "admin"), status: 403, reason: forbidden},
		{name: "any role one held", rule: authz.AnyRole("admin", "viewer")},
		{name: "any role none held", rule: authz.AnyRole("admin", "owner"), status: 403, reason: forbidden},
		{name: "roles are case sensitive", rule: authz.AnyRole("Editor"), status: 403, reason: forbidden},

		// claims
		{name: "claim string equal", rule: authz.Claim("/tenant", "acme")},
		{name: "claim string differs", rule: authz.Claim("/tenant", "globex"), status: 403, reason: forbidden},
		{name: "claim one of values", rule: authz.Claim("/tenant", "globex", "acme")},
		{name: "claim array holds value", rule: authz.Claim("/groups", "b")},
		{name: "claim array lacks value", rule: authz.Claim("/groups", "c"), status: 403, reason: forbidden},
		{name: "claim bool true", rule: authz.Claim("/email_verified", true)},
		{name: "claim bool is not the string", rule: authz.Claim("/email_verified", "true"), status: 403, reason: forbidden},
		{name: "claim number", rule: authz.Claim("/level", 3)},
		{name: "claim json.Number", rule: authz.Claim("/big", 42)},
		{name: "claim nested", rule: authz.Claim("/org/id", "o1")},
		{name: "claim array index", rule: authz.Claim("/org/tags/1", 7)},
		{name: "claim array index out of range", rule: authz.Claim("/org/tags/2", 7), status: 403, reason: forbidden},
		{name: "claim escaped slash", rule: authz.Claim("/a~1b", "slash")},
		{name: "claim escaped tilde", rule: authz.Claim("/m~0n", "tilde")},
		{name: "claim present", rule: authz.Claim("/tenant")},
		{name: "claim absent", rule: authz.Claim("/nope"), status: 403, reason: forbidden},
		{name: "claim false counts as absent", rule: authz.Claim("/suspended"), status: 403, reason: forbidden},
		{name: "claim null counts as absent", rule: authz.Claim("/null"), status: 403, reason: forbidden},
		{name: "claim on a principal without claims", rule: authz.Claim("/tenant", "acme"),
			principal: func(p *auth.Principal) { p.Claims = nil }, status: 403, reason: forbidden},
		{name: "claim through a string is absent", rule: authz.Claim("/tenant/x"), status: 403, reason: forbidden},

		// step-up
		{name: "step-up amr met", rule: mfa},
		{name: "step-up amr missing", rule: mfa, principal: func(p *auth.Principal) { p.AMR = []string{"pwd"} },
			status: 401, reason: stepUp,
			challenge: `Bearer error="insufficient_user_authentication", error_description="A stronger or more recent authentication is required"`},
		{name: "step-up acr met", rule: authz.StepUp(authz.StepUpOptions{ACR: []string{"urn:acr:hwk", "urn:acr:mfa"}})},
		{name: "step-up acr not met", rule: authz.StepUp(authz.StepUpOptions{ACR: []string{"urn:acr:hwk"}, MaxAge: 5 * time.Minute, Now: clock}),
			principal: func(p *auth.Principal) { p.ACR = "urn:acr:pwd" }, status: 401, reason: stepUp,
			challenge: `Bearer error="insufficient_user_authentication", error_description="A stronger or more recent authentication is required", acr_values="urn:acr:hwk", max_age=300`},
		{name: "step-up empty acr never matches", rule: authz.StepUp(authz.StepUpOptions{ACR: []string{"urn:acr:mfa"}}),
			principal: func(p *auth.Principal) { p.ACR = "" }, status: 401, reason: stepUp,
			challenge: `Bearer error="insufficient_user_authentication", error_description="A stronger or more recent authentication is required", acr_values="urn:acr:mfa"`},
		{name: "step-up recent enough", rule: authz.StepUp(authz.StepUpOptions{MaxAge: 5 * time.Minute, Now: clock})},
		{name: "step-up too old", rule: authz.StepUp(authz.StepUpOptions{MaxAge: time.Minute, Now: clock}),
			status: 401, reason: stepUp,
			challenge: `Bearer error="insufficient_user_authentication", error_description="A stronger or more recent authentication is required", max_age=60`},
		{name: "step-up without auth_time", rule: authz.StepUp(authz.StepUpOptions{MaxAge: time.Hour, Now: clock}),
			principal: func(p *auth.Principal) { p.AuthTime = time.Time{} }, status: 401, reason: stepUp,
			challenge: `Bearer error="insufficient_user_authentication", error_description="A stronger or more recent authentication is required", max_age=3600`},
		{name: "step-up auth_time far in the future", rule: authz.StepUp(authz.StepUpOptions{MaxAge: time.Hour, Now: clock}),
			principal: func(p *auth.Principal) { p.AuthTime = now.Add(10 * time.Minute) }, status: 401, reason: stepUp,
			challenge: `Bearer error="insufficient_user_authentication", error_description="A stronger or more recent authentication is required", max_age=3600`},
		{name: "step-up auth_time within skew", rule: authz.StepUp(authz.StepUpOptions{MaxAge: time.Hour, Now: clock}),
			principal: func(p *auth.Principal) { p.AuthTime = now.Add(30 * time.Second) }},

		// Func
		{name: "func passes", rule: authz.Func("always", func(*http.Request, *auth.Principal) error { return nil })},
		// sender-constrained tokens
		{name: "sender-constrained: bearer token", rule: authz.SenderConstrained(), status: 401, reason: "invalid_token",
			challenge: `DPoP error="invalid_token", error_description="This route requires a sender-constrained token"`},
		{name: "sender-constrained: dpop", rule: authz.SenderConstrained(), principal: func(p *auth.Principal) { p.Binding = auth.BindingDPoP }},
		{name: "sender-constrained: mtls", rule: authz.SenderConstrained(), principal: func(p *auth.Principal) { p.Binding = auth.BindingMTLS }},
		{name: "dpop only: mtls refused", rule: authz.SenderConstrained(auth.BindingDPoP), principal: func(p *auth.Principal) { p.Binding = auth.BindingMTLS },
			status: 401, reason: "invalid_token", challenge: `DPoP error="invalid_token", error_description="This route requires a sender-constrained token"`},
		{name: "mtls only: bearer refused", rule: authz.SenderConstrained(auth.BindingMTLS),
			status: 401, reason: "invalid_token", challenge: `Bearer error="invalid_token", error_description="This route requires a sender-constrained token"`},
		{name: "func denies", rule: authz.Func("never", func(*http.Request, *auth.Principal) error { return fmt.Errorf("nope: %w", authz.ErrDenied) }),
			status: 403, reason: forbidden},
		{name: "func problem sent as is", rule: authz.Func("hide", func(*http.Request, *auth.Principal) error {
			return apierrors.New(http.StatusNotFound, apierrors.ReasonNotFound, "No such item.")
		}), status: 404, reason: "not_found"},
		{name: "func error fails closed", rule: authz.Func("db", func(*http.Request, *auth.Principal) error { return errBoom }),
			status: 500, reason: internal},
		{name: "func sees the principal", rule: authz.Func("is-alice", func(_ *http.Request, p *auth.Principal) error {
			if p.Subject != "alice" {
				return authz.ErrDenied
			}
			return nil
		})},

		// composition
		{name: "and all pass", rule: authz.And(authz.AllScopes("items:read"), authz.AnyRole("editor"))},
		{name: "and first failure decides", rule: authz.And(authz.AnyRole("editor"), authz.AllScopes("x:y"), authz.AnyRole("admin")),
			status: 403, reason: scope, challenge: `Bearer error="insufficient_scope", scope="x:y"`, rule2: "all_scopes(x:y)"},
		{name: "or one passes", rule: authz.Or(authz.AnyRole("admin"), authz.Claim("/tenant", "acme"))},
		{name: "or none passes: first denial", rule: authz.Or(authz.AllScopes("admin:all"), authz.AnyRole("admin")),
			status: 403, reason: scope, challenge: `Bearer error="insufficient_scope", scope="admin:all"`, rule2: "all_scopes(admin:all)"},
		{name: "or failure beats denial", rule: authz.Or(authz.AnyRole("admin"), authz.Func("db", func(*http.Request, *auth.Principal) error { return errBoom })),
			status: 500, reason: internal, rule2: "func(db)"},
		{name: "or pass beats failure", rule: authz.Or(authz.Func("db", func(*http.Request, *auth.Principal) error { return errBoom }), authz.AnyRole("editor"))},
		{name: "not of a denial passes", rule: authz.Not(authz.AnyRole("banned"))},
		{name: "not of a pass denies", rule: authz.Not(authz.AnyRole("editor")), status: 403, reason: forbidden},
		{name: "not of a scope pass is plain forbidden", rule: authz.Not(authz.AllScopes("items:read")), status: 403, reason: forbidden},
		{name: "not does not invert a failure", rule: authz.Not(authz.Func("db", func(*http.Request, *auth.Principal) error { return errBoom })),
			status: 500, reason: internal, rule2: "func(db)"},
		{name: "nested", rule: authz.And(authz.Or(authz.AnyRole("admin"), authz.And(authz.AnyRole("editor"), authz.Claim("/tenant", "acme"))), authz.Not(authz.Claim("/suspended", true)))},

		// principal
		{name: "no principal", rule: authz.AllScopes("items:read"), anonymous: true,
			status: 401, reason: unauthn, challenge: `Bearer realm="api"`, rule2: "principal"},
		{name: "public needs no principal", rule: authz.Public(), anonymous: true},
		{name: "authenticated passes anyone authenticated", rule: authz.Authenticated(), principal: func(p *auth.Principal) { *p = auth.Principal{Subject: "x"} }},
		{name: "authenticated refuses anonymous", rule: authz.Authenticated(), anonymous: true,
			status: 401, reason: unauthn, challenge: `Bearer realm="api"`, rule2: "principal"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var p *auth.Principal
			if !tt.anonymous {
				p = alice()
				if tt.principal != nil {
					tt.principal(p)
				}
			}
			c := do(t, authz.Require(tt.rule), as(httptest.NewRequest("GET", "/v1/items", nil), p))
			ds := authzDecisions(c.rec)
			if len(ds) != 1 {
				t.Fatalf("got %d authz decisions %v, want 1", len(ds), ds)
			}
			d := ds[0]
			if tt.status == 0 {
				if !c.served || c.resp.Code != http.StatusNoContent {
					t.Fatalf("got status %d (served %v) body %s, want the request served", c.resp.Code, c.served, c.resp.Body)
				}
				if d.Outcome != record.Allow || d.Reason != tt.rule.String() {
					t.Errorf("got decision %+v, want allow by %q", d, tt.rule.String())
				}
				return
			}
			if c.served {
				t.Fatal("the handler ran for a denied request")
			}
			if c.resp.Code != tt.status || c.body.Reason != tt.reason {
				t.Fatalf("got %d %q, want %d %q", c.resp.Code, c.body.Reason, tt.status, tt.reason)
			}
			if got := c.resp.Header().Get("WWW-Authenticate"); got != tt.challenge {
				t.Errorf("got WWW-Authenticate %q, want %q", got, tt.challenge)
			}
			wantRule := tt.rule2
			if wantRule == "" {
				wantRule = tt.rule.String()
			}
			if d.Outcome != record.Deny || d.Reason != tt.reason || d.Rule != wantRule {
				t.Errorf("got decision %+v, want deny %q by %q", d, tt.reason, wantRule)
			}
		})
	}
}

// TestForbiddenGivesNoHint checks that every role, claim and tenant denial
// sends the same detail and headers, so the response does not say which
// rule failed or why. (The Owner rule answers 404: TestOwnerHidesExistence.)
func TestForbiddenGivesNoHint(t *testing.T) {
	t.Parallel()
	rules := []authz.Rule{
		authz.AnyRole("admin"),
		authz.Claim("/tenant", "globex"),
		authz.Tenant("tid", "/tenant"),
		authz.Not(authz.AnyRole("editor")),
		authz.Func("x", func(*http.Request, *auth.Principal) error { return authz.ErrDenied }),
	}
	var wantDetail, wantHeaders string
	for i, rule := range rules {
		c := do(t, authz.Require(rule), as(httptest.NewRequest("GET", "/v1/items", nil), alice()))
		if c.resp.Code != 403 || c.body.Reason != forbidden {
			t.Fatalf("%s: got %d %q, want 403 forbidden", rule, c.resp.Code, c.body.Reason)
		}
		keys := slices.Sorted(maps.Keys(c.resp.Header()))
		headers := strings.Join(keys, ",")
		if i == 0 {
			wantDetail, wantHeaders = c.body.Detail, headers
			continue
		}
		if c.body.Detail != wantDetail || headers != wantHeaders {
			t.Errorf("%s: got detail %q headers %s, want %q %s", rule, c.body.Detail, headers, wantDetail, wantHeaders)
		}
	}
	if strings.Contains(wantHeaders, "Www-Authenticate") {
		t.Errorf("a forbidden response carries a challenge: %s", wantHeaders)
	}
}

func TestInvalidRules(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		rule authz.Rule
	}{
		{"no scopes", authz.AllScopes()},
		{"scope with a space", authz.AnyScope("items read")},
		{"scope with a quote", authz.AllScopes(`items"`)},
		{"empty scope", authz.AllScopes("")},
		{"no roles", authz.AnyRole()},
		{"empty role", authz.AllRoles("")},
		{"pointer without slash", authz.Claim("tenant")},
		{"empty pointer", authz.Claim("")},
		{"bad escape", authz.Claim("/a~2")},
		{"trailing tilde", authz.Claim("/a~")},
		{"unsupported value", authz.Claim("/a", []string{"x"})},
		{"func without name", authz.Func("", func(*http.Request, *auth.Principal) error { return nil })},
		{"func without function", authz.Func("x", nil)},
		{"owner without resolver", authz.Owner(nil)},
		{"owner bad claim", authz.Owner(func(*http.Request) (string, error) { return "", nil }).ByClaim("x")},
		{"tenant without name", authz.Tenant("", "/tenant")},
		{"tenant bad pointer", authz.Tenant("tid", "tenant")},
		{"step-up empty", authz.StepUp(authz.StepUpOptions{})},
		{"sender-constrained unknown binding", authz.SenderConstrained("bearer")},
		{"step-up negative max age", authz.StepUp(authz.StepUpOptions{MaxAge: -time.Second})},
		{"step-up sub-second max age", authz.StepUp(authz.StepUpOptions{MaxAge: time.Millisecond})},
		{"step-up acr with a quote", authz.StepUp(authz.StepUpOptions{ACR: []string{`a"b`}})},
		// Scopes and acr values reach WWW-Authenticate: only RFC 6749 NQCHAR.
		{"scope with NUL", authz.AllScopes("items\x00read")},
		{"scope with DEL", authz.AnyScope("items\x7f")},
		{"scope with a backslash", authz.AllScopes(`items\read`)},
		{"scope with a tab", authz.AllScopes("items\tread")},
		{"scope with NBSP", authz.AllScopes("items\u00a0read")},
		{"step-up acr with CRLF", authz.StepUp(authz.StepUpOptions{ACR: []string{"a\r\nX-Injected: 1"}})},
		{"step-up acr with DEL", authz.StepUp(authz.StepUpOptions{ACR: []string{"urn:acr\x7f"}})},
		{"step-up amr with NBSP", authz.StepUp(authz.StepUpOptions{AMR: []string{"m\u00a0fa"}})},
		{"empty and", authz.And()},
		{"empty or", authz.Or()},
		{"nil in and", authz.And(authz.AnyRole("a"), nil)},
		{"not nil", authz.Not(nil)},
		{"public in or", authz.Or(authz.Public(), authz.AnyRole("a"))},
		{"public negated", authz.Not(authz.Public())},
		{"invalid child", authz.And(authz.AnyRole("a"), authz.AllScopes())},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := authz.New(authz.Config{Routes: map[string]authz.Rule{"GET /x": tt.rule}})
			if !errors.Is(err, authz.ErrInvalidConfig) || !errors.Is(err, authz.ErrInvalidRule) {
				t.Fatalf("New: got %v, want ErrInvalidConfig wrapping ErrInvalidRule", err)
			}
			if err := authz.Check(as(httptest.NewRequest("GET", "/x", nil), alice()), tt.rule); !errors.Is(err, authz.ErrInvalidRule) {
				t.Errorf("Check: got %v, want ErrInvalidRule", err)
			}
			defer func() {
				if recover() == nil {
					t.Error("Require did not panic")
				}
			}()
			authz.Require(tt.rule)
		})
	}
}

func TestRequireNoRulesPanics(t *testing.T) {
	t.Parallel()
	defer func() {
		if recover() == nil {
			t.Error("Require() did not panic")
		}
	}()
	authz.Require()
}
