package auth_test

import (
	"context"
	"testing"
	"time"

	"github.com/apishield/apishield/auth"
	"github.com/apishield/apishield/auth/internal/oidctest"
)

// token gets a plain JWT access token from op for scope.
func token(t *testing.T, op *oidctest.Provider, scope string) string {
	t.Helper()
	tok, err := op.ClientCredentials(t.Context(), scope)
	if err != nil {
		t.Fatal(err)
	}
	return tok.AccessToken
}

// TestOIDCProvider runs auth against panva's oidc-provider, a certified
// OpenID provider: discovery, a JWT access token from the
// client_credentials grant verified under the strict RFC 9068 profile,
// and a key rotation (the provider restarts with new keys on the same
// issuer URL): the new key verifies after one on-demand fetch, and the
// old key's token stops verifying.
func TestOIDCProvider(t *testing.T) {
	op := oidctest.Start(t, oidctest.Options{Audience: testAudience})

	ctx := context.Background()
	j, err := auth.NewJWT(ctx, auth.JWTConfig{
		Issuer:          op.Issuer,
		Audience:        []string{testAudience},
		Type:            auth.TypeAccessToken,
		RefetchInterval: time.Millisecond,
		Logger:          discardLogger(),
	})
	if err != nil {
		t.Fatalf("NewJWT with discovery: %v", err)
	}
	if want := op.Issuer + "/jwks"; j.JWKSURL() != want {
		t.Errorf("discovered JWKS URL = %q, want %q", j.JWKSURL(), want)
	}
	old := token(t, op, "items:read items:write")
	p, err := j.Verify(ctx, old)
	if err != nil {
		t.Fatalf("Verify(oidc-provider token): %v", err)
	}
	if p.Subject != oidctest.BearerClientID || p.ClientID != oidctest.BearerClientID || p.Issuer != op.Issuer ||
		!p.HasScope("items:read") || !p.HasScope("items:write") || p.Expiry.Before(time.Now()) {
		t.Errorf("principal = %+v", p)
	}
	readOnly := token(t, op, "items:read")
	if p, err := j.Verify(ctx, readOnly); err != nil || p.HasScope("items:write") {
		t.Errorf("read-only token: %+v, %v", p, err)
	}

	// Rotate: same issuer, new keys, the old ones gone.
	op.Stop()
	op = oidctest.Start(t, oidctest.Options{Audience: testAudience, Port: op.Port})
	fresh := token(t, op, "items:read")
	if _, err := j.Verify(ctx, fresh); err != nil {
		t.Fatalf("token signed with the rotated key: %v", err)
	}
	if _, err := j.Verify(ctx, old); auth.CheckOf(err) != "unknown_kid" {
		t.Fatalf("token of the removed key: %v, want unknown_kid", err)
	}

	// An audience the API does not accept is refused.
	other, err := auth.NewJWT(ctx, auth.JWTConfig{Issuer: op.Issuer, Audience: []string{"https://other.example"}, Logger: discardLogger()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.Verify(ctx, fresh); auth.CheckOf(err) != "audience_mismatch" {
		t.Errorf("token for another audience: %v", err)
	}
}
