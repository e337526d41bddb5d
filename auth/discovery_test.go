package auth_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/apishield/apishield/auth"
)

// idp is a loopback OpenID provider: discovery metadata and a key set.
func idp(t *testing.T, meta func(base string) map[string]any, set []byte) string {
	t.Helper()
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(meta(srv.URL))
	})
	mux.HandleFunc("GET /jwks", func(w http.ResponseWriter, r *http.Request) { w.Write(set) })
	return srv.URL
}

func TestDiscovery(t *testing.T) {
	t.Parallel()
	set := standardSet(t)
	cases := []struct {
		name    string
		meta    func(base string) map[string]any
		wantErr string
	}{
		{"ok", func(b string) map[string]any { return map[string]any{"issuer": b, "jwks_uri": b + "/jwks"} }, ""},
		{"issuer mismatch", func(b string) map[string]any {
			return map[string]any{"issuer": "https://evil.example", "jwks_uri": b + "/jwks"}
		}, "metadata names issuer"},
		{"issuer with trailing slash", func(b string) map[string]any { return map[string]any{"issuer": b + "/", "jwks_uri": b + "/jwks"} }, "metadata names issuer"},
		{"no jwks_uri", func(b string) map[string]any { return map[string]any{"issuer": b} }, "no jwks_uri"},
		{"plain http jwks_uri", func(b string) map[string]any {
			return map[string]any{"issuer": b, "jwks_uri": "http://keys.example/jwks"}
		}, "https"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			base := idp(t, tc.meta, set)
			j, err := auth.NewJWT(context.Background(), auth.JWTConfig{Issuer: base, Audience: []string{testAudience}, Logger: discardLogger()})
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("NewJWT = %v, want an error about %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if j.JWKSURL() != base+"/jwks" {
				t.Errorf("JWKSURL = %q", j.JWKSURL())
			}
			claims := strings.Replace(claimsJSON(time.Now(), ""), testIssuer, base, 1)
			if _, err := j.Verify(context.Background(), sign(t, "ES256", keys(t).ec256, `{"alg":"ES256","kid":"ES256"}`, claims)); err != nil {
				t.Fatalf("Verify: %v", err)
			}
		})
	}
}

// TestIssuers: each token is checked against its own issuer's keys only.
func TestIssuers(t *testing.T) {
	t.Parallel()
	r := keys(t)
	setA := jwksJSON(jwkJSON(t, r.ec256.Public(), "a", "ES256"))
	setB := jwksJSON(jwkJSON(t, r.attacker.Public(), "b", "ES256"), jwkJSON(t, r.ec256.Public(), "shared-kid", "ES256"))
	const issA, issB = "https://a.example", "https://b.example"
	is, err := auth.NewIssuers(context.Background(),
		auth.JWTConfig{Issuer: issA, Audience: []string{testAudience}, JWKSURL: serve(t, newJWKSServer(setA)) + "/", Logger: discardLogger()},
		auth.JWTConfig{Issuer: issB, Audience: []string{testAudience}, JWKSURL: serve(t, newJWKSServer(setB)) + "/", Logger: discardLogger(), RefetchInterval: time.Nanosecond},
	)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	claims := func(iss string) string { return strings.Replace(claimsJSON(now, ""), testIssuer, iss, 1) }
	cases := []struct{ name, tok, want string }{
		{"A", sign(t, "ES256", r.ec256, `{"alg":"ES256","kid":"a"}`, claims(issA)), ""},
		{"B", sign(t, "ES256", r.attacker, `{"alg":"ES256","kid":"b"}`, claims(issB)), ""},
		{"B's key claiming A", sign(t, "ES256", r.attacker, `{"alg":"ES256","kid":"b"}`, claims(issA)), "unknown_kid"},
		{"A's key claiming B under A's kid", sign(t, "ES256", r.ec256, `{"alg":"ES256","kid":"a"}`, claims(issB)), "unknown_kid"},
		{"unknown issuer", sign(t, "ES256", r.ec256, `{"alg":"ES256","kid":"a"}`, claims("https://c.example")), "unknown_issuer"},
		{"duplicate iss", sign(t, "ES256", r.ec256, `{"alg":"ES256","kid":"a"}`, `{"iss":"`+issA+`","iss":"`+issB+`"}`), "duplicate_claim"},
		{"garbage", "x.y", "not_three_segments"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := is.Verify(context.Background(), tc.tok)
			if got := auth.CheckOf(err); got != tc.want || (tc.want == "" && err != nil) {
				t.Fatalf("check = %q (%v), want %q", got, err, tc.want)
			}
			if tc.want == "" && !strings.HasPrefix(p.Issuer, "https://"+strings.ToLower(tc.name)) {
				t.Errorf("Issuer = %q", p.Issuer)
			}
		})
	}
	// Through the middleware, Issuers is the one bearer authenticator.
	m, err := auth.New(auth.Config{Authenticators: []auth.Authenticator{is}})
	if err != nil {
		t.Fatal(err)
	}
	for tok, want := range map[string]int{cases[0].tok: 200, cases[1].tok: 200, cases[2].tok: 401} {
		req := httptest.NewRequest("GET", "/", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		w := httptest.NewRecorder()
		m.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})).ServeHTTP(w, req)
		if w.Code != want {
			t.Errorf("through the middleware: %d, want %d", w.Code, want)
		}
	}
	if _, err := auth.NewIssuers(context.Background()); !errors.Is(err, auth.ErrInvalidConfig) {
		t.Errorf("NewIssuers() = %v", err)
	}
}
