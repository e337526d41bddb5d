package authz_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwk"

	"github.com/apishield/apishield/auth"
	"github.com/apishield/apishield/internal/record"
)

// The fixture of auth_integration_test.go: a test OpenID issuer, the
// credentials the cases name, and the middleware that hands the request
// record to the test.

const stackAudience = "https://api.test"

// A testIssuer is an OpenID provider made for one test: an ES256 key, and
// an httptest server publishing its discovery document and key set.
type testIssuer struct {
	url string
	kid string
	key *ecdsa.PrivateKey
}

func newTestIssuer(t *testing.T) *testIssuer {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	iss := &testIssuer{kid: "test-key-1", key: key}
	pub, err := jwk.Import(key.Public())
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{jwk.KeyIDKey: iss.kid, jwk.AlgorithmKey: "ES256", jwk.KeyUsageKey: "sig"} {
		if err := pub.Set(k, v); err != nil {
			t.Fatal(err)
		}
	}
	jwks, err := json.Marshal(map[string]any{"keys": []any{pub}})
	if err != nil {
		t.Fatal(err)
	}
	m := http.NewServeMux()
	m.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{
			"issuer":                                iss.url,
			"jwks_uri":                              iss.url + "/.well-known/jwks.json",
			"id_token_signing_alg_values_supported": []string{"ES256"},
			"response_types_supported":              []string{"token"},
			"subject_types_supported":               []string{"public"},
		})
	})
	m.HandleFunc("GET /.well-known/jwks.json", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(jwks)
	})
	srv := httptest.NewServer(m)
	t.Cleanup(srv.Close)
	iss.url = srv.URL
	return iss
}

// verifier returns auth's JWT verifier for the issuer, found by discovery,
// under the RFC 9068 access token profile.
func (iss *testIssuer) verifier(t *testing.T) *auth.JWT {
	t.Helper()
	j, err := auth.NewJWT(t.Context(), auth.JWTConfig{
		Issuer:   iss.url,
		Audience: []string{stackAudience},
		Type:     auth.TypeAccessToken,
		Logger:   slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	return j
}

// token signs an access token for sub, valid for five minutes from now,
// with extra claims (scope, roles, amr, auth_time, tenant…) over the
// defaults. key signs it; nil means the issuer's key.
func (iss *testIssuer) token(t *testing.T, key *ecdsa.PrivateKey, sub string, extra map[string]any) string {
	t.Helper()
	if key == nil {
		key = iss.key
	}
	now := time.Now()
	var jti [16]byte
	rand.Read(jti[:])
	claims := map[string]any{
		"iss": iss.url, "sub": sub, "aud": stackAudience, "client_id": "stack-test",
		"iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(), "jti": hex.EncodeToString(jti[:]),
	}
	for k, v := range extra {
		claims[k] = v
	}
	header, err := json.Marshal(map[string]string{"alg": "ES256", "typ": "at+jwt", "kid": iss.kid})
	if err != nil {
		t.Fatal(err)
	}
	body, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	input := base64.RawURLEncoding.EncodeToString(header) + "." + base64.RawURLEncoding.EncodeToString(body)
	sum := sha256.Sum256([]byte(input))
	r, s, err := ecdsa.Sign(rand.Reader, key, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	return input + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// A stackFixture holds the two auth middlewares of the stack tests (one
// allowing anonymous requests, one not) and the credentials the cases name,
// as the request header that carries each.
type stackFixture struct {
	anonymous, strict *auth.Middleware
	creds             map[string][2]string
}

func newStackFixture(t *testing.T) *stackFixture {
	t.Helper()
	iss := newTestIssuer(t)
	otherKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	bearer := func(tok string) [2]string { return [2]string{"Authorization", "Bearer " + tok} }
	f := &stackFixture{creds: map[string][2]string{
		"reader":          bearer(iss.token(t, nil, "alice", map[string]any{"scope": "items:read", "tenant": "acme"})),
		"writer":          bearer(iss.token(t, nil, "alice", map[string]any{"scope": "items:read items:write"})),
		"bob":             bearer(iss.token(t, nil, "bob", map[string]any{"scope": "items:read"})),
		"admin-pwd":       bearer(iss.token(t, nil, "root", map[string]any{"roles": []string{"admin"}, "amr": []string{"pwd"}, "auth_time": now.Unix()})),
		"admin-mfa":       bearer(iss.token(t, nil, "root", map[string]any{"roles": []string{"admin"}, "amr": []string{"pwd", "mfa"}, "auth_time": now.Unix()})),
		"admin-mfa-stale": bearer(iss.token(t, nil, "root", map[string]any{"roles": []string{"admin"}, "amr": []string{"pwd", "mfa"}, "auth_time": now.Add(-time.Hour).Unix()})),
		"mfa-no-role":     bearer(iss.token(t, nil, "alice", map[string]any{"amr": []string{"mfa"}, "auth_time": now.Unix()})),
		"forged":          bearer(iss.token(t, otherKey, "root", map[string]any{"roles": []string{"admin"}})),
		"expired-jwt": bearer(iss.token(t, nil, "alice", map[string]any{"scope": "items:read",
			"iat": now.Add(-time.Hour).Unix(), "exp": now.Add(-10 * time.Minute).Unix()})),
	}}

	var records []auth.APIKeyRecord
	addKey := func(name, subject string, scopes, roles []string, expires time.Time, stored bool) {
		key, rec, err := auth.GenerateAPIKey()
		if err != nil {
			t.Fatal(err)
		}
		rec.Subject, rec.Scopes, rec.Roles, rec.Expires = subject, scopes, roles, expires
		if stored {
			records = append(records, rec)
		}
		f.creds[name] = [2]string{"X-API-Key", key}
	}
	addKey("key-reader", "svc-reports", []string{"items:read"}, nil, time.Time{}, true)
	addKey("key-admin", "svc-ops", []string{"items:read"}, []string{"admin"}, time.Time{}, true)
	addKey("key-expired", "svc-old", []string{"items:read"}, nil, now.Add(-time.Minute), true)
	addKey("key-unknown", "svc-gone", []string{"items:read"}, nil, time.Time{}, false)
	store, err := auth.NewMemoryStore(records)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := auth.NewAPIKeys(auth.APIKeysConfig{Store: store})
	if err != nil {
		t.Fatal(err)
	}

	jwt := iss.verifier(t)
	for _, anon := range []bool{true, false} {
		m, err := auth.New(auth.Config{
			Authenticators: []auth.Authenticator{jwt, keys},
			AllowAnonymous: anon,
			Logger:         slog.New(slog.DiscardHandler),
		})
		if err != nil {
			t.Fatal(err)
		}
		if anon {
			f.anonymous = m
		} else {
			f.strict = m
		}
	}
	return f
}

// A recordLog is the outermost middleware inside apierrors.Recover: after
// the rest of the stack returns, it reads the request record and hands a
// copy to the test waiting for that request ID.
type recordLog struct {
	mu      sync.Mutex
	waiting map[string]chan record.Snapshot
}

func (l *recordLog) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r)
		rec := record.From(r.Context())
		if rec == nil {
			return // the test waiting for it fails on the timeout
		}
		var s record.Snapshot
		rec.Snapshot(&s)
		l.mu.Lock()
		ch := l.waiting[rec.ID()]
		delete(l.waiting, rec.ID())
		l.mu.Unlock()
		if ch != nil {
			ch <- s
		}
	})
}

// expect returns the channel the record of the request with id arrives on.
func (l *recordLog) expect(id string) <-chan record.Snapshot {
	ch := make(chan record.Snapshot, 1)
	l.mu.Lock()
	l.waiting[id] = ch
	l.mu.Unlock()
	return ch
}
