package auth_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/apishield/apishield/auth"
	"github.com/apishield/apishield/internal/record"
)

// TestBoundTokens: with no binding configured (the default), a
// sender-constrained token (cnf) is refused whichever way it arrives, and
// the DPoP scheme is refused rather than ignored: neither falls through to
// anonymous access or to the client certificate.
func TestBoundTokens(t *testing.T) {
	t.Parallel()
	now := time.Now()
	good := validToken(t, "ES256", now)
	dpopBound := sign(t, "ES256", keys(t).ec256, `{"alg":"ES256","kid":"ES256"}`,
		claimsJSON(now, `"cnf":{"jkt":"0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"}`))
	certBound := sign(t, "ES256", keys(t).ec256, `{"alg":"ES256","kid":"ES256"}`,
		claimsJSON(now, `"cnf":{"x5t#S256":"bwcK0esc3ACC3DB2Y5_lESsXE8o9ltc05O89jdN-dg2"}`))
	stacks := map[string]func(*auth.Config){
		"strict":    nil,
		"anonymous": func(c *auth.Config) { c.AllowAnonymous = true; c.Cookie = "at" },
		"client cert": func(c *auth.Config) {
			c.ClientCertificate = func(*http.Request) (string, bool) { return "spiffe://example.org/svc", true }
		},
		"cert+anonymous": func(c *auth.Config) {
			c.AllowAnonymous = true
			c.ClientCertificate = func(*http.Request) (string, bool) { return "spiffe://example.org/svc", true }
		},
	}
	cases := []struct {
		name      string
		req       func(*http.Request)
		wantCheck string // the record's rule: scheme kind and check
	}{
		{"DPoP-bound token as Bearer", func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+dpopBound) }, "bearer:unverified_binding"},
		{"DPoP-bound token with its scheme", func(r *http.Request) {
			r.Header.Set("Authorization", "DPoP "+dpopBound)
			r.Header.Set("DPoP", "eyJ0eXAiOiJkcG9wK2p3dCJ9.e30.sig")
		}, "dpop:dpop_unsupported"},
		{"DPoP scheme, lower case", func(r *http.Request) { r.Header.Set("Authorization", "dpop "+dpopBound) }, "dpop:dpop_unsupported"},
		{"DPoP scheme with a plain token", func(r *http.Request) { r.Header.Set("Authorization", "DPoP "+good) }, "dpop:dpop_unsupported"},
		{"DPoP scheme, malformed", func(r *http.Request) { r.Header.Set("Authorization", "DPoP  x y") }, "dpop:malformed_authorization"},
		{"certificate-bound token as Bearer", func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+certBound) }, "bearer:unverified_binding"},
	}
	for stackName, mod := range stacks {
		s, _ := newStack(t, mod)
		for _, tc := range cases {
			t.Run(stackName+"/"+tc.name, func(t *testing.T) {
				req := httptest.NewRequest("GET", "/v1/items", nil)
				tc.req(req)
				w := httptest.NewRecorder()
				s.h.ServeHTTP(w, req)
				if w.Code != http.StatusUnauthorized {
					t.Fatalf("got %d %s, want 401", w.Code, w.Body)
				}
				var prob struct{ Reason string }
				json.Unmarshal(w.Body.Bytes(), &prob)
				if prob.Reason != "invalid_token" {
					t.Errorf("got reason %q, want invalid_token", prob.Reason)
				}
				if got := w.Header().Get("WWW-Authenticate"); !strings.HasPrefix(got, `Bearer realm="api", error="invalid_token"`) {
					t.Errorf("got WWW-Authenticate %q", got)
				}
				d := s.lastRec.Decisions()
				if len(d) != 1 || d[0].Outcome != record.Deny || d[0].Rule != tc.wantCheck {
					t.Errorf("got decisions %+v, want one deny by %s", d, tc.wantCheck)
				}
				if _, check, _ := strings.Cut(tc.wantCheck, ":"); strings.Contains(w.Body.String(), check) {
					t.Errorf("response reveals the check: %s", w.Body)
				}
			})
		}
	}
	// A cookie carrying a bound token is refused the same way.
	s, _ := newStack(t, stacks["anonymous"])
	req := httptest.NewRequest("GET", "/", nil)
	req.AddCookie(&http.Cookie{Name: "at", Value: dpopBound})
	w := httptest.NewRecorder()
	s.h.ServeHTTP(w, req)
	if d := s.lastRec.Decisions(); w.Code != 401 || len(d) != 1 || d[0].Rule != "bearer:unverified_binding" {
		t.Errorf("bound token in a cookie: got %d %+v, want 401 by bearer:unverified_binding", w.Code, d)
	}
}

// claimsAuthenticator is an application's Authenticator that returns a
// principal with the given claims for any credential.
type claimsAuthenticator map[string]any

func (claimsAuthenticator) Kind() auth.CredentialKind { return auth.Bearer }
func (c claimsAuthenticator) Authenticate(context.Context, string) (*auth.Principal, error) {
	return &auth.Principal{Subject: "bob", Method: "introspection", Claims: c}, nil
}

// TestBoundPrincipalFromAnyAuthenticator: the middleware holds every
// Authenticator to the rule, since none of them sees the request's proof.
func TestBoundPrincipalFromAnyAuthenticator(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		claims map[string]any
		want   int
	}{
		{"no claims", nil, 200},
		{"claims without cnf", map[string]any{"scope": "a"}, 200},
		{"cnf jkt", map[string]any{"cnf": map[string]any{"jkt": "x"}}, 401},
		{"cnf nil", map[string]any{"cnf": nil}, 401},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := auth.New(auth.Config{Authenticators: []auth.Authenticator{claimsAuthenticator(tc.claims)}, Logger: discardLogger()})
			if err != nil {
				t.Fatal(err)
			}
			req := httptest.NewRequest("GET", "/", nil)
			req.Header.Set("Authorization", "Bearer opaque-token")
			p, err := m.Authenticate(req)
			if tc.want == 401 {
				if got := auth.CheckOf(err); got != "unverified_binding" || p != nil {
					t.Fatalf("got %+v, %v (check %q), want unverified_binding", p, err, got)
				}
				return
			}
			if err != nil || p.Subject != "bob" {
				t.Fatalf("got %+v, %v, want bob", p, err)
			}
		})
	}
}
