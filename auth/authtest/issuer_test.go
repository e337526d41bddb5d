package authtest_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apishield/apishield/auth"
	"github.com/apishield/apishield/auth/authtest"
)

const audience = "https://api.test"

// verifier is auth's verifier for iss, reaching its documents in process,
// and fetching the key set again for any unknown kid.
func verifier(t *testing.T, iss *authtest.Issuer) *auth.JWT {
	t.Helper()
	j, err := auth.NewJWT(t.Context(), auth.JWTConfig{
		Issuer:          iss.URL(),
		Audience:        []string{audience},
		Type:            auth.TypeAccessToken,
		HTTPClient:      iss.Client(),
		RefetchInterval: time.Nanosecond,
		Logger:          slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	return j
}

func TestConfigErrors(t *testing.T) {
	t.Parallel()
	ok := authtest.Config{Issuer: "http://127.0.0.1:1", Audience: []string{audience}}
	for _, tc := range []struct {
		name string
		mod  func(*authtest.Config)
	}{
		{"no issuer", func(c *authtest.Config) { c.Issuer = "" }},
		{"issuer not a URL", func(c *authtest.Config) { c.Issuer = "issuer" }},
		{"issuer ftp", func(c *authtest.Config) { c.Issuer = "ftp://x.test" }},
		{"issuer with query", func(c *authtest.Config) { c.Issuer = "https://x.test/?a=1" }},
		{"issuer with user", func(c *authtest.Config) { c.Issuer = "https://u:p@x.test" }},
		{"no audience", func(c *authtest.Config) { c.Audience = nil }},
		{"empty audience", func(c *authtest.Config) { c.Audience = []string{""} }},
		{"unknown algorithm", func(c *authtest.Config) { c.Algorithm = "HS256" }},
		{"none", func(c *authtest.Config) { c.Algorithm = "none" }},
		{"negative TTL", func(c *authtest.Config) { c.TTL = -time.Second }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := ok
			tc.mod(&cfg)
			if _, err := authtest.New(cfg); !errors.Is(err, authtest.ErrInvalidConfig) {
				t.Errorf("New: %v, want ErrInvalidConfig", err)
			}
		})
	}
	if _, err := authtest.New(ok); err != nil {
		t.Errorf("a valid config: %v", err)
	}
	defer func() {
		if recover() == nil {
			t.Error("MustNew did not panic on an invalid config")
		}
	}()
	authtest.MustNew(authtest.Config{})
}

// TestTokensVerify: a token of every algorithm verifies with auth's
// verifier, found by discovery, and says what its Claims said.
func TestTokensVerify(t *testing.T) {
	t.Parallel()
	for _, alg := range []string{"", "ES384", "ES512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "EdDSA"} {
		t.Run("alg "+alg, func(t *testing.T) {
			t.Parallel()
			iss := authtest.MustNew(authtest.Config{Issuer: "https://idp.test/realms/x", Audience: []string{audience}, Algorithm: alg})
			j := verifier(t, iss)
			authTime := time.Now().Add(-time.Minute).Truncate(time.Second)
			tok := iss.Token(authtest.Claims{
				Subject: "alice", Scopes: []string{"items:read", "items:write"}, Roles: []string{"admin"},
				AMR: []string{"pwd", "mfa"}, ACR: "urn:mfa", AuthTime: authTime,
				Extra: map[string]any{"tenant": "acme"},
			})
			p, err := j.Verify(t.Context(), tok)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if p.Subject != "alice" || p.Issuer != iss.URL() || p.ClientID != authtest.DefaultClientID ||
				!slices.Equal(p.Scopes, []string{"items:read", "items:write"}) || !p.HasRole("admin") ||
				!slices.Equal(p.AMR, []string{"pwd", "mfa"}) || p.ACR != "urn:mfa" || !p.AuthTime.Equal(authTime) ||
				p.Claims["tenant"] != "acme" || !slices.Equal(p.Audience, []string{audience}) {
				t.Errorf("principal %+v", p)
			}
			want := alg
			if want == "" {
				want = authtest.DefaultAlgorithm
			}
			if h := header(t, tok); h["alg"] != want || h["typ"] != "at+jwt" || h["kid"] != iss.KeyID() {
				t.Errorf("header %v, want alg %s, typ at+jwt, kid %s", h, want, iss.KeyID())
			}
		})
	}
}

func header(t *testing.T, tok string) map[string]string {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(strings.Split(tok, ".")[0])
	if err != nil {
		t.Fatal(err)
	}
	var h map[string]string
	if err := json.Unmarshal(b, &h); err != nil {
		t.Fatal(err)
	}
	return h
}

func claims(t *testing.T, tok string) map[string]any {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(strings.Split(tok, ".")[1])
	if err != nil {
		t.Fatal(err)
	}
	var c map[string]any
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

// TestRefusedTokens: the tokens a test needs to see refused are refused,
// for the reason they were made for.
func TestRefusedTokens(t *testing.T) {
	t.Parallel()
	iss := authtest.MustNew(authtest.Config{Issuer: "http://127.0.0.1:1", Audience: []string{audience}})
	other := authtest.MustNew(authtest.Config{Issuer: "http://127.0.0.1:1", Audience: []string{audience}})
	j := verifier(t, iss)
	for _, tc := range []struct {
		name, token, check string
		sentinel           error
	}{
		{"expired", iss.Token(authtest.Claims{Subject: "a", TTL: -time.Minute}), "expired", auth.ErrTokenExpired},
		{"another issuer's key", other.Token(authtest.Claims{Subject: "a"}), "unknown_kid", auth.ErrInvalidToken},
		{"another audience", iss.Token(authtest.Claims{Subject: "a", Audience: []string{"https://other.test"}}), "audience", auth.ErrInvalidToken},
		{"no sub", iss.Token(authtest.Claims{}), "", auth.ErrInvalidToken},
		{"jti removed", iss.Token(authtest.Claims{Subject: "a", Extra: map[string]any{"jti": nil}}), "", auth.ErrInvalidToken},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := j.Verify(t.Context(), tc.token)
			if !errors.Is(err, tc.sentinel) {
				t.Fatalf("Verify: %v, want %v", err, tc.sentinel)
			}
			if tc.check != "" && !strings.Contains(auth.CheckOf(err), tc.check) {
				t.Errorf("check %q, want one naming %q", auth.CheckOf(err), tc.check)
			}
		})
	}
}

// TestClock: iat and exp come from Config.Now and the TTLs.
func TestClock(t *testing.T) {
	t.Parallel()
	at := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	iss := authtest.MustNew(authtest.Config{Issuer: "http://127.0.0.1:1", Audience: []string{audience, "b"}, TTL: time.Hour,
		ClientID: "cli", Now: func() time.Time { return at }})
	c := claims(t, iss.Token(authtest.Claims{Subject: "s"}))
	if c["iat"] != float64(at.Unix()) || c["exp"] != float64(at.Add(time.Hour).Unix()) || c["client_id"] != "cli" {
		t.Errorf("claims %v", c)
	}
	if aud, ok := c["aud"].([]any); !ok || len(aud) != 2 {
		t.Errorf("aud %v, want both audiences", c["aud"])
	}
	c = claims(t, iss.Token(authtest.Claims{Subject: "s", TTL: time.Minute, Extra: map[string]any{"iat": 7}}))
	if c["iat"] != float64(7) || c["exp"] != float64(at.Add(time.Minute).Unix()) {
		t.Errorf("claims %v: Claims.TTL and Extra must win", c)
	}
	if c := claims(t, iss.Token(authtest.Claims{})); c["scope"] != nil || c["roles"] != nil || c["sub"] != nil || c["amr"] != nil {
		t.Errorf("empty Claims wrote %v", c)
	}
}

// TestRotation: after Rotate, new tokens carry the new kid, the set holds
// both keys and both tokens verify; after Retire, a verifier that fetches
// the set again refuses the old key's tokens.
func TestRotation(t *testing.T) {
	t.Parallel()
	iss := authtest.MustNew(authtest.Config{Issuer: "http://127.0.0.1:1", Audience: []string{audience}})
	j := verifier(t, iss)
	oldKid := iss.KeyID()
	oldTok := iss.Token(authtest.Claims{Subject: "a"})
	newKid, err := iss.Rotate()
	if err != nil {
		t.Fatal(err)
	}
	if newKid == oldKid || iss.KeyID() != newKid {
		t.Fatalf("Rotate returned %s, KeyID %s, old %s", newKid, iss.KeyID(), oldKid)
	}
	newTok := iss.Token(authtest.Claims{Subject: "a"})
	if h := header(t, newTok); h["kid"] != newKid {
		t.Errorf("new token's kid %s, want %s", h["kid"], newKid)
	}
	if kids := setKids(t, iss); !slices.Equal(kids, []string{oldKid, newKid}) {
		t.Errorf("key set %v, want both keys", kids)
	}
	for _, tok := range []string{oldTok, newTok} { // the new kid is fetched on demand
		if _, err := j.Verify(t.Context(), tok); err != nil {
			t.Errorf("Verify after Rotate: %v", err)
		}
	}
	if err := iss.Retire(newKid); err == nil {
		t.Error("the signing key was retired")
	}
	if err := iss.Retire("nope"); err == nil {
		t.Error("an unknown kid was retired")
	}
	if err := iss.Retire(oldKid); err != nil {
		t.Fatal(err)
	}
	if kids := setKids(t, iss); !slices.Equal(kids, []string{newKid}) {
		t.Errorf("key set %v after Retire, want only %s", kids, newKid)
	}
	fresh := verifier(t, iss)
	if _, err := fresh.Verify(t.Context(), oldTok); err == nil {
		t.Error("a retired key's token verified")
	}
	if _, err := fresh.Verify(t.Context(), newTok); err != nil {
		t.Errorf("the current key's token: %v", err)
	}
}

func setKids(t *testing.T, iss *authtest.Issuer) []string {
	t.Helper()
	resp, err := iss.Client().Get(iss.JWKSURL())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var set struct{ Keys []map[string]any }
	if err := json.NewDecoder(resp.Body).Decode(&set); err != nil {
		t.Fatal(err)
	}
	var kids []string
	for _, k := range set.Keys {
		for _, private := range []string{"d", "p", "q", "dp", "dq", "qi"} {
			if k[private] != nil {
				t.Errorf("the key set publishes %s", private)
			}
		}
		kids = append(kids, k["kid"].(string))
	}
	return kids
}

// TestHandler: the documents are served below the issuer's path, for GET
// and HEAD only, and discovery points at the key set.
func TestHandler(t *testing.T) {
	t.Parallel()
	iss := authtest.MustNew(authtest.Config{Issuer: "https://idp.test/realms/x/", Audience: []string{audience}})
	h := iss.Handler()
	serve := func(method, path string) *httptest.ResponseRecorder {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(method, path, nil))
		return w
	}
	w := serve("GET", "/realms/x/.well-known/openid-configuration")
	var meta map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &meta); err != nil || w.Code != 200 ||
		meta["issuer"] != iss.URL() || meta["jwks_uri"] != "https://idp.test/realms/x/.well-known/jwks.json" ||
		w.Header().Get("Content-Type") != "application/json" {
		t.Errorf("discovery: %d %s", w.Code, w.Body)
	}
	if w := serve("HEAD", "/realms/x/.well-known/jwks.json"); w.Code != 200 {
		t.Errorf("HEAD key set: %d", w.Code)
	}
	for _, c := range []struct {
		method, path string
		want         int
	}{
		{"POST", "/realms/x/.well-known/jwks.json", 405},
		{"GET", "/.well-known/jwks.json", 404},
		{"GET", "/realms/x/token", 404},
	} {
		if w := serve(c.method, c.path); w.Code != c.want {
			t.Errorf("%s %s: %d, want %d", c.method, c.path, w.Code, c.want)
		}
	}
	if _, err := iss.Client().Get("https://elsewhere.test/.well-known/jwks.json"); err == nil {
		t.Error("the in-process client reached another host")
	}
}

// TestServer: NewServer's issuer is its URL, and auth verifies its tokens
// fetching discovery and keys over loopback HTTP; NewTLSServer over HTTPS.
func TestServer(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		start func(authtest.Config) *authtest.Server
	}{{"http", authtest.NewServer}, {"https", authtest.NewTLSServer}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := tc.start(authtest.Config{Audience: []string{audience}})
			defer srv.Close()
			if srv.URL() != srv.HTTP.URL || !strings.HasPrefix(srv.URL(), tc.name+"://127.0.0.1:") {
				t.Fatalf("issuer %s, server %s", srv.URL(), srv.HTTP.URL)
			}
			j, err := auth.NewJWT(t.Context(), auth.JWTConfig{Issuer: srv.URL(), Audience: []string{audience},
				HTTPClient: srv.HTTP.Client(), Logger: slog.New(slog.DiscardHandler)})
			if err != nil {
				t.Fatal(err)
			}
			if p, err := j.Verify(t.Context(), srv.Token(authtest.Claims{Subject: "bob"})); err != nil || p.Subject != "bob" {
				t.Fatalf("Verify: %v %v", p, err)
			}
		})
	}
	defer func() {
		if recover() == nil {
			t.Error("NewServer accepted an Issuer of its own")
		}
	}()
	authtest.NewServer(authtest.Config{Issuer: "http://127.0.0.1:1", Audience: []string{audience}})
}

// TestConcurrentUse mints, rotates, retires and serves at once, for the
// race detector; every token verifies with the key set of its time.
func TestConcurrentUse(t *testing.T) {
	t.Parallel()
	iss := authtest.MustNew(authtest.Config{Issuer: "http://127.0.0.1:1", Audience: []string{audience}})
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := range 4 {
		wg.Go(func() {
			for range 10 {
				if g == 0 {
					old := iss.KeyID()
					if _, err := iss.Rotate(); err != nil {
						errs <- err
						return
					}
					if err := iss.Retire(old); err != nil {
						errs <- err
						return
					}
					continue
				}
				tok := iss.Token(authtest.Claims{Subject: "c"})
				if len(strings.Split(tok, ".")) != 3 {
					errs <- errors.New("not a compact JWS: " + tok)
				}
				resp, err := iss.Client().Get(iss.JWKSURL())
				if err != nil {
					errs <- err
					return
				}
				resp.Body.Close()
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if _, err := verifier(t, iss).Verify(context.Background(), iss.Token(authtest.Claims{Subject: "c"})); err != nil {
		t.Errorf("a token after the rotations: %v", err)
	}
}
