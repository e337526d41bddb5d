package auth_test

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apishield/apishield/auth"
	"github.com/apishield/apishield/auth/internal/oidctest"
	"github.com/apishield/apishield/tlsconfig"
)

// The API-side constructors in one place: the only code here that names
// the new configuration.

// boundJWT verifies the provider's JWT access tokens, DPoP-bound ones
// (allowed, not required, so a thief's bearer attempt meets the
// no-downgrade rule rather than a missing-proof one) and certificate-bound
// ones, for an API served at origin.
func boundJWT(t *testing.T, op *oidctest.Provider, origin string) *auth.JWT {
	return boundJWTNonce(t, op, origin, auth.DPoPNonceConfig{})
}

// boundJWTNonce is boundJWT whose DPoP proofs must carry the API's own
// server nonce when nonce has keys.
func boundJWTNonce(t *testing.T, op *oidctest.Provider, origin string, nonce auth.DPoPNonceConfig) *auth.JWT {
	t.Helper()
	j, err := auth.NewJWT(context.Background(), auth.JWTConfig{
		Issuer:     op.Issuer,
		Audience:   []string{op.Audience},
		Type:       auth.TypeAccessToken,
		HTTPClient: op.HTTPClient(),
		Logger:     discardLogger(),
		DPoP: auth.DPoPConfig{
			Mode:         auth.DPoPAllowed,
			PublicOrigin: origin,
			// ReplayCache nil: the in-process cache.
			Nonce: nonce,
		},
		CertificateBinding: auth.CertificateBindingConfig{Enabled: true},
	})
	if err != nil {
		t.Fatalf("NewJWT: %v", err)
	}
	return j
}

// introspection introspects the provider's opaque tokens as the resource
// server's client, authenticated with method, for an API served at origin;
// DPoP-bound ones (cnf.jkt in the response) are checked as for JWTs.
func introspection(t *testing.T, op *oidctest.Provider, method oidctest.AuthMethod, origin string) *auth.Introspection {
	t.Helper()
	cfg := auth.IntrospectionConfig{
		Endpoint:   op.IntrospectionURL,
		Issuer:     op.Issuer,
		Audience:   []string{op.Audience},
		HTTPClient: op.HTTPClient(),
		Logger:     discardLogger(),
		DPoP:       auth.DPoPConfig{Mode: auth.DPoPAllowed, PublicOrigin: origin},
	}
	switch method {
	case oidctest.ClientSecretBasic:
		cfg.ClientID, cfg.ClientSecret = oidctest.ResourceServerID, oidctest.ResourceServerSecret
	case oidctest.PrivateKeyJWT:
		cfg.ClientID, cfg.PrivateKey, cfg.KeyID, cfg.Algorithm = oidctest.ResourceServerJWTID, op.ResourceServerKey, op.ResourceServerKeyID, "ES256"
	}
	in, err := auth.NewIntrospection(cfg)
	if err != nil {
		t.Fatalf("NewIntrospection(%s): %v", method, err)
	}
	return in
}

// api is the protected API: HTTPS with certificates from pki, client
// certificates verified when given, the auth middleware in front of a
// handler that reports the principal.
type api struct {
	URL  string
	pki  *oidctest.PKI
	hits atomic.Int32 // requests that reached the handler
}

// apiPrincipal is what the handler reports.
type apiPrincipal struct {
	Subject, ClientID, Method, Binding string
}

// startAPI serves the middleware that mw builds for the API's origin.
func startAPI(t *testing.T, pki *oidctest.PKI, mw func(origin string) auth.Config) *api {
	t.Helper()
	a := &api{pki: pki}
	var handler http.Handler
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	cfg, err := tlsconfig.Server(tlsconfig.Config{
		Certificates: []tls.Certificate{pki.ServerCert(t)},
		ClientCAs:    pki.Pool,
		ClientAuth:   tls.VerifyClientCertIfGiven,
	})
	if err != nil {
		t.Fatal(err)
	}
	srv.TLS = cfg
	srv.StartTLS()
	t.Cleanup(srv.Close)
	a.URL = srv.URL
	m, err := auth.New(mw(srv.URL))
	if err != nil {
		t.Fatalf("auth.New: %v", err)
	}
	handler = m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.hits.Add(1)
		p, _ := auth.FromContext(r.Context())
		json.NewEncoder(w).Encode(apiPrincipal{p.Subject, p.ClientID, p.Method, p.Binding})
	}))
	return a
}

// client is an HTTPS client of the API presenting certs.
func (a *api) client(certs ...tls.Certificate) *http.Client {
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		DisableKeepAlives: true,
		TLSClientConfig:   &tls.Config{RootCAs: a.pki.Pool, Certificates: certs},
	}}
}

// result reads a response: the principal on 200, the problem's reason
// otherwise.
func result(t *testing.T, resp *http.Response, err error) (status int, p apiPrincipal, reason string) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	if resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(b, &p); err != nil {
			t.Fatalf("handler body %q: %v", b, err)
		}
		return resp.StatusCode, p, ""
	}
	var problem struct {
		Reason string `json:"reason"`
	}
	_ = json.Unmarshal(b, &problem)
	return resp.StatusCode, p, problem.Reason
}

// bearer calls the API with token as a bearer token.
func (a *api) bearer(t *testing.T, c *http.Client, token string) (int, apiPrincipal, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, a.URL+"/items", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := c.Do(req)
	return result(t, resp, err)
}

// refused checks that a thief's request was refused with a 401 (so the
// handler, which only answers 200, did not run) and the problem reason
// want.
func refused(t *testing.T, what string, status int, reason, want string) {
	t.Helper()
	if status != http.StatusUnauthorized || reason != want {
		t.Errorf("%s: status %d (%s), want 401 (%s)", what, status, reason, want)
	}
}

// TestBoundTokensEndToEnd gets each kind of sender-constrained token from
// the real provider, calls the API with it as its client, and replays it
// as a thief without the key: the client gets through, the thief never
// does.
func TestBoundTokensEndToEnd(t *testing.T) {
	pki := oidctest.NewPKI(t)
	op := oidctest.Start(t, oidctest.Options{Audience: testAudience, TLS: true, PKI: pki})
	ctx := context.Background()
	a := startAPI(t, pki, func(origin string) auth.Config {
		return auth.Config{Authenticators: []auth.Authenticator{boundJWT(t, op, origin)}, Logger: discardLogger()}
	})

	t.Run("DPoP", func(t *testing.T) {
		key := oidctest.NewDPoPKey(t)
		tok, err := op.ClientCredentialsDPoP(ctx, key, "items:read")
		if err != nil {
			t.Fatal(err)
		}
		req, _ := http.NewRequest(http.MethodGet, a.URL+"/items", nil)
		resp, err := key.Do(ctx, a.client(), req, tok.AccessToken)
		if status, p, reason := result(t, resp, err); status != http.StatusOK || p.Binding != "dpop" || p.ClientID != oidctest.DPoPClientID {
			t.Fatalf("the key holder: %d %+v %s", status, p, reason)
		}
		hits := a.hits.Load()

		// The thief has the token (and, below, one of its proofs), not the key.
		status, _, reason := a.bearer(t, a.client(), tok.AccessToken)
		refused(t, "stolen DPoP token as Bearer", status, reason, "invalid_token")
		thief := oidctest.NewDPoPKey(t)
		resp, err = thief.Do(ctx, a.client(), req, tok.AccessToken)
		status, _, reason = result(t, resp, err)
		refused(t, "stolen DPoP token with the thief's own proof", status, reason, "invalid_dpop_proof")

		proof, err := key.Proof(http.MethodGet, a.URL+"/items", tok.AccessToken)
		if err != nil {
			t.Fatal(err)
		}
		send := func() (int, apiPrincipal, string) {
			r, _ := http.NewRequest(http.MethodGet, a.URL+"/items", nil)
			r.Header.Set("Authorization", "DPoP "+tok.AccessToken)
			r.Header.Set("DPoP", proof)
			resp, err := a.client().Do(r)
			return result(t, resp, err)
		}
		if status, _, reason := send(); status != http.StatusOK {
			t.Fatalf("the key holder's own proof: %d %s", status, reason)
		}
		status, _, reason = send()
		refused(t, "replayed proof", status, reason, "invalid_dpop_proof")
		r, _ := http.NewRequest(http.MethodDelete, a.URL+"/items", nil)
		r.Header.Set("Authorization", "DPoP "+tok.AccessToken)
		r.Header.Set("DPoP", proof)
		resp, err = a.client().Do(r)
		status, _, reason = result(t, resp, err)
		refused(t, "captured proof for another method", status, reason, "invalid_dpop_proof")
		if got := a.hits.Load(); got != hits+1 {
			t.Errorf("the handler ran %d times for the thief, want only the key holder's one request", got-hits-1)
		}
	})

	t.Run("DPoP nonce at the provider", func(t *testing.T) {
		opNonce := oidctest.Start(t, oidctest.Options{Audience: testAudience, DPoPNonce: true})
		b := startAPI(t, pki, func(origin string) auth.Config {
			return auth.Config{Authenticators: []auth.Authenticator{boundJWT(t, opNonce, origin)}, Logger: discardLogger()}
		})
		key := oidctest.NewDPoPKey(t)
		tok, err := opNonce.ClientCredentialsDPoP(ctx, key, "")
		if err != nil || tok.Attempts != 2 {
			t.Fatalf("token after %v attempts: %v", tok, err)
		}
		req, _ := http.NewRequest(http.MethodGet, b.URL+"/items", nil)
		resp, err := key.Do(ctx, b.client(), req, tok.AccessToken)
		if status, p, reason := result(t, resp, err); status != http.StatusOK || p.Binding != "dpop" {
			t.Fatalf("the key holder: %d %+v %s", status, p, reason)
		}
		thief := oidctest.NewDPoPKey(t)
		resp, err = thief.Do(ctx, b.client(), req, tok.AccessToken)
		status, _, reason := result(t, resp, err)
		refused(t, "stolen token with the thief's own proof", status, reason, "invalid_dpop_proof")
	})

	t.Run("DPoP nonce at the API", func(t *testing.T) {
		nonceKey := make([]byte, 32)
		rand.Read(nonceKey)
		b := startAPI(t, pki, func(origin string) auth.Config {
			return auth.Config{Authenticators: []auth.Authenticator{boundJWTNonce(t, op, origin, auth.DPoPNonceConfig{Keys: [][]byte{nonceKey}})}, Logger: discardLogger()}
		})
		key := oidctest.NewDPoPKey(t)
		tok, err := op.ClientCredentialsDPoP(ctx, key, "items:read")
		if err != nil {
			t.Fatal(err)
		}
		// A proof without the API's nonce is refused with one to use.
		proof, err := key.ProofAt(http.MethodGet, b.URL+"/items", tok.AccessToken, "", time.Now())
		if err != nil {
			t.Fatal(err)
		}
		r, _ := http.NewRequest(http.MethodGet, b.URL+"/items", nil)
		r.Header.Set("Authorization", "DPoP "+tok.AccessToken)
		r.Header.Set("DPoP", proof)
		resp, err := b.client().Do(r)
		if err != nil {
			t.Fatal(err)
		}
		nonce := resp.Header.Get("DPoP-Nonce")
		status, _, reason := result(t, resp, err)
		if status != http.StatusUnauthorized || reason != "use_dpop_nonce" || nonce == "" {
			t.Fatalf("a proof without the nonce: %d %s, DPoP-Nonce %q; want 401 use_dpop_nonce with a nonce", status, reason, nonce)
		}
		// The client retries with it (Do does) and gets through.
		req, _ := http.NewRequest(http.MethodGet, b.URL+"/items", nil)
		resp, err = key.Do(ctx, b.client(), req, tok.AccessToken)
		if status, p, reason := result(t, resp, err); status != http.StatusOK || p.Binding != "dpop" {
			t.Fatalf("the key holder with the nonce: %d %+v %s", status, p, reason)
		}
		// A forged nonce is refused like a missing one; a thief who gets a
		// nonce still lacks the key.
		forged, err := key.ProofAt(http.MethodGet, b.URL+"/items", tok.AccessToken, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", time.Now())
		if err != nil {
			t.Fatal(err)
		}
		r.Header.Set("DPoP", forged)
		resp, err = b.client().Do(r)
		status, _, reason = result(t, resp, err)
		refused(t, "a forged nonce", status, reason, "use_dpop_nonce")
		thief := oidctest.NewDPoPKey(t)
		resp, err = thief.Do(ctx, b.client(), req, tok.AccessToken)
		status, _, reason = result(t, resp, err)
		refused(t, "stolen token with the thief's own proof and a fresh nonce", status, reason, "invalid_dpop_proof")
	})

	t.Run("mTLS", func(t *testing.T) {
		tok, err := op.ClientCredentialsMTLS(ctx, op.MTLSCert, "items:read")
		if err != nil {
			t.Fatal(err)
		}
		if status, p, reason := a.bearer(t, a.client(op.MTLSCert), tok.AccessToken); status != http.StatusOK || p.Binding != "mtls" || p.ClientID != oidctest.MTLSClientID {
			t.Fatalf("the certificate holder: %d %+v %s", status, p, reason)
		}
		// The thief has a certificate of the same CA (so TLS lets it in),
		// or none.
		status, _, reason := a.bearer(t, a.client(pki.ClientCert(t, oidctest.MTLSClientID)), tok.AccessToken)
		refused(t, "stolen certificate-bound token over another certificate", status, reason, "invalid_token")
		status, _, reason = a.bearer(t, a.client(), tok.AccessToken)
		refused(t, "stolen certificate-bound token without a certificate", status, reason, "invalid_token")
	})

	t.Run("revocation", func(t *testing.T) {
		list, err := auth.NewRevocationList(auth.RevocationListConfig{})
		if err != nil {
			t.Fatal(err)
		}
		b := startAPI(t, pki, func(origin string) auth.Config {
			return auth.Config{Authenticators: []auth.Authenticator{boundJWT(t, op, origin)}, Revocations: list, Logger: discardLogger()}
		})
		tok, err := op.ClientCredentials(ctx, "items:read")
		if err != nil {
			t.Fatal(err)
		}
		j := boundJWT(t, op, b.URL)
		p, err := j.Verify(ctx, tok.AccessToken)
		if err != nil || p.TokenID == "" {
			t.Fatalf("Verify: %+v, %v (want a jti from the provider)", p, err)
		}
		if status, _, reason := b.bearer(t, b.client(), tok.AccessToken); status != http.StatusOK {
			t.Fatalf("before revocation: %d %s", status, reason)
		}
		if err := list.Revoke(ctx, auth.Revocation{TokenID: p.TokenID, Expires: p.Expiry}); err != nil {
			t.Fatal(err)
		}
		status, _, reason := b.bearer(t, b.client(), tok.AccessToken)
		refused(t, "revoked token (verified-token cache hit)", status, reason, "invalid_token")
	})
}

// TestIntrospectionEndToEnd introspects the provider's opaque tokens with
// both kinds of client authentication: a bearer one, which the provider
// then revokes (the holder gets through until then, anyone replaying it
// afterwards does not), and a DPoP-bound one that a thief without the key
// cannot use.
func TestIntrospectionEndToEnd(t *testing.T) {
	pki := oidctest.NewPKI(t)
	op := oidctest.Start(t, oidctest.Options{Audience: testAudience})
	ctx := context.Background()
	apis := map[oidctest.AuthMethod]*api{}
	for _, method := range []oidctest.AuthMethod{oidctest.ClientSecretBasic, oidctest.PrivateKeyJWT} {
		apis[method] = startAPI(t, pki, func(origin string) auth.Config {
			return auth.Config{Authenticators: []auth.Authenticator{introspection(t, op, method, origin)}, Logger: discardLogger()}
		})
	}
	tok, err := op.OpaqueToken(ctx, "items:read")
	if err != nil {
		t.Fatal(err)
	}
	for method, a := range apis {
		if status, p, reason := a.bearer(t, a.client(), tok.AccessToken); status != http.StatusOK || p.ClientID != oidctest.OpaqueClientID || p.Method != auth.MethodIntrospection {
			t.Fatalf("introspected with %s: %d %+v %s", method, status, p, reason)
		}
	}
	// A DPoP-bound opaque token: the binding comes from the introspection
	// response, and a thief without the key is refused.
	key := oidctest.NewDPoPKey(t)
	bound, err := op.OpaqueTokenDPoP(ctx, key, "items:read")
	if err != nil {
		t.Fatal(err)
	}
	for method, a := range apis {
		req, _ := http.NewRequest(http.MethodGet, a.URL+"/items", nil)
		resp, err := key.Do(ctx, a.client(), req, bound.AccessToken)
		if status, p, reason := result(t, resp, err); status != http.StatusOK || p.Binding != "dpop" || p.ClientID != oidctest.OpaqueDPoPClientID {
			t.Fatalf("DPoP-bound opaque token introspected with %s: %d %+v %s", method, status, p, reason)
		}
		status, _, reason := a.bearer(t, a.client(), bound.AccessToken)
		refused(t, "stolen DPoP-bound opaque token as Bearer, "+string(method), status, reason, "invalid_token")
		resp, err = oidctest.NewDPoPKey(t).Do(ctx, a.client(), req, bound.AccessToken)
		status, _, reason = result(t, resp, err)
		refused(t, "stolen DPoP-bound opaque token with the thief's proof, "+string(method), status, reason, "invalid_dpop_proof")
	}

	if err := op.Revoke(ctx, tok.AccessToken); err != nil {
		t.Fatal(err)
	}
	// A fresh API instance has nothing cached: the provider says inactive.
	for _, method := range []oidctest.AuthMethod{oidctest.ClientSecretBasic, oidctest.PrivateKeyJWT} {
		a := startAPI(t, pki, func(origin string) auth.Config {
			return auth.Config{Authenticators: []auth.Authenticator{introspection(t, op, method, origin)}, Logger: discardLogger()}
		})
		status, _, reason := a.bearer(t, a.client(), tok.AccessToken)
		refused(t, "revoked opaque token, introspected with "+string(method), status, reason, "invalid_token")
	}
}
