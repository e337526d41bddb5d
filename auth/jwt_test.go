package auth_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/apishield/apishield/auth"
	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jws"
)

// TestInteropJWX verifies tokens signed by an independent JOSE
// implementation (jwx's signer, not ours) for every algorithm.
func TestInteropJWX(t *testing.T) {
	t.Parallel()
	j := newVerifier(t, newJWKSServer(standardSet(t)), nil)
	for _, a := range algs {
		t.Run(a, func(t *testing.T) {
			alg, ok := jwa.LookupSignatureAlgorithm(a)
			if !ok {
				t.Fatalf("jwx does not know %s", a)
			}
			hdr := jws.NewHeaders()
			hdr.Set(jws.KeyIDKey, a)
			hdr.Set(jws.TypeKey, "at+jwt")
			tok, err := jws.Sign([]byte(claimsJSON(time.Now(), "")), jws.WithKey(alg, keys(t).private(a), jws.WithProtectedHeaders(hdr)))
			if err != nil {
				t.Fatal(err)
			}
			p, err := j.Verify(context.Background(), string(tok))
			if err != nil {
				t.Fatalf("Verify(jwx-signed %s): %v", a, err)
			}
			if p.Subject != "alice" {
				t.Errorf("Subject = %q", p.Subject)
			}
		})
	}
}

func TestPrincipalFromClaims(t *testing.T) {
	t.Parallel()
	j := newVerifier(t, newJWKSServer(standardSet(t)), func(c *auth.JWTConfig) {
		c.RolePaths = []string{"/realm_access/roles", "/resource_access/my-client/roles", "/permissions", "/https:~1~1example.com~1roles", "/missing/path", "/groups/0"}
	})
	now := time.Now().Truncate(time.Second)
	cases := []struct {
		name       string
		extra      string
		wantScopes []string
		wantRoles  []string
		check      func(t *testing.T, p *auth.Principal)
	}{
		{name: "scope string", wantScopes: []string{"items:read", "items:write"}},
		{name: "keycloak and auth0 roles",
			extra:      `"realm_access":{"roles":["admin","user"]},"resource_access":{"my-client":{"roles":["editor"]},"other":{"roles":["x"]}},"permissions":["read:items"],"https://example.com/roles":"namespaced","groups":["first","second"]`,
			wantScopes: []string{"items:read", "items:write"},
			wantRoles:  []string{"admin", "user", "editor", "read:items", "namespaced", "first"}},
		{name: "identity fields", extra: `"acr":"urn:mace:incommon:iap:silver","amr":["pwd","mfa"],"auth_time":` + itoa(now.Add(-time.Minute).Unix()),
			wantScopes: []string{"items:read", "items:write"},
			check: func(t *testing.T, p *auth.Principal) {
				if p.ACR != "urn:mace:incommon:iap:silver" || strings.Join(p.AMR, ",") != "pwd,mfa" || !p.AuthTime.Equal(now.Add(-time.Minute)) {
					t.Errorf("acr/amr/auth_time = %q %q %v", p.ACR, p.AMR, p.AuthTime)
				}
				if p.Subject != "alice" || p.ClientID != "app" || p.Issuer != testIssuer || p.Audience[0] != testAudience {
					t.Errorf("identity = %+v", p)
				}
				if !p.Expiry.Equal(now.Add(time.Hour)) {
					t.Errorf("Expiry = %v, want %v", p.Expiry, now.Add(time.Hour))
				}
				if p.Claims["jti"] != "j1" {
					t.Errorf("raw claims lack jti: %v", p.Claims)
				}
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tok := sign(t, "ES256", keys(t).ec256, `{"alg":"ES256","kid":"ES256"}`, claimsJSON(now, tc.extra))
			p, err := j.Verify(context.Background(), tok)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(p.Scopes, " ") != strings.Join(tc.wantScopes, " ") {
				t.Errorf("Scopes = %q, want %q", p.Scopes, tc.wantScopes)
			}
			if strings.Join(p.Roles, " ") != strings.Join(tc.wantRoles, " ") {
				t.Errorf("Roles = %q, want %q", p.Roles, tc.wantRoles)
			}
			if tc.check != nil {
				tc.check(t, p)
			}
		})
	}
}

func TestScopeForms(t *testing.T) {
	t.Parallel()
	j := newVerifier(t, newJWKSServer(standardSet(t)), nil)
	now := time.Now()
	for name, claims := range map[string]string{
		"scp array (Okta)":   `{"iss":"` + testIssuer + `","aud":"` + testAudience + `","exp":` + itoa(now.Unix()+600) + `,"scp":["a","b"]}`,
		"scp string (Entra)": `{"iss":"` + testIssuer + `","aud":"` + testAudience + `","exp":` + itoa(now.Unix()+600) + `,"scp":"a b"}`,
		"scope string":       `{"iss":"` + testIssuer + `","aud":"` + testAudience + `","exp":` + itoa(now.Unix()+600) + `,"scope":"a b"}`,
		"azp as client":      `{"iss":"` + testIssuer + `","aud":"` + testAudience + `","exp":` + itoa(now.Unix()+600) + `,"scope":"a b","azp":"app"}`,
	} {
		t.Run(name, func(t *testing.T) {
			p, err := j.Verify(context.Background(), sign(t, "ES256", keys(t).ec256, `{"alg":"ES256","kid":"ES256"}`, claims))
			if err != nil {
				t.Fatal(err)
			}
			if !p.HasScope("a") || !p.HasScope("b") || len(p.Scopes) != 2 {
				t.Errorf("Scopes = %q", p.Scopes)
			}
			if strings.Contains(name, "azp") && p.ClientID != "app" {
				t.Errorf("ClientID = %q, want azp", p.ClientID)
			}
		})
	}
}

// TestRFC9068Profile: with Type at+jwt, an ID token (typ JWT, no
// client_id) is refused, and an access token missing a required claim too.
func TestRFC9068Profile(t *testing.T) {
	t.Parallel()
	j := newVerifier(t, newJWKSServer(standardSet(t)), func(c *auth.JWTConfig) { c.Type = auth.TypeAccessToken })
	now := time.Now()
	idToken := `{"iss":"` + testIssuer + `","aud":"` + testAudience + `","sub":"alice","exp":` + itoa(now.Unix()+600) + `,"iat":` + itoa(now.Unix()) + `,"nonce":"n"}`
	cases := []struct{ name, header, claims, want string }{
		{"access token", `{"alg":"ES256","kid":"ES256","typ":"at+jwt"}`, claimsJSON(now, ""), ""},
		{"media type form", `{"alg":"ES256","kid":"ES256","typ":"application/AT+JWT"}`, claimsJSON(now, ""), ""},
		{"ID token", `{"alg":"ES256","kid":"ES256","typ":"JWT"}`, idToken, "typ_mismatch"},
		{"ID token relabelled at+jwt", `{"alg":"ES256","kid":"ES256","typ":"at+jwt"}`, idToken, "rfc9068_claims_missing"},
		{"no typ", `{"alg":"ES256","kid":"ES256"}`, claimsJSON(now, ""), "typ_mismatch"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := j.Verify(context.Background(), sign(t, "ES256", keys(t).ec256, tc.header, tc.claims))
			if got := auth.CheckOf(err); got != tc.want || (tc.want == "" && err != nil) {
				t.Fatalf("check = %q (%v), want %q", got, err, tc.want)
			}
		})
	}
}

func TestMaxLifetimeAndAllowlist(t *testing.T) {
	t.Parallel()
	srv := newJWKSServer(standardSet(t))
	j := newVerifier(t, srv, func(c *auth.JWTConfig) {
		c.MaxLifetime = 30 * time.Minute
		c.Algorithms = []string{"ES256"}
	})
	now := time.Now()
	if _, err := j.Verify(context.Background(), validToken(t, "ES256", now)); auth.CheckOf(err) != "lifetime_exceeded" {
		t.Errorf("1 h token with 30 min max lifetime: %v", err)
	}
	short := sign(t, "ES256", keys(t).ec256, `{"alg":"ES256","kid":"ES256"}`,
		`{"iss":"`+testIssuer+`","aud":"`+testAudience+`","exp":`+itoa(now.Unix()+600)+`}`)
	if _, err := j.Verify(context.Background(), short); auth.CheckOf(err) != "iat_missing" {
		t.Errorf("no iat with max lifetime: %v", err)
	}
	if _, err := j.Verify(context.Background(), validToken(t, "RS256", now)); auth.CheckOf(err) != "alg_not_allowed" {
		t.Errorf("RS256 outside the allowlist: %v", err)
	}
}

func TestNewJWTConfig(t *testing.T) {
	t.Parallel()
	url := serve(t, newJWKSServer(standardSet(t))) + "/jwks"
	base := func() auth.JWTConfig {
		return auth.JWTConfig{Issuer: testIssuer, Audience: []string{testAudience}, JWKSURL: url, Logger: discardLogger()}
	}
	cases := map[string]func(*auth.JWTConfig){
		"no issuer":            func(c *auth.JWTConfig) { c.Issuer = "" },
		"http issuer":          func(c *auth.JWTConfig) { c.Issuer = "http://issuer.example" },
		"no audience":          func(c *auth.JWTConfig) { c.Audience = nil },
		"empty audience":       func(c *auth.JWTConfig) { c.Audience = []string{""} },
		"alg none":             func(c *auth.JWTConfig) { c.Algorithms = []string{"none"} },
		"alg HS256":            func(c *auth.JWTConfig) { c.Algorithms = []string{"HS256"} },
		"alg unknown":          func(c *auth.JWTConfig) { c.Algorithms = []string{"ES256K"} },
		"leeway too big":       func(c *auth.JWTConfig) { c.Leeway = 6 * time.Minute },
		"negative leeway":      func(c *auth.JWTConfig) { c.Leeway = -time.Second },
		"bad role path":        func(c *auth.JWTConfig) { c.RolePaths = []string{"roles"} },
		"bad role escape":      func(c *auth.JWTConfig) { c.RolePaths = []string{"/a~2"} },
		"http jwks off host":   func(c *auth.JWTConfig) { c.JWKSURL = "http://keys.example/jwks" },
		"refresh min over max": func(c *auth.JWTConfig) { c.RefreshMin, c.RefreshMax = time.Hour, time.Minute },
		"negative size":        func(c *auth.JWTConfig) { c.MaxTokenSize = -1 },
	}
	for name, mod := range cases {
		t.Run(name, func(t *testing.T) {
			cfg := base()
			mod(&cfg)
			if _, err := auth.NewJWT(context.Background(), cfg); !errors.Is(err, auth.ErrInvalidConfig) {
				t.Fatalf("NewJWT = %v, want ErrInvalidConfig", err)
			}
		})
	}
	if _, err := auth.NewJWT(context.Background(), base()); err != nil {
		t.Fatalf("valid config: %v", err)
	}
}

// TestKeySetFiltering: keys auth must not use are dropped when the set
// loads, and logged once each; a set left with none fails NewJWT.
func TestKeySetFiltering(t *testing.T) {
	t.Parallel()
	r := keys(t)
	// jwx refuses to even export a 1024-bit key, so write the JWK by hand.
	weak := json.RawMessage(`{"kty":"RSA","kid":"weak","alg":"RS256","e":"AQAB","n":"` +
		base64.RawURLEncoding.EncodeToString(r.weakRSA.N.Bytes()) + `"}`)
	oct := json.RawMessage(`{"kty":"oct","kid":"hmac","k":"c2VjcmV0"}`)
	enc := jwkJSON(t, r.rsa2.Public(), "enc", "")
	var encMap map[string]any
	json.Unmarshal(enc, &encMap)
	encMap["use"] = "enc"
	enc, _ = json.Marshal(encMap)
	mismatch := jwkJSON(t, r.ec256.Public(), "mismatch", "ES384")
	good := jwkJSON(t, r.ec256.Public(), "ES256", "ES256")
	private := jwkJSON(t, r.ec384, "private", "ES384")

	var logs bytes.Buffer
	srv := newJWKSServer(jwksJSON(weak, oct, enc, mismatch, private, good))
	j := newVerifier(t, srv, func(c *auth.JWTConfig) {
		c.Logger = slog.New(slog.NewTextHandler(&logs, nil))
		c.RefetchInterval = time.Nanosecond
	})
	now := time.Now()
	weakTok := sign(t, "RS256", r.weakRSA, `{"alg":"RS256","kid":"weak"}`, claimsJSON(now, ""))
	if _, err := j.Verify(context.Background(), weakTok); auth.CheckOf(err) != "unknown_kid" {
		t.Errorf("token signed by a 1024-bit key: %v, want unknown_kid", err)
	}
	for _, kid := range []string{"weak", "hmac", "enc", "mismatch", "private"} {
		if n := strings.Count(logs.String(), "kid="+kid+" "); n != 1 {
			t.Errorf("kid %s logged %d times, want once:\n%s", kid, n, logs.String())
		}
	}
	if _, err := j.Verify(context.Background(), validToken(t, "ES256", now)); err != nil {
		t.Errorf("good key: %v", err)
	}
	_, err := auth.NewJWT(context.Background(), auth.JWTConfig{Issuer: testIssuer, Audience: []string{testAudience},
		JWKSURL: serve(t, newJWKSServer(jwksJSON(weak, oct))) + "/", Logger: discardLogger()})
	if err == nil || errors.Is(err, auth.ErrInvalidConfig) {
		t.Errorf("NewJWT with no usable key = %v, want a fetch error", err)
	}
}

// TestSingleKeyWithoutKID: a set of one key without kid verifies tokens
// with and without a kid; with two keys a kid is required.
func TestSingleKeyWithoutKID(t *testing.T) {
	t.Parallel()
	r := keys(t)
	j := newVerifier(t, newJWKSServer(jwksJSON(jwkJSON(t, r.ed.Public(), "", ""))), func(c *auth.JWTConfig) { c.RefetchInterval = time.Nanosecond })
	now := time.Now()
	for _, h := range []string{`{"alg":"EdDSA"}`, `{"alg":"EdDSA","kid":"whatever"}`} {
		if _, err := j.Verify(context.Background(), sign(t, "EdDSA", r.ed, h, claimsJSON(now, ""))); err != nil {
			t.Errorf("header %s: %v", h, err)
		}
	}
	if _, err := j.Verify(context.Background(), sign(t, "ES256", r.ec256, `{"alg":"ES256"}`, claimsJSON(now, ""))); auth.CheckOf(err) != "key_alg_mismatch" {
		t.Errorf("ES256 against a lone Ed25519 key: %v", err)
	}
}
