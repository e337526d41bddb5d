package auth_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apishield/apishield/audit"
	"github.com/apishield/apishield/auth"
	"github.com/apishield/apishield/internal/record"
)

// Every authenticator's principal is checked, and a JWT answered from the
// verified-token cache too.
func TestMiddlewareRevocations(t *testing.T) {
	t.Parallel()
	l := newRevocationList(t, auth.RevocationListConfig{})
	s, apiKey := newStack(t, func(c *auth.Config) {
		c.Revocations = l
		c.ClientCertificate = func(*http.Request) (string, bool) { return "spiffe://example.org/batch", true }
	})
	token := validToken(t, "ES256", time.Now()) // jti j1, sub alice
	bearer := func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+token) }
	key := func(r *http.Request) { r.Header.Set("X-API-Key", apiKey) }
	cert := func(r *http.Request) {}
	do := func(set func(*http.Request)) *httptest.ResponseRecorder {
		req := httptest.NewRequest("GET", "/v1/items", nil)
		set(req)
		w := httptest.NewRecorder()
		s.h.ServeHTTP(w, req)
		return w
	}
	for _, set := range []func(*http.Request){bearer, key, cert} {
		if w := do(set); w.Code != 200 {
			t.Fatalf("before any revocation: %d %s", w.Code, w.Body)
		}
	}
	exp := time.Now().Add(time.Hour)
	tests := []struct {
		name  string
		rev   auth.Revocation
		set   func(*http.Request)
		check string
	}{
		// The token was verified above: this request is a cache hit.
		{"cached JWT by jti", auth.Revocation{TokenID: "j1", Issuer: testIssuer, Expires: exp}, bearer, "bearer:token_revoked"},
		{"API key by subject", auth.Revocation{Subject: "billing-service", Expires: exp}, key, "api_key:token_revoked"},
		{"client certificate by subject", auth.Revocation{Subject: "spiffe://example.org/batch", Expires: exp}, cert, "mtls:token_revoked"},
	}
	for _, tt := range tests {
		if err := l.Revoke(context.Background(), tt.rev); err != nil {
			t.Fatal(err)
		}
		w := do(tt.set)
		if w.Code != 401 {
			t.Fatalf("%s: status %d, want 401", tt.name, w.Code)
		}
		var body map[string]any
		json.Unmarshal(w.Body.Bytes(), &body)
		if body["reason"] != "invalid_token" || strings.Contains(w.Body.String(), "revoked") {
			t.Errorf("%s: body %s, want reason invalid_token and no word of revocation", tt.name, w.Body)
		}
		if got := w.Header().Get("WWW-Authenticate"); tt.check == "bearer:token_revoked" && !strings.Contains(got, `error="invalid_token"`) {
			t.Errorf("%s: WWW-Authenticate %q, want error=invalid_token", tt.name, got)
		}
		d := s.lastRec.Decisions()
		if len(d) != 1 || d[0].Outcome != record.Deny || d[0].Reason != "invalid_token" || d[0].Rule != tt.check {
			t.Errorf("%s: decisions %+v, want a denial invalid_token, rule %s", tt.name, d, tt.check)
		}
	}
}

// staleView is a Revocations view that cannot answer.
type staleView struct{}

func (staleView) Check(*auth.Principal) error { return auth.ErrRevocationsStale }

func TestMiddlewareRevocationsStale(t *testing.T) {
	t.Parallel()
	s, _ := newStack(t, func(c *auth.Config) { c.Revocations = staleView{} })
	req := httptest.NewRequest("GET", "/v1/items", nil)
	req.Header.Set("Authorization", "Bearer "+validToken(t, "ES256", time.Now()))
	w := httptest.NewRecorder()
	s.h.ServeHTTP(w, req)
	if w.Code != 401 {
		t.Fatalf("status %d, want 401", w.Code)
	}
	d := s.lastRec.Decisions()
	if len(d) != 1 || d[0].Outcome != record.Error || d[0].Reason != "invalid_token" || d[0].Rule != "bearer:revocations_stale" {
		t.Errorf("decisions %+v, want an error invalid_token, rule bearer:revocations_stale", d)
	}
	m, err := auth.New(auth.Config{Authenticators: []auth.Authenticator{newVerifier(t, newJWKSServer(standardSet(t)), nil)}, Revocations: staleView{}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Authenticate(req); !errors.Is(err, auth.ErrRevocationsUnavailable) {
		t.Errorf("Authenticate = %v, want ErrRevocationsUnavailable", err)
	}
}

// A token without jti or iat: a sign-out revokes it, a jti revocation
// cannot name it.
func TestMiddlewareRevocationsClaims(t *testing.T) {
	t.Parallel()
	now := time.Now()
	noIat := sign(t, "ES256", keys(t).ec256, `{"alg":"ES256","kid":"ES256"}`,
		`{"iss":"`+testIssuer+`","aud":"`+testAudience+`","sub":"bob","exp":`+itoa(now.Add(time.Hour).Unix())+`}`)
	numericJti := sign(t, "ES256", keys(t).ec256, `{"alg":"ES256","kid":"ES256"}`,
		`{"iss":"`+testIssuer+`","aud":"`+testAudience+`","sub":"bob","jti":7,"exp":`+itoa(now.Add(time.Hour).Unix())+`}`)
	j := newVerifier(t, newJWKSServer(standardSet(t)), nil)
	if _, err := j.Verify(context.Background(), numericJti); auth.CheckOf(err) != "claim_not_string" {
		t.Errorf("numeric jti: %v, want claim_not_string", err)
	}
	p, err := j.Verify(context.Background(), validToken(t, "ES256", now))
	if err != nil {
		t.Fatal(err)
	}
	if p.TokenID != "j1" || p.IssuedAt.Unix() != now.Unix() {
		t.Errorf("TokenID %q, IssuedAt %v, want j1 and %v", p.TokenID, p.IssuedAt, time.Unix(now.Unix(), 0))
	}
	p, err = j.Verify(context.Background(), noIat)
	if err != nil {
		t.Fatal(err)
	}
	l := newRevocationList(t, auth.RevocationListConfig{})
	l.Revoke(context.Background(), auth.Revocation{Subject: "bob", IssuedBefore: now.Add(-time.Hour), Expires: now.Add(time.Hour)})
	if err := l.Check(p); !errors.Is(err, auth.ErrRevoked) {
		t.Errorf("token without iat after a sign-out: %v, want revoked", err)
	}
}

// An API key is revoked by its ID, the 16 hex digits after "ask_", without
// revoking its owner's other credentials.
func TestMiddlewareRevokesAPIKeyByID(t *testing.T) {
	t.Parallel()
	l := newRevocationList(t, auth.RevocationListConfig{})
	s, apiKey := newStack(t, func(c *auth.Config) { c.Revocations = l })
	do := func() int {
		req := httptest.NewRequest("GET", "/v1/items", nil)
		req.Header.Set("X-API-Key", apiKey)
		w := httptest.NewRecorder()
		s.h.ServeHTTP(w, req)
		return w.Code
	}
	if code := do(); code != 200 {
		t.Fatalf("before the revocation: %d", code)
	}
	if err := l.Revoke(context.Background(), auth.Revocation{TokenID: "0000000000000000", Expires: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if code := do(); code != 200 {
		t.Fatalf("another key's ID revoked: %d, want 200", code)
	}
	id := apiKey[len("ask_") : len("ask_")+16]
	if err := l.Revoke(context.Background(), auth.Revocation{TokenID: id, Expires: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if code := do(); code != 401 {
		t.Fatalf("after revoking key %s: %d, want 401", id, code)
	}
}

// The audit event of a request refused with a revoked token says so:
// authn_token_reuse, reason invalid_token, and auth's decision.
func TestRevokedTokenAuditEvent(t *testing.T) {
	t.Parallel()
	var buf syncBuffer
	a, err := audit.New(audit.Config{Handlers: []slog.Handler{audit.NewJSONHandler(&buf, nil)}})
	if err != nil {
		t.Fatal(err)
	}
	l := newRevocationList(t, auth.RevocationListConfig{})
	m, err := auth.New(auth.Config{Authenticators: []auth.Authenticator{newVerifier(t, newJWKSServer(standardSet(t)), nil)}, Revocations: l})
	if err != nil {
		t.Fatal(err)
	}
	h := a.Handler(m.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})))
	l.Revoke(context.Background(), auth.Revocation{Subject: "alice", Issuer: testIssuer, Expires: time.Now().Add(time.Hour)})
	req := httptest.NewRequest("GET", "/v1/items", nil)
	req.Header.Set("Authorization", "Bearer "+validToken(t, "ES256", time.Now()))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	if w.Code != 401 {
		t.Fatalf("status %d, want 401", w.Code)
	}
	if err := a.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	var line struct {
		Event struct {
			Action, Outcome, Reason string
		}
		Apishield struct {
			Decisions []struct{ Package, Outcome, Reason, Rule string }
		}
	}
	if err := json.Unmarshal([]byte(buf.String()), &line); err != nil {
		t.Fatalf("%v: %s", err, buf.String())
	}
	if line.Event.Action != audit.ActionAuthnTokenReuse || line.Event.Outcome != "failure" || line.Event.Reason != "invalid_token" {
		t.Errorf("event %+v, want authn_token_reuse, failure, invalid_token", line.Event)
	}
	if d := line.Apishield.Decisions; len(d) != 1 || d[0].Package != "auth" || d[0].Outcome != "deny" || d[0].Rule != "bearer:token_revoked" {
		t.Errorf("decisions %+v, want auth's denial with rule bearer:token_revoked", d)
	}
}

// syncBuffer is a bytes.Buffer that the auditor's writer and the test may
// use at once.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
