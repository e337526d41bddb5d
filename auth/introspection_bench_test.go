package auth_test

import (
	"context"
	"crypto/sha256"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/apishield/apishield/auth"
	"github.com/apishield/apishield/internal/record"
)

// fixedAuthenticator returns one principal for any bearer token: the
// middleware's own cost, the floor of a cache hit through it.
type fixedAuthenticator struct{ p *auth.Principal }

func (f fixedAuthenticator) Kind() auth.CredentialKind { return auth.Bearer }
func (f fixedAuthenticator) Authenticate(context.Context, string) (*auth.Principal, error) {
	return f.p, nil
}

// BenchmarkIntrospectionCached compares a request whose opaque token's
// introspection is cached with a request whose JWT is in the verified-token
// cache, both through the middleware with the request record installed,
// beside the floor: the middleware with an authenticator that returns a
// fixed principal. The verify/ rows are the authenticators alone, beside
// the SHA-256 of the token that both caches key on. No budget; the ratios
// are reported.
func BenchmarkIntrospectionCached(b *testing.B) {
	s := newIDP(b, auth.ClientSecretBasic)
	endpoint, client := s.serveTLS(b)
	in := introspector(b, endpoint, client, nil)
	opaque := "2YotnFZFEjr1zCsicMWpAA-4vGmJ9cJ3oW6b1yQkZt0"
	now := time.Now()
	s.answer(opaque, activeJSON(now, `"azp":"app","auth_time":`+itoa(now.Unix())+`,"roles":["admin","user"],"amr":["pwd","mfa"],"acr":"1","jti":"j1"`))
	j := newVerifier(b, newJWKSServer(standardSet(b)), nil)
	jwt := benchToken(b, "ES256")
	ctx := context.Background()
	p, err := in.Verify(ctx, opaque)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := j.Verify(ctx, jwt); err != nil {
		b.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		a     auth.Authenticator
		token string
	}{
		{"middleware/floor=fixed-principal", fixedAuthenticator{p}, opaque},
		{"middleware/jwt-cached", j, jwt},
		{"middleware/introspection-cached", in, opaque},
	} {
		m := auth.MustNew(auth.Config{Authenticators: []auth.Authenticator{tc.a}, Logger: discardLogger()})
		h := m.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
		req := httptest.NewRequest("GET", "/v1/items", nil)
		req.Header.Set("Authorization", "Bearer "+tc.token)
		w, r, rec := record.Install(httptest.NewRecorder(), req)
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				record.ResetDecisions(rec)
				h.ServeHTTP(w, r)
			}
			if d := rec.Decisions(); len(d) != 1 || d[0].Outcome != record.Allow {
				b.Fatalf("decisions %+v", d)
			}
		})
	}
	b.Run("verify/floor=sha256", func(b *testing.B) {
		raw := []byte(opaque)
		b.ReportAllocs()
		for b.Loop() {
			sha256.Sum256(raw)
		}
	})
	b.Run("verify/jwt-cached", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := j.Verify(ctx, jwt); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("verify/introspection-cached", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := in.Verify(ctx, opaque); err != nil {
				b.Fatal(err)
			}
		}
	})
	if n := s.calls.Load(); n != 1 {
		b.Errorf("introspection calls = %d, want 1: the benchmark measured misses", n)
	}
}
