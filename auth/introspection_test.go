package auth_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"

	"github.com/apishield/apishield/auth"
	"github.com/apishield/apishield/auth/authtest"
	"github.com/apishield/apishield/internal/record"
)

func TestNewIntrospectionConfigErrors(t *testing.T) {
	t.Parallel()
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	weak := keys(t).weakRSA
	cases := []struct {
		name string
		mod  func(*auth.IntrospectionConfig)
	}{
		{"no endpoint", func(c *auth.IntrospectionConfig) { c.Endpoint = "" }},
		{"http endpoint", func(c *auth.IntrospectionConfig) { c.Endpoint = "http://idp.example/introspect" }},
		{"endpoint with credentials", func(c *auth.IntrospectionConfig) { c.Endpoint = "https://u:p@idp.example/introspect" }},
		{"no issuer", func(c *auth.IntrospectionConfig) { c.Issuer = "" }},
		{"http issuer", func(c *auth.IntrospectionConfig) { c.Issuer = "http://idp.example" }},
		{"no audience", func(c *auth.IntrospectionConfig) { c.Audience = nil }},
		{"empty audience", func(c *auth.IntrospectionConfig) { c.Audience = []string{""} }},
		{"no client id", func(c *auth.IntrospectionConfig) { c.ClientID = "" }},
		{"no secret or key", func(c *auth.IntrospectionConfig) { c.ClientSecret = "" }},
		{"secret and key without method", func(c *auth.IntrospectionConfig) { c.PrivateKey = ec }},
		{"basic without secret", func(c *auth.IntrospectionConfig) {
			c.ClientSecret, c.PrivateKey, c.AuthMethod = "", ec, auth.ClientSecretBasic
		}},
		{"post without secret", func(c *auth.IntrospectionConfig) { c.ClientSecret, c.AuthMethod = "", auth.ClientSecretPost }},
		{"private_key_jwt without key", func(c *auth.IntrospectionConfig) { c.AuthMethod = auth.PrivateKeyJWT }},
		{"unknown method", func(c *auth.IntrospectionConfig) { c.AuthMethod = "tls_client_auth" }},
		{"weak RSA key", func(c *auth.IntrospectionConfig) { c.ClientSecret, c.PrivateKey = "", weak }},
		{"algorithm of another curve", func(c *auth.IntrospectionConfig) { c.ClientSecret, c.PrivateKey, c.Algorithm = "", ec, "ES384" }},
		{"RSA algorithm for an EC key", func(c *auth.IntrospectionConfig) { c.ClientSecret, c.PrivateKey, c.Algorithm = "", ec, "RS256" }},
		{"HMAC algorithm", func(c *auth.IntrospectionConfig) { c.ClientSecret, c.PrivateKey, c.Algorithm = "", ec, "HS256" }},
		{"none algorithm", func(c *auth.IntrospectionConfig) { c.ClientSecret, c.PrivateKey, c.Algorithm = "", ec, "none" }},
		{"leeway too large", func(c *auth.IntrospectionConfig) { c.Leeway = time.Hour }},
		{"negative leeway", func(c *auth.IntrospectionConfig) { c.Leeway = -time.Second }},
		{"negative token size", func(c *auth.IntrospectionConfig) { c.MaxTokenSize = -1 }},
		{"negative response size", func(c *auth.IntrospectionConfig) { c.MaxResponseSize = -1 }},
		{"negative timeout", func(c *auth.IntrospectionConfig) { c.Timeout = -time.Second }},
		{"bad role path", func(c *auth.IntrospectionConfig) { c.RolePaths = []string{"roles"} }},
		{"JWT of another kind", func(c *auth.IntrospectionConfig) {
			c.JWT = must(auth.NewAPIKeys(auth.APIKeysConfig{Store: &auth.MemoryStore{}}))
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := auth.IntrospectionConfig{
				Endpoint: "https://idp.example/introspect", Issuer: testIssuer, Audience: []string{testAudience},
				ClientID: testClientID, ClientSecret: testSecret,
			}
			tc.mod(&cfg)
			_, err := auth.NewIntrospection(cfg)
			if !errors.Is(err, auth.ErrInvalidConfig) {
				t.Fatalf("err = %v, want ErrInvalidConfig", err)
			}
		})
	}
	// The check can fail: the base config is valid, loopback http too.
	for _, endpoint := range []string{"https://idp.example/introspect", "http://127.0.0.1:1/introspect", "http://localhost:1/introspect"} {
		if _, err := auth.NewIntrospection(auth.IntrospectionConfig{Endpoint: endpoint, Issuer: testIssuer,
			Audience: []string{testAudience}, ClientID: testClientID, ClientSecret: testSecret}); err != nil {
			t.Errorf("%s: %v", endpoint, err)
		}
	}
}

// TestIntrospectionClientAuthentication: each method reaches a server that
// checks it as an authorization server does. client_secret_basic
// form-encodes the ID and secret before base64 (RFC 6749 §2.3.1), so ':',
// '+', '%', a space and non-ASCII in them arrive intact, which
// Request.SetBasicAuth alone would not do. private_key_jwt assertions are
// verified with jwx: signature, iss = sub = client ID, aud, a short exp,
// and a jti never used twice.
func TestIntrospectionClientAuthentication(t *testing.T) {
	t.Parallel()
	r := keys(t)
	cases := []struct {
		name   string
		method auth.ClientAuthMethod
		key    crypto.Signer
		alg    string
		jwa    jwa.SignatureAlgorithm
		aud    string // AssertionAudience
	}{
		{"client_secret_basic", auth.ClientSecretBasic, nil, "", jwa.NoSignature(), ""},
		{"client_secret_post", auth.ClientSecretPost, nil, "", jwa.NoSignature(), ""},
		{"private_key_jwt ES256", auth.PrivateKeyJWT, r.ec256, "", jwa.ES256(), ""},
		{"private_key_jwt ES384", auth.PrivateKeyJWT, r.ec384, "", jwa.ES384(), ""},
		{"private_key_jwt ES512", auth.PrivateKeyJWT, r.ec521, "", jwa.ES512(), ""},
		{"private_key_jwt RS256", auth.PrivateKeyJWT, r.rsa, "", jwa.RS256(), ""},
		{"private_key_jwt PS256", auth.PrivateKeyJWT, r.rsa, "PS256", jwa.PS256(), ""},
		{"private_key_jwt EdDSA", auth.PrivateKeyJWT, r.ed, "", jwa.EdDSA(), ""},
		{"private_key_jwt aud endpoint", auth.PrivateKeyJWT, r.ec256, "", jwa.ES256(), "endpoint"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := newIDP(t, tc.method)
			endpoint, client := s.serveTLS(t)
			if tc.key != nil {
				s.pub, s.alg = tc.key.Public(), tc.jwa
			}
			if tc.aud == "endpoint" {
				s.aud = endpoint
			}
			in := introspector(t, endpoint, client, func(c *auth.IntrospectionConfig) {
				c.AuthMethod = tc.method
				if tc.key != nil {
					c.ClientSecret, c.PrivateKey, c.Algorithm, c.KeyID = "", tc.key, tc.alg, "client-key-1"
				}
				if tc.aud == "endpoint" {
					c.AssertionAudience = endpoint
				}
			})
			now := time.Now()
			s.answer("opaque-1", activeJSON(now, ""))
			s.answer("opaque-2", activeJSON(now, ""))
			// Two tokens, two calls: each assertion is fresh.
			for _, tok := range []string{"opaque-1", "opaque-2"} {
				p, err := in.Verify(context.Background(), tok)
				if err != nil {
					t.Fatalf("Verify(%s): %v", tok, err)
				}
				if p.Subject != "alice" {
					t.Fatalf("subject = %q", p.Subject)
				}
			}
			if n := s.calls.Load(); n != 2 {
				t.Errorf("calls = %d, want 2", n)
			}
		})
	}
}

// TestIntrospectionBasicAuthWrongEncoding: the server's check fails for
// the plain base64 of "id:secret" that Request.SetBasicAuth sends, so the
// test above would catch a client that skipped the form-encoding.
func TestIntrospectionBasicAuthWrongEncoding(t *testing.T) {
	t.Parallel()
	var fails []string
	s := newIDP(&recordingTB{TB: t, errs: &fails}, auth.ClientSecretBasic)
	r := httptest.NewRequest("POST", "/introspect", strings.NewReader("token=x&token_type_hint=access_token"))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("Accept", "application/json")
	r.SetBasicAuth(testClientID, testSecret)
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	if w.Code != http.StatusUnauthorized || len(fails) != 1 {
		t.Fatalf("status %d, failures %q: the unencoded credentials were accepted", w.Code, fails)
	}
}

// recordingTB records Errorf calls instead of failing the test.
type recordingTB struct {
	testing.TB
	errs *[]string
}

func (r *recordingTB) Errorf(format string, args ...any) {
	*r.errs = append(*r.errs, format)
}

func TestIntrospectionPrincipal(t *testing.T) {
	t.Parallel()
	s := newIDP(t, auth.ClientSecretBasic)
	endpoint, client := s.serveTLS(t)
	in := introspector(t, endpoint, client, func(c *auth.IntrospectionConfig) {
		c.RolePaths = []string{"/realm_access/roles", "/groups"}
	})
	now := time.Now().Truncate(time.Second)
	s.answer("opaque", strings.Replace(activeJSON(now, `"acr":"urn:mfa","amr":["pwd","otp"],"auth_time":`+itoa(now.Unix()-60)+
		`,"realm_access":{"roles":["admin"]},"groups":"ops","jti":"t-1"`), `"aud":"`+testAudience+`"`, `"aud":["other","`+testAudience+`"]`, 1))
	p, err := in.Verify(context.Background(), "opaque")
	if err != nil {
		t.Fatal(err)
	}
	want := auth.Principal{
		Subject: "alice", Issuer: testIssuer, ClientID: "app", Audience: []string{"other", testAudience},
		Scopes: []string{"items:read", "items:write"}, Roles: []string{"admin", "ops"}, ACR: "urn:mfa",
		AMR: []string{"pwd", "otp"}, AuthTime: now.Add(-time.Minute).UTC(), Expiry: now.Add(time.Hour).UTC(), Method: auth.MethodIntrospection,
	}
	got := *p
	got.Claims = nil
	if !equalPrincipal(got, want) {
		t.Errorf("principal =\n%+v\nwant\n%+v", got, want)
	}
	if p.Claims["jti"] != "t-1" || p.Claims["active"] != true {
		t.Errorf("claims = %v", p.Claims)
	}

	// A JWT verifier given the same claims builds the same principal.
	j := newVerifier(t, newJWKSServer(standardSet(t)), func(c *auth.JWTConfig) { c.RolePaths = []string{"/realm_access/roles", "/groups"} })
	claims := map[string]any{}
	json.Unmarshal([]byte(s.answers["opaque"]), &claims)
	delete(claims, "active")
	delete(claims, "token_type")
	tok := sign(t, "ES256", keys(t).ec256, `{"alg":"ES256","kid":"ES256"}`, mustJSON(claims))
	jp, err := j.Verify(context.Background(), tok)
	if err != nil {
		t.Fatal(err)
	}
	jgot := *jp
	jgot.Claims, jgot.Method = nil, auth.MethodIntrospection
	if !equalPrincipal(jgot, got) {
		t.Errorf("JWT principal =\n%+v\nintrospected\n%+v", jgot, got)
	}
}

func equalPrincipal(a, b auth.Principal) bool {
	return a.Subject == b.Subject && a.Issuer == b.Issuer && a.ClientID == b.ClientID && slices.Equal(a.Audience, b.Audience) &&
		slices.Equal(a.Scopes, b.Scopes) && slices.Equal(a.Roles, b.Roles) && a.ACR == b.ACR && slices.Equal(a.AMR, b.AMR) &&
		a.AuthTime.Equal(b.AuthTime) && a.Expiry.Equal(b.Expiry) && a.Method == b.Method
}

// TestIntrospectionRefusals: every bad answer is refused with its outcome
// and check, and through the middleware as a 401 problem; failures to
// introspect are recorded as errors and never cached.
func TestIntrospectionRefusals(t *testing.T) {
	t.Parallel()
	now := time.Now()
	big := activeJSON(now, `"pad":"`+strings.Repeat("x", 2<<10)+`"`)
	cases := []struct {
		name    string
		handler http.HandlerFunc
		mod     func(*auth.IntrospectionConfig)
		outcome error
		check   string
		reason  string
	}{
		{"inactive", jsonBody(`{"active":false}`), nil, auth.ErrInvalidToken, "token_inactive", "invalid_token"},
		{"inactive with claims", jsonBody(`{"active":false,"sub":"alice","exp":` + itoa(now.Add(time.Hour).Unix()) + `}`), nil, auth.ErrInvalidToken, "token_inactive", "invalid_token"},
		{"active as a string", jsonBody(`{"active":"true","sub":"alice"}`), nil, auth.ErrKeysUnavailable, "introspection_malformed", "invalid_token"},
		{"active as a number", jsonBody(`{"active":1}`), nil, auth.ErrKeysUnavailable, "introspection_malformed", "invalid_token"},
		{"active missing", jsonBody(`{"sub":"alice"}`), nil, auth.ErrKeysUnavailable, "introspection_malformed", "invalid_token"},
		{"active twice", jsonBody(`{"active":false,"active":true,"aud":"` + testAudience + `"}`), nil, auth.ErrKeysUnavailable, "introspection_malformed", "invalid_token"},
		{"malformed JSON", jsonBody(`{"active":true,`), nil, auth.ErrKeysUnavailable, "introspection_malformed", "invalid_token"},
		{"JSON array", jsonBody(`[{"active":true}]`), nil, auth.ErrKeysUnavailable, "introspection_malformed", "invalid_token"},
		{"invalid UTF-8", jsonBody("{\"active\":true,\"sub\":\"\xff\"}"), nil, auth.ErrKeysUnavailable, "introspection_malformed", "invalid_token"},
		{"oversize body", jsonBody(big), func(c *auth.IntrospectionConfig) { c.MaxResponseSize = 1 << 10 }, auth.ErrKeysUnavailable, "introspection_too_large", "invalid_token"},
		{"oversize body, chunked", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(big[:512]))
			w.(http.Flusher).Flush()
			w.Write([]byte(big[512:]))
		}, func(c *auth.IntrospectionConfig) { c.MaxResponseSize = 1 << 10 }, auth.ErrKeysUnavailable, "introspection_too_large", "invalid_token"},
		{"text/html", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.Write([]byte(activeJSON(now, "")))
		}, nil, auth.ErrKeysUnavailable, "introspection_content_type", "invalid_token"},
		{"signed JWT response", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/token-introspection+jwt")
			w.Write([]byte("eyJ.eyJ.sig"))
		}, nil, auth.ErrKeysUnavailable, "introspection_content_type", "invalid_token"},
		{"no content type", func(w http.ResponseWriter, _ *http.Request) {
			w.Header()["Content-Type"] = nil
			w.Write([]byte(activeJSON(now, "")))
		}, nil, auth.ErrKeysUnavailable, "introspection_content_type", "invalid_token"},
		{"500", func(w http.ResponseWriter, _ *http.Request) { http.Error(w, "boom", 500) }, nil, auth.ErrKeysUnavailable, "introspection_status", "invalid_token"},
		{"401 for our client", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(401)
			w.Write([]byte(`{"error":"invalid_client"}`))
		}, nil, auth.ErrKeysUnavailable, "introspection_status", "invalid_token"},
		{"redirect", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "https://elsewhere.example/introspect", http.StatusTemporaryRedirect)
		}, nil, auth.ErrKeysUnavailable, "introspection_status", "invalid_token"},
		{"expired", jsonBody(strings.Replace(activeJSON(now, ""), `"exp":`+itoa(now.Add(time.Hour).Unix()), `"exp":`+itoa(now.Add(-time.Minute).Unix()), 1)),
			nil, auth.ErrTokenExpired, "expired", "token_expired"},
		{"exp twice", jsonBody(activeJSON(now, "")[:len(activeJSON(now, ""))-1] + `,"exp":"` + itoa(now.Unix()) + `"}`), nil, auth.ErrKeysUnavailable, "introspection_malformed", "invalid_token"},
		{"exp not a date", jsonBody(strings.Replace(activeJSON(now, ""), `"exp":`+itoa(now.Add(time.Hour).Unix()), `"exp":"soon"`, 1)), nil, auth.ErrInvalidToken, "exp_not_numeric_date", "invalid_token"},
		{"not yet valid", jsonBody(activeJSON(now, `"nbf":`+itoa(now.Add(time.Hour).Unix()))), nil, auth.ErrInvalidToken, "not_yet_valid", "invalid_token"},
		{"issued in the future", jsonBody(strings.Replace(activeJSON(now, ""), `"iat":`+itoa(now.Unix()), `"iat":`+itoa(now.Add(time.Hour).Unix()), 1)), nil, auth.ErrInvalidToken, "issued_in_future", "invalid_token"},
		{"other issuer", jsonBody(strings.Replace(activeJSON(now, ""), testIssuer, "https://evil.example", 1)), nil, auth.ErrInvalidToken, "issuer_mismatch", "invalid_token"},
		{"other audience", jsonBody(strings.Replace(activeJSON(now, ""), testAudience, "https://other-api.example", 1)), nil, auth.ErrInvalidToken, "audience_mismatch", "invalid_token"},
		{"audience not a string", jsonBody(strings.Replace(activeJSON(now, ""), `"`+testAudience+`"`, `[1]`, 1)), nil, auth.ErrInvalidToken, "audience_mismatch", "invalid_token"},
		{"no audience", jsonBody(strings.Replace(activeJSON(now, ""), `"aud":"`+testAudience+`",`, "", 1)), nil, auth.ErrInvalidToken, "audience_missing", "invalid_token"},
		{"refresh token", jsonBody(strings.Replace(activeJSON(now, ""), `"Bearer"`, `"refresh_token"`, 1)), nil, auth.ErrInvalidToken, "token_type", "invalid_token"},
		{"token_type not a string", jsonBody(strings.Replace(activeJSON(now, ""), `"Bearer"`, `true`, 1)), nil, auth.ErrInvalidToken, "token_type", "invalid_token"},
		{"Keycloak refresh token", jsonBody(activeJSON(now, `"typ":"Refresh"`)), nil, auth.ErrInvalidToken, "token_type", "invalid_token"},
		{"DPoP token without cnf", jsonBody(strings.Replace(activeJSON(now, ""), `"Bearer"`, `"DPoP"`, 1)), nil, auth.ErrInvalidToken, "dpop_unbound", "invalid_token"},
		{"scope syntax", jsonBody(strings.Replace(activeJSON(now, ""), "items:read items:write", "items:read\\titems:write", 1)), nil, auth.ErrInvalidToken, "scope_syntax", "invalid_token"},
		{"sub not a string", jsonBody(strings.Replace(activeJSON(now, ""), `"alice"`, `42`, 1)), nil, auth.ErrInvalidToken, "claim_not_string", "invalid_token"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := newIDP(t, auth.ClientSecretBasic)
			s.setOverride(tc.handler)
			endpoint, client := s.serveTLS(t)
			in := introspector(t, endpoint, client, tc.mod)
			_, err := in.Verify(context.Background(), "opaque")
			if !errors.Is(err, tc.outcome) || auth.CheckOf(err) != tc.check {
				t.Fatalf("err = %v (check %q), want %v with check %q", err, auth.CheckOf(err), tc.outcome, tc.check)
			}
			unavailable := errors.Is(err, auth.ErrKeysUnavailable)
			if unavailable != errors.Is(err, auth.ErrIntrospectionUnavailable) {
				t.Errorf("ErrKeysUnavailable %v but ErrIntrospectionUnavailable %v", unavailable, !unavailable)
			}

			// Through the middleware: a 401 problem, a failure recorded as
			// an error, a refusal as a denial. A failure is not cached, so
			// this second request calls the endpoint again.
			m := auth.MustNew(auth.Config{Authenticators: []auth.Authenticator{in}, Logger: discardLogger()})
			var rec *record.Record
			h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w, r, rec = record.Install(w, r)
				m.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { t.Error("handler reached") })).ServeHTTP(w, r)
			})
			req := httptest.NewRequest("GET", "/v1/items", nil)
			req.Header.Set("Authorization", "Bearer opaque")
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			var prob struct{ Reason string }
			json.Unmarshal(w.Body.Bytes(), &prob)
			if w.Code != 401 || prob.Reason != tc.reason || !strings.HasPrefix(w.Header().Get("WWW-Authenticate"), "Bearer ") {
				t.Errorf("status %d reason %q challenge %q, want 401 %s", w.Code, prob.Reason, w.Header().Get("WWW-Authenticate"), tc.reason)
			}
			d := rec.Decisions()[0]
			wantOutcome := record.Deny
			if unavailable {
				wantOutcome = record.Error
			}
			if d.Outcome != wantOutcome || d.Rule != "bearer:"+tc.check {
				t.Errorf("decision %+v, want outcome %v rule bearer:%s", d, wantOutcome, tc.check)
			}
			wantCalls := int64(1)
			if unavailable {
				wantCalls = 2
			}
			if n := s.calls.Load(); n != wantCalls {
				t.Errorf("calls = %d, want %d", n, wantCalls)
			}
		})
	}
}

// TestIntrospectionTokens: tokens are bounded before they are sent; the
// empty token is never sent.
func TestIntrospectionTokens(t *testing.T) {
	t.Parallel()
	s := newIDP(t, auth.ClientSecretBasic)
	endpoint, client := s.serveTLS(t)
	in := introspector(t, endpoint, client, func(c *auth.IntrospectionConfig) { c.MaxTokenSize = 64 })
	for tok, check := range map[string]string{"": "empty_token", strings.Repeat("a", 65): "too_large"} {
		if _, err := in.Verify(context.Background(), tok); !errors.Is(err, auth.ErrInvalidToken) || auth.CheckOf(err) != check {
			t.Errorf("Verify(%.8q…) = %v, want check %s", tok, err, check)
		}
	}
	s.answer(strings.Repeat("a", 64), activeJSON(time.Now(), ""))
	if _, err := in.Verify(context.Background(), strings.Repeat("a", 64)); err != nil {
		t.Errorf("a token of the maximum size: %v", err)
	}
	if n := s.calls.Load(); n != 1 {
		t.Errorf("calls = %d, want 1", n)
	}
}

// TestIntrospectionTimeout: a stalled endpoint is given up on after
// Timeout; the failure is not cached, so the endpoint's next answer counts.
func TestIntrospectionTimeout(t *testing.T) {
	t.Parallel()
	s := newIDP(t, auth.ClientSecretBasic)
	done := make(chan struct{})
	s.setOverride(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-done:
		}
	})
	s.answer("opaque", activeJSON(time.Now(), ""))
	endpoint, client := s.serveTLS(t)
	t.Cleanup(func() { close(done) }) // before the server's Close, which waits for handlers
	in := introspector(t, endpoint, client, func(c *auth.IntrospectionConfig) { c.Timeout = 200 * time.Millisecond })
	start := time.Now()
	_, err := in.Verify(context.Background(), "opaque")
	if !errors.Is(err, auth.ErrKeysUnavailable) || !errors.Is(err, auth.ErrIntrospectionUnavailable) || auth.CheckOf(err) != "introspection_timeout" {
		t.Fatalf("err = %v (check %q)", err, auth.CheckOf(err))
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("gave up after %v", d)
	}
	s.override.Store(nil)
	if _, err := in.Verify(context.Background(), "opaque"); err != nil {
		t.Fatalf("after the endpoint recovered: %v; was the timeout cached?", err)
	}
}

// TestIntrospectionCanceledCaller: a caller whose context ends stops
// waiting at once, and the introspection it started still completes for
// the others and is cached.
func TestIntrospectionCanceledCaller(t *testing.T) {
	t.Parallel()
	s := newIDP(t, auth.ClientSecretBasic)
	s.block, s.arrived = make(chan struct{}), make(chan struct{}, 1)
	s.answer("opaque", activeJSON(time.Now(), ""))
	endpoint, client := s.serveTLS(t)
	in := introspector(t, endpoint, client, nil)
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := in.Verify(ctx, "opaque")
		errc <- err
	}()
	<-s.arrived // the introspection is under way
	cancel()
	if err := <-errc; !errors.Is(err, auth.ErrKeysUnavailable) || auth.CheckOf(err) != "introspection_canceled" {
		t.Fatalf("canceled caller: %v", err)
	}
	second := make(chan error, 1)
	go func() {
		_, err := in.Verify(context.Background(), "opaque")
		second <- err
	}()
	close(s.block)
	if err := <-second; err != nil {
		t.Fatalf("second caller: %v", err)
	}
	if _, err := in.Verify(context.Background(), "opaque"); err != nil {
		t.Fatal(err)
	}
	if n := s.calls.Load(); n != 1 {
		t.Errorf("calls = %d, want 1", n)
	}
}

// TestIntrospectionCoalesced: 50 concurrent requests with one uncached
// token make exactly one introspection call, over real TLS.
func TestIntrospectionCoalesced(t *testing.T) {
	t.Parallel()
	s := newIDP(t, auth.ClientSecretBasic)
	s.answer("opaque", activeJSON(time.Now(), ""))
	endpoint, client := s.serveTLS(t)
	in := introspector(t, endpoint, client, nil)
	m := auth.MustNew(auth.Config{Authenticators: []auth.Authenticator{in}, Logger: discardLogger()})
	h := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, _ := auth.FromContext(r.Context())
		w.Write([]byte(p.Subject))
	}))
	start := make(chan struct{})
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			<-start
			req := httptest.NewRequest("GET", "/v1/items", nil)
			req.Header.Set("Authorization", "Bearer opaque")
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if w.Code != 200 || w.Body.String() != "alice" {
				t.Errorf("status %d body %q", w.Code, w.Body)
			}
		})
	}
	close(start)
	wg.Wait()
	if n := s.calls.Load(); n != 1 {
		t.Errorf("calls = %d, want 1", n)
	}
}

// TestIntrospectionJWTRouting: with IntrospectionConfig.JWT, JWT-shaped
// tokens are verified locally (a forged one refused) and never sent to
// the endpoint; opaque tokens are introspected. Both pass through the one
// Bearer slot of the middleware.
func TestIntrospectionJWTRouting(t *testing.T) {
	t.Parallel()
	s := newIDP(t, auth.ClientSecretBasic)
	endpoint, client := s.serveTLS(t)
	j := newVerifier(t, newJWKSServer(standardSet(t)), nil)
	in := introspector(t, endpoint, client, func(c *auth.IntrospectionConfig) { c.JWT = j })
	now := time.Now()
	s.answer("opaque", strings.Replace(activeJSON(now, ""), `"alice"`, `"bob"`, 1))
	good := validToken(t, "ES256", now)
	forged := sign(t, "ES256", keys(t).attacker, `{"alg":"ES256","kid":"ES256"}`, claimsJSON(now, ""))
	m := auth.MustNew(auth.Config{Authenticators: []auth.Authenticator{in}, Logger: discardLogger()})
	h := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, _ := auth.FromContext(r.Context())
		w.Write([]byte(p.Subject + " " + p.Method))
	}))
	for _, tc := range []struct{ tok, want string }{
		{good, "alice jwt"},
		{"opaque", "bob introspection"},
		{forged, ""},
	} {
		req := httptest.NewRequest("GET", "/v1/items", nil)
		req.Header.Set("Authorization", "Bearer "+tc.tok)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if tc.want == "" && w.Code != 401 || tc.want != "" && w.Body.String() != tc.want {
			t.Errorf("%.16s…: status %d body %q, want %q", tc.tok, w.Code, w.Body, tc.want)
		}
	}
	if n := s.calls.Load(); n != 1 {
		t.Errorf("calls = %d, want 1 (the opaque token only)", n)
	}
}

// TestIntrospectionBoundToken: cnf in the response is kept in the claims,
// so the middleware applies its rule for sender-constrained tokens to
// introspected ones as to JWTs: a bound token presented as a bearer token
// is not let through.
func TestIntrospectionBoundToken(t *testing.T) {
	t.Parallel()
	s := newIDP(t, auth.ClientSecretBasic)
	endpoint, client := s.serveTLS(t)
	in := introspector(t, endpoint, client, nil)
	s.answer("bound", strings.Replace(activeJSON(time.Now(), `"cnf":{"jkt":"0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"}`), `"Bearer"`, `"DPoP"`, 1))
	// Verify has no request to find a proof in: it refuses, as JWT.Verify.
	if _, err := in.Verify(context.Background(), "bound"); auth.CheckOf(err) != "unverified_binding" {
		t.Fatalf("Verify of a bound token: %v, want unverified_binding", err)
	}
	m := auth.MustNew(auth.Config{Authenticators: []auth.Authenticator{in}, Logger: discardLogger()})
	req := httptest.NewRequest("GET", "/v1/items", nil)
	req.Header.Set("Authorization", "Bearer bound")
	w := httptest.NewRecorder()
	m.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { t.Error("a bound token passed as a bearer token") })).ServeHTTP(w, req)
	if w.Code != 401 {
		t.Errorf("status = %d, want 401", w.Code)
	}
}

// TestIntrospectionDPoP: with IntrospectionConfig.DPoP, an opaque token
// the issuer bound to a DPoP key (cnf.jkt in the response) passes with a
// proof of that key, and is refused as a bearer token, with a thief's
// proof, or with the same proof again.
func TestIntrospectionDPoP(t *testing.T) {
	t.Parallel()
	key, err := authtest.NewDPoPKey("ES256")
	if err != nil {
		t.Fatal(err)
	}
	thief, err := authtest.NewDPoPKey("ES256")
	if err != nil {
		t.Fatal(err)
	}
	s := newIDP(t, auth.ClientSecretBasic)
	endpoint, client := s.serveTLS(t)
	in := introspector(t, endpoint, client, func(c *auth.IntrospectionConfig) {
		c.DPoP = auth.DPoPConfig{Mode: auth.DPoPAllowed, PublicOrigin: testOrigin}
	})
	s.answer("bound", strings.Replace(activeJSON(time.Now(), `"cnf":{"jkt":"`+key.Thumbprint()+`"}`), `"Bearer"`, `"DPoP"`, 1))
	m := auth.MustNew(auth.Config{Authenticators: []auth.Authenticator{in}, Logger: discardLogger()})
	call := func(scheme string, proof string) (*auth.Principal, error) {
		req := httptest.NewRequest("GET", "/v1/items", nil)
		req.Header.Set("Authorization", scheme+" bound")
		if proof != "" {
			req.Header.Set("DPoP", proof)
		}
		return m.Authenticate(req)
	}
	proof := key.Proof("GET", testOrigin+"/v1/items", "bound", "")
	p, err := call("DPoP", proof)
	if err != nil || p.Binding != auth.BindingDPoP || p.Method != auth.MethodIntrospection {
		t.Fatalf("holder: %+v, %v", p, err)
	}
	for _, tc := range []struct{ name, scheme, proof, check string }{
		{"the same proof again", "DPoP", proof, "dpop_replay"},
		{"as a bearer token", "Bearer", "", "dpop_bound_as_bearer"},
		{"a thief's proof", "DPoP", thief.Proof("GET", testOrigin+"/v1/items", "bound", ""), "dpop_jkt_mismatch"},
	} {
		if _, err := call(tc.scheme, tc.proof); auth.CheckOf(err) != tc.check {
			t.Errorf("%s: %v, want check %s", tc.name, err, tc.check)
		}
	}
}

// TestIntrospectionAllowMissingAudience: the opt-in accepts a response
// without aud, and still refuses a wrong one.
func TestIntrospectionAllowMissingAudience(t *testing.T) {
	t.Parallel()
	s := newIDP(t, auth.ClientSecretBasic)
	endpoint, client := s.serveTLS(t)
	in := introspector(t, endpoint, client, func(c *auth.IntrospectionConfig) { c.AllowMissingAudience = true })
	now := time.Now()
	s.answer("no-aud", strings.Replace(activeJSON(now, ""), `"aud":"`+testAudience+`",`, "", 1))
	s.answer("other-aud", strings.Replace(activeJSON(now, ""), testAudience, "https://other.example", 1))
	s.answer("no-iss", strings.Replace(activeJSON(now, ""), `"iss":"`+testIssuer+`",`, "", 1))
	if p, err := in.Verify(context.Background(), "no-aud"); err != nil || p.Audience != nil {
		t.Errorf("no aud: %v, %v", p, err)
	}
	if _, err := in.Verify(context.Background(), "other-aud"); auth.CheckOf(err) != "audience_mismatch" {
		t.Errorf("other aud: %v", err)
	}
	if p, err := in.Verify(context.Background(), "no-iss"); err != nil || p.Issuer != testIssuer {
		t.Errorf("no iss: %v, %v", p, err)
	}
}

// TestIntrospectionConfigLogValue: logging a config never shows the secret.
func TestIntrospectionConfigLogValue(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	cfg := auth.IntrospectionConfig{Endpoint: "https://idp.example/introspect", ClientID: testClientID, ClientSecret: testSecret, PrivateKey: keys(t).ec256}
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("config", "introspection", cfg)
	if strings.Contains(buf.String(), "s3cr") || strings.Contains(buf.String(), "PrivateKey") || !strings.Contains(buf.String(), "client_id") {
		t.Errorf("log = %s", buf.String())
	}
}

// TestIntrospectionOpaqueSigner: any crypto.Signer works, including one that
// is not a *ecdsa.PrivateKey (a KMS key), and the ECDSA signature is
// converted from ASN.1 to r||s.
func TestIntrospectionOpaqueSigner(t *testing.T) {
	t.Parallel()
	s := newIDP(t, auth.PrivateKeyJWT)
	endpoint, client := s.serveTLS(t)
	s.pub, s.alg = keys(t).ec384.Public(), jwa.ES384()
	in := introspector(t, endpoint, client, func(c *auth.IntrospectionConfig) {
		c.ClientSecret, c.PrivateKey = "", kmsSigner{keys(t).ec384}
	})
	s.answer("opaque", activeJSON(time.Now(), ""))
	if _, err := in.Verify(context.Background(), "opaque"); err != nil {
		t.Fatal(err)
	}
}

// kmsSigner hides the key's type, as a KMS-backed signer does.
type kmsSigner struct{ k *ecdsa.PrivateKey }

func (s kmsSigner) Public() crypto.PublicKey { return s.k.Public() }
func (s kmsSigner) Sign(r io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	return s.k.Sign(r, digest, opts)
}
