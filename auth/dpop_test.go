package auth_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/apishield/apishield/auth"
	"github.com/apishield/apishield/auth/authtest"
)

// TestDPoPConfigErrors: every unsafe or unusable DPoP configuration is a
// start-up error wrapping ErrInvalidConfig.
func TestDPoPConfigErrors(t *testing.T) {
	t.Parallel()
	srv := newJWKSServer(standardSet(t))
	url := serve(t, srv) + "/jwks"
	ok := auth.DPoPConfig{Mode: auth.DPoPAllowed, PublicOrigin: testOrigin, ReplayCache: newFakeReplay()}
	for _, tc := range []struct {
		name string
		mod  func(*auth.JWTConfig)
	}{
		{"unknown mode", func(c *auth.JWTConfig) { c.DPoP.Mode = 7 }},
		{"no public origin", func(c *auth.JWTConfig) { c.DPoP.PublicOrigin = "" }},
		{"origin with a path", func(c *auth.JWTConfig) { c.DPoP.PublicOrigin = "https://api.example.com/v1" }},
		{"origin with a query", func(c *auth.JWTConfig) { c.DPoP.PublicOrigin = "https://api.example.com/?a=b" }},
		{"origin not http", func(c *auth.JWTConfig) { c.DPoP.PublicOrigin = "ftp://api.example.com" }},
		{"origin without host", func(c *auth.JWTConfig) { c.DPoP.PublicOrigin = "https://" }},
		{"alg none", func(c *auth.JWTConfig) { c.DPoP.Algorithms = []string{"ES256", "none"} }},
		{"alg HS256", func(c *auth.JWTConfig) { c.DPoP.Algorithms = []string{"HS256"} }},
		{"unknown alg", func(c *auth.JWTConfig) { c.DPoP.Algorithms = []string{"ES257"} }},
		{"negative max age", func(c *auth.JWTConfig) { c.DPoP.MaxAge = -time.Second }},
		{"window too long", func(c *auth.JWTConfig) { c.DPoP.MaxAge = 10 * time.Minute; c.DPoP.Leeway = time.Second }},
		{"negative proof size", func(c *auth.JWTConfig) { c.DPoP.MaxProofSize = -1 }},
		{"short nonce key", func(c *auth.JWTConfig) { c.DPoP.Nonce.Keys = [][]byte{make([]byte, 31)} }},
		{"second nonce key short", func(c *auth.JWTConfig) { c.DPoP.Nonce.Keys = [][]byte{nonceKey, []byte("short")} }},
		{"nonce period without keys", func(c *auth.JWTConfig) { c.DPoP.Nonce.Period = time.Minute }},
		{"nonce period too short", func(c *auth.JWTConfig) {
			c.DPoP.Nonce = auth.DPoPNonceConfig{Keys: [][]byte{nonceKey}, Period: time.Second}
		}},
		{"nonce period not whole seconds", func(c *auth.JWTConfig) {
			c.DPoP.Nonce = auth.DPoPNonceConfig{Keys: [][]byte{nonceKey}, Period: 90500 * time.Millisecond}
		}},
		{"cert header without proxies", func(c *auth.JWTConfig) {
			c.CertificateBinding = auth.CertificateBindingConfig{Enabled: true, Header: "Client-Cert"}
		}},
		{"cert binding settings while disabled", func(c *auth.JWTConfig) {
			c.CertificateBinding = auth.CertificateBindingConfig{Header: "Client-Cert"}
		}},
		{"cert header not a token", func(c *auth.JWTConfig) {
			c.CertificateBinding = auth.CertificateBindingConfig{Enabled: true, Header: "Client Cert",
				TrustedProxies: mustPrefixes(t, "10.0.0.0/8")}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := auth.JWTConfig{Issuer: testIssuer, Audience: []string{testAudience}, JWKSURL: url, Logger: discardLogger(), DPoP: ok}
			tc.mod(&cfg)
			if _, err := auth.NewJWT(context.Background(), cfg); !errors.Is(err, auth.ErrInvalidConfig) {
				t.Fatalf("got %v, want ErrInvalidConfig", err)
			}
		})
	}
	// A disabled config's other fields are not looked at: zero is safe.
	cfg := auth.JWTConfig{Issuer: testIssuer, Audience: []string{testAudience}, JWKSURL: url, Logger: discardLogger(),
		DPoP: auth.DPoPConfig{PublicOrigin: "not a URL"}}
	if _, err := auth.NewJWT(context.Background(), cfg); err != nil {
		t.Fatalf("disabled DPoP with other fields set: %v", err)
	}
}

// do sends GET path with the Authorization value authz and the given DPoP
// proofs, and returns the response.
func (s *dpopStack) do(path, authz string, proofs ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest("GET", path, nil)
	if authz != "" {
		req.Header.Set("Authorization", authz)
	}
	for _, p := range proofs {
		req.Header.Add("DPoP", p)
	}
	w := httptest.NewRecorder()
	s.h.ServeHTTP(w, req)
	return w
}

// TestDPoPModes: what each mode takes and refuses, with which challenge,
// and that the principal says how its token was bound.
func TestDPoPModes(t *testing.T) {
	t.Parallel()
	client := newDPoPClient(t)
	bound, unbound := boundToken(t, client.jkt), boundToken(t, "")
	const algs = `algs="ES256 ES384 EdDSA PS256 RS256"`

	allowed := newDPoPStack(t, nil)
	if w := allowed.do("/v1/items", "Bearer "+unbound); w.Code != 200 || allowed.lastP.Binding != "" {
		t.Fatalf("allowed, unbound Bearer: got %d %s binding %q", w.Code, w.Body, allowed.lastP.Binding)
	}
	w := allowed.do("/v1/items", "DPoP "+bound, client.standardProof(t, "GET", "/v1/items", bound, ""))
	if w.Code != 200 || allowed.lastP.Binding != auth.BindingDPoP || allowed.lastP.Subject != "alice" {
		t.Fatalf("allowed, DPoP: got %d %s principal %+v", w.Code, w.Body, allowed.lastP)
	}
	if d := allowed.lastRec.Decisions(); d[0].Rule != "dpop" {
		t.Errorf("allowed, DPoP: got rule %q, want dpop", d[0].Rule)
	}
	// The second request with the same token is a cache hit: the binding
	// is still checked, per request.
	w = allowed.do("/v1/items", "DPoP "+bound)
	if w.Code != 401 || allowed.check() != "dpop_proof_missing" {
		t.Fatalf("cached token without a proof: got %d check %q", w.Code, allowed.check())
	}
	w = allowed.do("/v1/items", "Bearer "+bound)
	if w.Code != 401 || allowed.check() != "dpop_bound_as_bearer" {
		t.Fatalf("cached bound token as Bearer: got %d check %q", w.Code, allowed.check())
	}
	if got, want := w.Header().Get("WWW-Authenticate"), `Bearer realm="api", error="invalid_token", error_description="The credential is invalid", DPoP realm="api", `+algs; got != want {
		t.Errorf("got WWW-Authenticate %q, want %q", got, want)
	}
	w = allowed.do("/v1/items", "")
	if got, want := w.Header().Get("WWW-Authenticate"), `Bearer realm="api", DPoP realm="api", `+algs; w.Code != 401 || got != want {
		t.Errorf("no credential: got %d WWW-Authenticate %q, want %q", w.Code, got, want)
	}

	required := newDPoPStack(t, func(c *auth.JWTConfig) { c.DPoP.Mode = auth.DPoPRequired })
	w = required.do("/v1/items", "Bearer "+unbound)
	if w.Code != 401 || required.check() != "dpop_required" {
		t.Fatalf("required, Bearer: got %d check %q", w.Code, required.check())
	}
	if got, want := w.Header().Get("WWW-Authenticate"), `DPoP realm="api", `+algs+`, error="invalid_token", error_description="The credential is invalid"`; got != want {
		t.Errorf("got WWW-Authenticate %q, want %q", got, want)
	}
	w = required.do("/v1/items", "DPoP "+bound, client.standardProof(t, "GET", "/v1/items", bound, ""))
	if w.Code != 200 || required.lastP.Binding != auth.BindingDPoP {
		t.Fatalf("required, DPoP: got %d %s", w.Code, w.Body)
	}
	w = required.do("/v1/items", "")
	if got, want := w.Header().Get("WWW-Authenticate"), `DPoP realm="api", `+algs; got != want {
		t.Errorf("required, no credential: got WWW-Authenticate %q, want %q", got, want)
	}

	// Verify has no request: it refuses every bound token, whatever the mode.
	j := newVerifier(t, newJWKSServer(standardSet(t)), func(c *auth.JWTConfig) {
		c.DPoP = auth.DPoPConfig{Mode: auth.DPoPAllowed, PublicOrigin: testOrigin, ReplayCache: newFakeReplay()}
	})
	if _, err := j.Verify(context.Background(), bound); auth.CheckOf(err) != "unverified_binding" {
		t.Errorf("Verify of a bound token: got %v, want unverified_binding", err)
	}
}

// TestDPoPNonces: a proof with the previous period's nonce is accepted and
// the response carries the current one; a current nonce needs none.
func TestDPoPNonces(t *testing.T) {
	t.Parallel()
	client := newDPoPClient(t)
	bound := boundToken(t, client.jkt)
	rotated := []byte("the next key, 32 bytes or longer")
	s := newDPoPStack(t, func(c *auth.JWTConfig) {
		// The new key issues; the old one still verifies.
		c.DPoP.Nonce = auth.DPoPNonceConfig{Keys: [][]byte{rotated, nonceKey}, Period: noncePeriod}
	})
	now := time.Now()
	for _, tc := range []struct {
		name      string
		nonce     string
		wantFresh bool
	}{
		{"current nonce, new key", testNonce(rotated, nonceBucket(now)), false},
		{"current nonce, old key", testNonce(nonceKey, nonceBucket(now)), false},
		{"previous period", testNonce(rotated, nonceBucket(now)-1), true},
	} {
		w := s.do("/v1/items", "DPoP "+bound, client.standardProof(t, "GET", "/v1/items", bound, tc.nonce))
		if w.Code != 200 {
			// A bucket boundary between now and the request can turn
			// "current" into "previous"; both are accepted.
			t.Fatalf("%s: got %d %s", tc.name, w.Code, w.Body)
		}
		fresh := w.Header().Get("DPoP-Nonce")
		if tc.wantFresh && fresh != testNonce(rotated, nonceBucket(time.Now())) {
			t.Errorf("%s: got DPoP-Nonce %q, want the current nonce under the first key", tc.name, fresh)
		}
	}
	w := s.do("/v1/items", "DPoP "+bound, client.standardProof(t, "GET", "/v1/items", bound, ""))
	if w.Code != 401 || w.Header().Get("DPoP-Nonce") != testNonce(rotated, nonceBucket(time.Now())) {
		t.Fatalf("no nonce: got %d DPoP-Nonce %q", w.Code, w.Header().Get("DPoP-Nonce"))
	}
}

// TestDPoPReplayCache: the cache is asked once per accepted proof, never
// for a refused one, and an error from it refuses the request.
func TestDPoPReplayCache(t *testing.T) {
	t.Parallel()
	client := newDPoPClient(t)
	bound := boundToken(t, client.jkt)
	s := newDPoPStack(t, nil)
	s.do("/v1/items", "DPoP "+bound, client.standardProof(t, "POST", "/v1/items", bound, ""))
	if s.check() != "dpop_htm" || s.cache.len() != 0 {
		t.Fatalf("refused proof: check %q, cache holds %d", s.check(), s.cache.len())
	}
	s.do("/v1/items", "DPoP "+bound, client.standardProof(t, "GET", "/v1/items", bound, ""))
	if s.check() != "" || s.cache.len() != 1 {
		t.Fatalf("accepted proof: check %q, cache holds %d", s.check(), s.cache.len())
	}
	s.cache.mu.Lock()
	s.cache.err = errCacheDown
	s.cache.mu.Unlock()
	w := s.do("/v1/items", "DPoP "+bound, client.standardProof(t, "GET", "/v1/items", bound, ""))
	if w.Code != 401 || s.check() != "dpop_replay_unavailable" {
		t.Fatalf("cache down: got %d check %q, want 401 dpop_replay_unavailable", w.Code, s.check())
	}
	if d := s.lastRec.Decisions(); d[0].Outcome != "error" {
		t.Errorf("cache down: recorded as %q, want error", d[0].Outcome)
	}
}

// TestDPoPAuthtest: the proofs and bound tokens authtest makes for
// applications' tests verify, for every default algorithm.
func TestDPoPAuthtest(t *testing.T) {
	t.Parallel()
	for _, alg := range []string{"ES256", "ES384", "EdDSA", "PS256", "RS256"} {
		t.Run(alg, func(t *testing.T) {
			t.Parallel()
			iss := authtest.MustNew(authtest.Config{Issuer: "https://issuer.example", Audience: []string{testAudience}})
			j, err := auth.NewJWT(context.Background(), auth.JWTConfig{
				Issuer: iss.URL(), Audience: []string{testAudience}, HTTPClient: iss.Client(),
				DPoP: auth.DPoPConfig{Mode: auth.DPoPRequired, PublicOrigin: testOrigin, ReplayCache: newFakeReplay()},
			})
			if err != nil {
				t.Fatal(err)
			}
			m := auth.MustNew(auth.Config{Authenticators: []auth.Authenticator{j}, Logger: discardLogger()})
			key, err := authtest.NewDPoPKey(alg)
			if err != nil {
				t.Fatal(err)
			}
			tok := iss.Token(authtest.Claims{Subject: "alice", Extra: map[string]any{"cnf": key.Confirmation()}})
			req := httptest.NewRequest("DELETE", "/v1/items/7?force=1", nil)
			req.Header.Set("Authorization", "DPoP "+tok)
			req.Header.Set("DPoP", key.Proof("DELETE", testOrigin+"/v1/items/7", tok, ""))
			p, err := m.Authenticate(req)
			if err != nil || p.Binding != auth.BindingDPoP {
				t.Fatalf("got %+v, %v", p, err)
			}
			// A thief with the token but not the key is refused.
			thief, err := authtest.NewDPoPKey(alg)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("DPoP", thief.Proof("DELETE", testOrigin+"/v1/items/7", tok, ""))
			if _, err := m.Authenticate(req); auth.CheckOf(err) != "dpop_jkt_mismatch" || !errors.Is(err, auth.ErrInvalidDPoPProof) {
				t.Fatalf("thief: got %v", err)
			}
		})
	}
}

// TestDPoPDefaultReplayCache: without a ReplayCache, DPoP uses an
// in-process one: the same proof presented twice is refused the second
// time.
func TestDPoPDefaultReplayCache(t *testing.T) {
	t.Parallel()
	iss := authtest.MustNew(authtest.Config{Issuer: "https://issuer.example", Audience: []string{testAudience}})
	j, err := auth.NewJWT(context.Background(), auth.JWTConfig{
		Issuer: iss.URL(), Audience: []string{testAudience}, HTTPClient: iss.Client(),
		DPoP: auth.DPoPConfig{Mode: auth.DPoPRequired, PublicOrigin: testOrigin},
	})
	if err != nil {
		t.Fatal(err)
	}
	m := auth.MustNew(auth.Config{Authenticators: []auth.Authenticator{j}, Logger: discardLogger()})
	key, err := authtest.NewDPoPKey("ES256")
	if err != nil {
		t.Fatal(err)
	}
	tok := iss.Token(authtest.Claims{Subject: "alice", Extra: map[string]any{"cnf": key.Confirmation()}})
	req := httptest.NewRequest("GET", "/v1/items", nil)
	req.Header.Set("Authorization", "DPoP "+tok)
	req.Header.Set("DPoP", key.Proof("GET", testOrigin+"/v1/items", tok, ""))
	if _, err := m.Authenticate(req); err != nil {
		t.Fatalf("first use: %v", err)
	}
	if _, err := m.Authenticate(req); auth.CheckOf(err) != "dpop_replay" {
		t.Fatalf("the same proof again: got %v, want check dpop_replay", err)
	}
}

// TestDPoPAnotherAuthenticator: an application's Authenticator, which
// cannot opt into bindings, keeps the strict rule; the DPoP scheme is
// refused for it rather than ignored.
func TestDPoPAnotherAuthenticator(t *testing.T) {
	t.Parallel()
	m := auth.MustNew(auth.Config{Authenticators: []auth.Authenticator{claimsAuthenticator{"sub": "bob"}}, Logger: discardLogger()})
	req := httptest.NewRequest("GET", "/", nil)
	req.Header.Set("Authorization", "DPoP opaque")
	req.Header.Set("DPoP", "x.y.z")
	if _, err := m.Authenticate(req); auth.CheckOf(err) != "dpop_unsupported" {
		t.Fatalf("got %v, want dpop_unsupported", err)
	}
}

func TestDPoPModeString(t *testing.T) {
	t.Parallel()
	for m, want := range map[auth.DPoPMode]string{auth.DPoPDisabled: "disabled", auth.DPoPAllowed: "allowed", auth.DPoPRequired: "required", 9: "DPoPMode(9)"} {
		if got := m.String(); got != want {
			t.Errorf("%d: got %q, want %q", int(m), got, want)
		}
	}
	if !strings.Contains(auth.ErrInvalidDPoPProof.Error(), "DPoP") {
		t.Error("ErrInvalidDPoPProof does not say DPoP")
	}
}
