package authz_test

import (
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apishield/apishield/auth"
	"github.com/apishield/apishield/auth/authtest"
	"github.com/apishield/apishield/internal/record"
)

// The fixture of auth_integration_test.go: a test OpenID issuer, the
// credentials the cases name, and the middleware that hands the request
// record to the test.

const stackAudience = "https://api.test"

// newTestIssuer starts an OpenID provider for one test (auth/authtest),
// stopped when the test ends.
func newTestIssuer(t *testing.T) *authtest.Server {
	t.Helper()
	iss := authtest.NewServer(authtest.Config{Audience: []string{stackAudience}, ClientID: "stack-test"})
	t.Cleanup(iss.Close)
	return iss
}

// testVerifier returns auth's JWT verifier for iss, found by discovery,
// under the RFC 9068 access token profile.
func testVerifier(t *testing.T, iss *authtest.Server) *auth.JWT {
	t.Helper()
	j, err := auth.NewJWT(t.Context(), auth.JWTConfig{
		Issuer:   iss.URL(),
		Audience: []string{stackAudience},
		Type:     auth.TypeAccessToken,
		Logger:   slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	return j
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
	// A forgery: the issuer's header and claims, signed with another key.
	forger := authtest.MustNew(authtest.Config{Issuer: iss.URL(), Audience: []string{stackAudience}})
	admin := authtest.Claims{Subject: "root", Roles: []string{"admin"}}
	genuine, fake := iss.Token(admin), forger.Token(admin)
	forged := genuine[:strings.LastIndexByte(genuine, '.')] + fake[strings.LastIndexByte(fake, '.'):]
	now := time.Now()
	bearer := func(tok string) [2]string { return [2]string{"Authorization", "Bearer " + tok} }
	f := &stackFixture{creds: map[string][2]string{
		"reader":          bearer(iss.Token(authtest.Claims{Subject: "alice", Scopes: []string{"items:read"}, Extra: map[string]any{"tenant": "acme"}})),
		"writer":          bearer(iss.Token(authtest.Claims{Subject: "alice", Scopes: []string{"items:read", "items:write"}})),
		"bob":             bearer(iss.Token(authtest.Claims{Subject: "bob", Scopes: []string{"items:read"}})),
		"admin-pwd":       bearer(iss.Token(authtest.Claims{Subject: "root", Roles: []string{"admin"}, AMR: []string{"pwd"}, AuthTime: now})),
		"admin-mfa":       bearer(iss.Token(authtest.Claims{Subject: "root", Roles: []string{"admin"}, AMR: []string{"pwd", "mfa"}, AuthTime: now})),
		"admin-mfa-stale": bearer(iss.Token(authtest.Claims{Subject: "root", Roles: []string{"admin"}, AMR: []string{"pwd", "mfa"}, AuthTime: now.Add(-time.Hour)})),
		"mfa-no-role":     bearer(iss.Token(authtest.Claims{Subject: "alice", AMR: []string{"mfa"}, AuthTime: now})),
		"forged":          bearer(forged),
		"expired-jwt": bearer(iss.Token(authtest.Claims{Subject: "alice", Scopes: []string{"items:read"},
			Extra: map[string]any{"iat": now.Add(-time.Hour).Unix(), "exp": now.Add(-10 * time.Minute).Unix()}})),
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

	jwt := testVerifier(t, iss)
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
