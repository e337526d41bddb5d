package oidctest

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// The tests below prove the provider side of the end-to-end flows with
// the provider alone: what it puts in each kind of token, and that it
// refuses the requests a thief or a careless client would make. auth's
// own end-to-end test then verifies the same tokens.

// payload decodes a JWT access token's payload, failing the test if it is
// not a JWT.
func payload(t *testing.T, token string) map[string]any {
	t.Helper()
	claims, err := Payload(token)
	if err != nil {
		t.Fatalf("access token %.40q… is not a JWT: %v", token, err)
	}
	return claims
}

// cnf is a token's cnf claim, or nil.
func cnf(claims map[string]any) map[string]any {
	c, _ := claims["cnf"].(map[string]any)
	return c
}

// wantCode checks that err is the provider's refusal with an OAuth error
// code.
func wantCode(t *testing.T, what string, err error, code string) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) || e.Code != code {
		t.Errorf("%s: error = %v, want the provider's %s", what, err, code)
	}
}

func TestDPoPBoundToken(t *testing.T) {
	t.Parallel()
	op := Start(t, Options{})
	ctx := context.Background()
	key := NewDPoPKey(t)

	tok, err := op.ClientCredentialsDPoP(ctx, key, "items:read")
	if err != nil {
		t.Fatalf("DPoP token: %v", err)
	}
	if tok.TokenType != "DPoP" || tok.Attempts != 1 {
		t.Errorf("token_type %q after %d attempts, want DPoP after 1 (no nonce configured)", tok.TokenType, tok.Attempts)
	}
	claims := payload(t, tok.AccessToken)
	if got, want := cnf(claims)["jkt"], key.Thumbprint(); got != want {
		t.Errorf("cnf.jkt = %v, want the key's RFC 7638 thumbprint %q", got, want)
	}
	if claims["iss"] != op.Issuer || claims["aud"] != op.Audience || claims["client_id"] != DPoPClientID || claims["scope"] != "items:read" {
		t.Errorf("claims = %v", claims)
	}
	if key.Nonce(op.TokenURL) != "" {
		t.Errorf("a provider without nonces gave nonce %q", key.Nonce(op.TokenURL))
	}

	// Another key binds another token: the binding is to the key.
	other := NewDPoPKey(t)
	tok2, err := op.ClientCredentialsDPoP(ctx, other, "")
	if err != nil {
		t.Fatal(err)
	}
	if got := cnf(payload(t, tok2.AccessToken))["jkt"]; got != other.Thumbprint() || got == key.Thumbprint() {
		t.Errorf("second key's cnf.jkt = %v, want %q", got, other.Thumbprint())
	}

	// The client requires DPoP: without a proof there is no token.
	_, err = op.token(ctx, op.HTTPClient(), "", basic(DPoPClientID, DPoPClientSecret), nil)
	wantCode(t, "DPoP client without a proof", err, "invalid_grant")

	// A proof is good for one request: the provider detects its replay.
	proof, err := key.Proof(http.MethodPost, op.TokenURL, "")
	if err != nil {
		t.Fatal(err)
	}
	header := http.Header{"Dpop": {proof}}
	if _, err := op.token(ctx, op.HTTPClient(), "", basic(DPoPClientID, DPoPClientSecret), header); err != nil {
		t.Fatalf("first use of a proof: %v", err)
	}
	_, err = op.token(ctx, op.HTTPClient(), "", basic(DPoPClientID, DPoPClientSecret), header)
	wantCode(t, "replayed proof", err, "invalid_grant")

	// A proof for another URL, or a stale one, is refused.
	for name, mint := range map[string]func() (string, error){
		"wrong htu": func() (string, error) { return key.Proof(http.MethodPost, op.Issuer+"/elsewhere", "") },
		"wrong htm": func() (string, error) { return key.Proof(http.MethodGet, op.TokenURL, "") },
		"stale iat": func() (string, error) {
			return key.ProofAt(http.MethodPost, op.TokenURL, "", "", time.Now().Add(-time.Hour))
		},
	} {
		proof, err := mint()
		if err != nil {
			t.Fatal(err)
		}
		_, err = op.token(ctx, op.HTTPClient(), "", basic(DPoPClientID, DPoPClientSecret), http.Header{"Dpop": {proof}})
		wantCode(t, name, err, "invalid_dpop_proof")
	}
}

func TestDPoPNonce(t *testing.T) {
	t.Parallel()
	op := Start(t, Options{DPoPNonce: true})
	ctx := context.Background()
	key := NewDPoPKey(t)

	// Without a nonce the provider refuses and gives one; the client
	// retries with it.
	tok, err := op.ClientCredentialsDPoP(ctx, key, "items:read")
	if err != nil {
		t.Fatalf("DPoP token with nonce: %v", err)
	}
	if tok.Attempts != 2 {
		t.Errorf("attempts = %d, want 2: a refusal with use_dpop_nonce, then the retry", tok.Attempts)
	}
	nonce := key.Nonce(op.TokenURL)
	if nonce == "" {
		t.Fatal("the client remembered no nonce")
	}
	if got := cnf(payload(t, tok.AccessToken))["jkt"]; got != key.Thumbprint() {
		t.Errorf("cnf.jkt = %v, want %q", got, key.Thumbprint())
	}

	// The remembered nonce serves the next request at once.
	tok, err = op.ClientCredentialsDPoP(ctx, key, "")
	if err != nil || tok.Attempts != 1 {
		t.Errorf("second token: %v after %v attempts, want one attempt with the remembered nonce", err, tok)
	}

	// A proof without a nonce, or with a forged one, is refused with a
	// fresh nonce.
	for name, n := range map[string]string{"no nonce": "", "forged nonce": strings.Repeat("A", len(nonce))} {
		proof, err := key.ProofAt(http.MethodPost, op.TokenURL, "", n, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		_, err = op.token(ctx, op.HTTPClient(), "", basic(DPoPClientID, DPoPClientSecret), http.Header{"Dpop": {proof}})
		wantCode(t, name, err, "use_dpop_nonce")
		if e := (*Error)(nil); errors.As(err, &e) && e.DPoPNonce == "" {
			t.Errorf("%s: refusal without a DPoP-Nonce", name)
		}
	}
}

func TestCertificateBoundToken(t *testing.T) {
	t.Parallel()
	op := Start(t, Options{TLS: true})
	ctx := context.Background()
	if !strings.HasPrefix(op.Issuer, "https://") {
		t.Fatalf("issuer %q, want https", op.Issuer)
	}

	tok, err := op.ClientCredentialsMTLS(ctx, op.MTLSCert, "items:read items:write")
	if err != nil {
		t.Fatalf("certificate-bound token: %v", err)
	}
	if tok.TokenType != "Bearer" {
		t.Errorf("token_type = %q, want Bearer (RFC 8705 keeps the scheme)", tok.TokenType)
	}
	claims := payload(t, tok.AccessToken)
	if got, want := cnf(claims)["x5t#S256"], Thumbprint(op.MTLSCert.Leaf); got != want {
		t.Errorf(`cnf["x5t#S256"] = %v, want the certificate's SHA-256 thumbprint %q`, got, want)
	}
	if claims["client_id"] != MTLSClientID || claims["aud"] != op.Audience {
		t.Errorf("claims = %v", claims)
	}

	// A certificate the client did not register, even from the same CA,
	// authenticates no one; no certificate neither.
	_, err = op.ClientCredentialsMTLS(ctx, op.PKI.ClientCert(t, MTLSClientID), "")
	wantCode(t, "unregistered certificate", err, "invalid_client")
	_, err = op.token(ctx, op.HTTPClient(), "", func(_ *http.Request, form url.Values) { form.Set("client_id", MTLSClientID) }, nil)
	wantCode(t, "no certificate", err, "invalid_client")

	// Over TLS the other clients work as before: a DPoP-bound token and a
	// plain one.
	key := NewDPoPKey(t)
	if tok, err := op.ClientCredentialsDPoP(ctx, key, ""); err != nil || cnf(payload(t, tok.AccessToken))["jkt"] != key.Thumbprint() {
		t.Errorf("DPoP over TLS: %v", err)
	}
	if tok, err := op.ClientCredentials(ctx, ""); err != nil || cnf(payload(t, tok.AccessToken)) != nil {
		t.Errorf("bearer over TLS: %v", err)
	}
}

func TestOpaqueTokenIntrospection(t *testing.T) {
	t.Parallel()
	op := Start(t, Options{})
	ctx := context.Background()

	tok, err := op.OpaqueToken(ctx, "items:read")
	if err != nil {
		t.Fatalf("opaque token: %v", err)
	}
	if _, err := Payload(tok.AccessToken); err == nil {
		t.Fatalf("opaque token %q is a JWT", tok.AccessToken)
	}
	for _, method := range []AuthMethod{ClientSecretBasic, PrivateKeyJWT} {
		resp, err := op.Introspect(ctx, tok.AccessToken, method)
		if err != nil {
			t.Fatalf("introspect with %s: %v", method, err)
		}
		if resp["active"] != true || resp["client_id"] != OpaqueClientID || resp["iss"] != op.Issuer ||
			resp["aud"] != op.Audience || resp["scope"] != "items:read" || resp["token_type"] != "Bearer" {
			t.Errorf("introspection with %s = %v", method, resp)
		}
		if exp, ok := resp["exp"].(float64); !ok || time.Unix(int64(exp), 0).Before(time.Now()) {
			t.Errorf("introspection with %s: exp = %v", method, resp["exp"])
		}
	}
	// A token the provider never issued is inactive.
	if resp, err := op.Introspect(ctx, tok.AccessToken+"x", ClientSecretBasic); err != nil || resp["active"] != false || len(resp) != 1 {
		t.Errorf("unknown token: %v, %v", resp, err)
	}

	// Only the resource server's clients may introspect: the token's own
	// client learns nothing.
	body, err := op.post(ctx, op.HTTPClient(), op.IntrospectionURL, url.Values{"token": {tok.AccessToken}}, basic(OpaqueClientID, OpaqueClientSecret), nil)
	if err != nil || string(body) != `{"active":false}` {
		t.Errorf("introspection by the token's client: %s, %v; want active false", body, err)
	}

	// The resource server's credentials are checked.
	_, err = op.post(ctx, op.HTTPClient(), op.IntrospectionURL, url.Values{"token": {tok.AccessToken}}, basic(ResourceServerID, "wrong"), nil)
	wantCode(t, "wrong secret", err, "invalid_client")
	_, err = op.post(ctx, op.HTTPClient(), op.IntrospectionURL, url.Values{"token": {tok.AccessToken}},
		func(r *http.Request, _ url.Values) { r.SetBasicAuth(ResourceServerID, ResourceServerSecret) }, nil)
	wantCode(t, "secret not form-encoded", err, "invalid_request")

	// A DPoP-bound opaque token introspects with its binding.
	key := NewDPoPKey(t)
	bound, err := op.OpaqueTokenDPoP(ctx, key, "")
	if err != nil {
		t.Fatalf("DPoP-bound opaque token: %v", err)
	}
	if _, err := Payload(bound.AccessToken); err == nil || bound.TokenType != "DPoP" {
		t.Errorf("DPoP-bound opaque token: type %q, %q", bound.TokenType, bound.AccessToken)
	}
	if resp, err := op.Introspect(ctx, bound.AccessToken, PrivateKeyJWT); err != nil || resp["active"] != true ||
		resp["token_type"] != "DPoP" || cnf(resp)["jkt"] != key.Thumbprint() {
		t.Errorf("DPoP-bound opaque token introspected: %v, %v; want cnf.jkt %q", resp, err, key.Thumbprint())
	}

	// Revoked, the token is inactive for both clients.
	if err := op.Revoke(ctx, tok.AccessToken); err != nil {
		t.Fatalf("revoke: %v", err)
	}
	for _, method := range []AuthMethod{ClientSecretBasic, PrivateKeyJWT} {
		if resp, err := op.Introspect(ctx, tok.AccessToken, method); err != nil || resp["active"] != false || len(resp) != 1 {
			t.Errorf("revoked token, introspected with %s: %v, %v", method, resp, err)
		}
	}
}
