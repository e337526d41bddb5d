package auth_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/apishield/apishield/auth"
)

// scopeClaims is a valid claim set without scope, scp or amr, plus extra.
func scopeClaims(now time.Time, extra string) string {
	return `{"iss":"` + testIssuer + `","aud":"` + testAudience + `","sub":"alice","exp":` + itoa(now.Add(time.Hour).Unix()) + "," + extra + "}"
}

// TestScopeClaims: scope, scp and amr are RFC 6749 scope tokens separated
// by exactly one SP. Any other whitespace (NBSP, tab, U+2028…), a control
// byte, a quote, a backslash or a byte outside ASCII inside a claim is
// invalid_token, never a token boundary, so one issued scope never turns
// into two. Array elements follow the same rules.
func TestScopeClaims(t *testing.T) {
	t.Parallel()
	j := newVerifier(t, newJWKSServer(standardSet(t)), func(c *auth.JWTConfig) { c.CacheSize = -1 })
	now := time.Now()
	cases := []struct {
		name      string
		claims    string // JSON members
		wantScope []string
		wantAMR   []string
		wantCheck string // "" means accepted
	}{
		{"scope string", `"scope":"items:read items:write"`, []string{"items:read", "items:write"}, nil, ""},
		{"scope with every NQCHAR class", `"scope":"a!#[]^~ https://api.example/x?y=1"`, []string{"a!#[]^~", "https://api.example/x?y=1"}, nil, ""},
		{"scp array", `"scp":["items:read","items:write"]`, []string{"items:read", "items:write"}, nil, ""},
		{"scp string (Entra ID)", `"scp":"User.Read Mail.Send"`, []string{"User.Read", "Mail.Send"}, nil, ""},
		{"scope wins over scp", `"scope":"a","scp":["b"]`, []string{"a"}, nil, ""},
		{"empty scope string is no scopes", `"scope":""`, nil, nil, ""},
		{"empty scp array is no scopes", `"scp":[]`, nil, nil, ""},
		{"amr array", `"amr":["pwd","mfa"]`, nil, []string{"pwd", "mfa"}, ""},
		{"amr string", `"amr":"pwd otp"`, nil, []string{"pwd", "otp"}, ""},

		{"NBSP inside a scope (escaped)", `"scope":"items:read\u00a0admin"`, nil, nil, "scope_syntax"},
		{"NBSP inside a scope (raw UTF-8)", "\"scope\":\"items:read\u00a0admin\"", nil, nil, "scope_syntax"},
		{"NBSP between scopes", `"scope":"items:read\u00a0 admin"`, nil, nil, "scope_syntax"},
		{"ideographic space", `"scope":"items:read\u3000admin"`, nil, nil, "scope_syntax"},
		{"line separator", `"scope":"items:read\u2028admin"`, nil, nil, "scope_syntax"},
		{"tab", `"scope":"items:read\tadmin"`, nil, nil, "scope_syntax"},
		{"line feed", `"scope":"items:read\nadmin"`, nil, nil, "scope_syntax"},
		{"vertical tab", `"scope":"items:read\u000badmin"`, nil, nil, "scope_syntax"},
		{"form feed", `"scope":"items:read\fadmin"`, nil, nil, "scope_syntax"},
		{"NUL", `"scope":"items:read\u0000admin"`, nil, nil, "scope_syntax"},
		{"DEL", `"scope":"items:read\u007f"`, nil, nil, "scope_syntax"},
		{"quote", `"scope":"items:\"read"`, nil, nil, "scope_syntax"},
		{"backslash", `"scope":"items:\\read"`, nil, nil, "scope_syntax"},
		{"non-ASCII letter", `"scope":"itéms:read"`, nil, nil, "scope_syntax"},
		{"two spaces", `"scope":"items:read  admin"`, nil, nil, "scope_syntax"},
		{"leading space", `"scope":" items:read"`, nil, nil, "scope_syntax"},
		{"trailing space", `"scope":"items:read "`, nil, nil, "scope_syntax"},
		{"only a space", `"scope":" "`, nil, nil, "scope_syntax"},
		{"scp string with NBSP", `"scp":"User.Read\u00a0Admin"`, nil, nil, "scope_syntax"},
		{"scp element with a space", `"scp":["items:read admin"]`, nil, nil, "scope_syntax"},
		{"scp element with NBSP", `"scp":["items:read\u00a0admin"]`, nil, nil, "scope_syntax"},
		{"scp empty element", `"scp":["items:read",""]`, nil, nil, "scope_syntax"},
		{"scp element not a string", `"scp":["items:read",1]`, nil, nil, "scope_type"},
		{"scope a number", `"scope":1`, nil, nil, "scope_type"},
		{"scope an object", `"scope":{"a":1}`, nil, nil, "scope_type"},
		{"amr string with NBSP", `"amr":"pwd\u00a0mfa"`, nil, nil, "amr_syntax"},
		{"amr element with a control byte", `"amr":["pwd","mfa\u0001"]`, nil, nil, "amr_syntax"},
		{"amr element empty", `"amr":[""]`, nil, nil, "amr_syntax"},
		{"amr a number", `"amr":7`, nil, nil, "amr_type"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tok := sign(t, "ES256", keys(t).ec256, `{"alg":"ES256","kid":"ES256"}`, scopeClaims(now, tc.claims))
			p, err := j.Verify(context.Background(), tok)
			if tc.wantCheck != "" {
				if got := auth.CheckOf(err); got != tc.wantCheck || !errors.Is(err, auth.ErrInvalidToken) {
					t.Fatalf("got %v (check %q), want invalid_token by %q; principal %+v", err, got, tc.wantCheck, p)
				}
				return
			}
			if err != nil {
				t.Fatalf("got %v, want the token accepted", err)
			}
			if !slices.Equal(p.Scopes, tc.wantScope) || !slices.Equal(p.AMR, tc.wantAMR) {
				t.Errorf("got scopes %q amr %q, want %q %q", p.Scopes, p.AMR, tc.wantScope, tc.wantAMR)
			}
		})
	}
}
