package oidctest

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// DefaultAudience is the resource indicator tokens are issued for when
// Options.Audience is empty.
const DefaultAudience = "https://api.example"

// Scopes are the scopes every provider knows and grants to every client.
var Scopes = []string{"items:read", "items:write"}

// The clients every provider registers. Those that get tokens use the
// client_credentials grant: the token's sub and client_id are the client's
// ID, its aud is Options.Audience.
const (
	// BearerClientID gets plain JWT access tokens (RFC 9068), with
	// client_secret_basic.
	BearerClientID     = "apishield"
	BearerClientSecret = "apishield-secret"

	// DPoPClientID gets JWT access tokens bound to a DPoP key (cnf.jkt):
	// the provider requires a DPoP proof at every token request of it
	// (dpop_bound_access_tokens). It authenticates with
	// client_secret_basic.
	DPoPClientID     = "apishield-dpop"
	DPoPClientSecret = "apishield-dpop-secret"

	// MTLSClientID gets JWT access tokens bound to its TLS client
	// certificate (cnf["x5t#S256"], tls_client_certificate_bound_access_tokens),
	// and authenticates with that certificate
	// (self_signed_tls_client_auth: the provider matches the certificate
	// against the one registered in the client's jwks, Provider.MTLSCert).
	// It is registered only on a provider started with Options.TLS.
	MTLSClientID = "apishield-mtls"

	// OpaqueClientID gets opaque access tokens, which only introspection
	// can tell about; it is the client that may revoke them.
	OpaqueClientID     = "apishield-opaque"
	OpaqueClientSecret = "apishield-opaque-secret"

	// OpaqueDPoPClientID gets opaque access tokens bound to a DPoP key, as
	// DPoPClientID gets JWTs.
	OpaqueDPoPClientID     = "apishield-opaque-dpop"
	OpaqueDPoPClientSecret = "apishield-opaque-dpop-secret"

	// ResourceServerID is the API's own client at the provider, allowed to
	// introspect tokens (no other client but ResourceServerJWTID is), with
	// client_secret_basic. Its secret holds
	// characters that RFC 6749 §2.3.1's form-encoding before base64 must
	// escape, so a client that skips the encoding is refused.
	ResourceServerID     = "apishield-api"
	ResourceServerSecret = "api secret:+%&="

	// ResourceServerJWTID is a second client of the API, allowed to
	// introspect tokens, that authenticates with private_key_jwt (RFC 7523)
	// signed by Provider.ResourceServerKey (ES256, key ID
	// Provider.ResourceServerKeyID).
	ResourceServerJWTID = "apishield-api-jwt"
)

// Options configure a provider; the zero value is a plain-HTTP provider
// for DefaultAudience on a free port, without DPoP nonces.
type Options struct {
	// Audience is the resource indicator, the aud of every access token.
	// Empty means DefaultAudience.
	Audience string
	// Port is the loopback port to listen on. Empty or "0" means a free
	// one. Starting again on a stopped provider's port, with new keys, is
	// a key rotation at the same issuer URL.
	Port string
	// TLS makes the provider serve HTTPS with a certificate from PKI, ask
	// every client for a certificate, and register MTLSClientID.
	TLS bool
	// PKI issues the provider's certificate and MTLSCert when TLS is set.
	// Nil means a new one.
	PKI *PKI
	// DPoPNonce makes the token endpoint demand DPoP nonces (RFC 9449 §8).
	// Without it the provider issues none.
	DPoPNonce bool
}

// Provider is a running oidc-provider. Its methods are safe for concurrent
// use.
type Provider struct {
	// Issuer is the provider's issuer URL: http://127.0.0.1:<port>, or
	// https:// with Options.TLS.
	Issuer string
	// Audience is the aud of every access token.
	Audience string
	// Port is the port the provider listens on.
	Port string

	// TokenURL is the token endpoint, from the discovery document, as
	// are the others.
	TokenURL string
	// IntrospectionURL is the introspection endpoint (RFC 7662).
	IntrospectionURL string
	// RevocationURL is the revocation endpoint (RFC 7009).
	RevocationURL string
	// JWKSURL is the provider's key set.
	JWKSURL string

	// PKI issued the provider's TLS certificate; nil without Options.TLS.
	PKI *PKI
	// MTLSCert is the certificate registered for MTLSClientID, issued by
	// PKI; the zero value without Options.TLS.
	MTLSCert tls.Certificate

	// ResourceServerKey signs ResourceServerJWTID's client assertions
	// (ES256).
	ResourceServerKey *ecdsa.PrivateKey
	// ResourceServerKeyID is the kid under which the provider knows
	// ResourceServerKey's public key.
	ResourceServerKeyID string

	t      testing.TB
	cmd    *exec.Cmd
	stderr *syncBuffer
	once   sync.Once
}

// Start installs oidc-provider if needed (see Install), starts it, waits
// until it serves, and reads its discovery document. The provider stops
// when the test ends, or at Stop.
func Start(t testing.TB, opts Options) *Provider {
	t.Helper()
	node := Install(t, Dir())
	p := &Provider{
		t:                   t,
		Audience:            opts.Audience,
		ResourceServerKey:   newECKey(t),
		ResourceServerKeyID: "api-" + randomID(),
		stderr:              &syncBuffer{},
	}
	if p.Audience == "" {
		p.Audience = DefaultAudience
	}
	port := opts.Port
	if port == "" {
		port = "0"
	}
	dir := t.TempDir()
	config := map[string]any{
		"audience":      p.Audience,
		"scopes":        Scopes,
		"opaqueClients": []string{OpaqueClientID, OpaqueDPoPClientID},
		"introspectors": []string{ResourceServerID, ResourceServerJWTID},
	}
	if opts.TLS {
		p.PKI = opts.PKI
		if p.PKI == nil {
			p.PKI = NewPKI(t)
		}
		certFile, keyFile := writePEM(t, dir, p.PKI.ServerCert(t))
		config["tls"] = map[string]string{"cert": certFile, "key": keyFile}
		p.MTLSCert = p.PKI.ClientCert(t, MTLSClientID)
	}
	if opts.DPoPNonce {
		secret := make([]byte, 32)
		_, _ = rand.Read(secret)
		config["dpopNonceSecret"] = b64.EncodeToString(secret)
	}
	config["clients"] = p.clients(opts.TLS)
	configFile := filepath.Join(dir, "config.json")
	b, err := json.Marshal(config)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(configFile, b, 0o600); err != nil {
		t.Fatal(err)
	}

	p.cmd = exec.Command(node, "provider.mjs", port, configFile)
	p.cmd.Dir = Dir()
	p.cmd.Stderr = p.stderr
	out, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Stop)
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if f := strings.Fields(sc.Text()); len(f) == 2 && f[0] == "READY" {
				ready <- f[1]
			}
		}
		close(ready)
	}()
	select {
	case got, ok := <-ready:
		if !ok {
			t.Fatalf("oidc-provider exited before it was ready; its stderr:\n%s", p.stderr)
		}
		p.Port = got
	case <-time.After(60 * time.Second):
		t.Fatalf("oidc-provider did not start within 60 s; its stderr:\n%s", p.stderr)
	}
	scheme := "http"
	if opts.TLS {
		scheme = "https"
	}
	p.Issuer = scheme + "://127.0.0.1:" + p.Port
	if err := p.discover(t.Context()); err != nil {
		t.Fatalf("oidc-provider discovery: %v; its stderr:\n%s", err, p.stderr)
	}
	return p
}

// clients is the client metadata the provider registers.
func (p *Provider) clients(withTLS bool) []map[string]any {
	cc := func(id string) map[string]any {
		return map[string]any{
			"client_id":      id,
			"grant_types":    []string{"client_credentials"},
			"redirect_uris":  []string{},
			"response_types": []string{},
		}
	}
	rs := func(id string) map[string]any {
		c := cc(id)
		c["grant_types"] = []string{}
		return c
	}
	bearer := cc(BearerClientID)
	bearer["client_secret"] = BearerClientSecret
	dpop := cc(DPoPClientID)
	dpop["client_secret"] = DPoPClientSecret
	dpop["dpop_bound_access_tokens"] = true
	opaque := cc(OpaqueClientID)
	opaque["client_secret"] = OpaqueClientSecret
	opaqueDPoP := cc(OpaqueDPoPClientID)
	opaqueDPoP["client_secret"] = OpaqueDPoPClientSecret
	opaqueDPoP["dpop_bound_access_tokens"] = true
	api := rs(ResourceServerID)
	api["client_secret"] = ResourceServerSecret
	apiJWT := rs(ResourceServerJWTID)
	jwk := publicJWK(&p.ResourceServerKey.PublicKey)
	jwk["kid"], jwk["alg"], jwk["use"] = p.ResourceServerKeyID, "ES256", "sig"
	apiJWT["token_endpoint_auth_method"] = "private_key_jwt"
	apiJWT["jwks"] = map[string]any{"keys": []any{jwk}}
	clients := []map[string]any{bearer, dpop, opaque, opaqueDPoP, api, apiJWT}
	if withTLS {
		mtls := cc(MTLSClientID)
		mtls["token_endpoint_auth_method"] = "self_signed_tls_client_auth"
		mtls["tls_client_certificate_bound_access_tokens"] = true
		mtls["jwks"] = map[string]any{"keys": []any{certJWK(p.MTLSCert)}}
		clients = append(clients, mtls)
	}
	return clients
}

// discover reads the provider's endpoints from its discovery document.
func (p *Provider) discover(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.Issuer+"/.well-known/openid-configuration", nil)
	if err != nil {
		return err
	}
	resp, err := p.HTTPClient().Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	var meta struct {
		Issuer                string `json:"issuer"`
		TokenEndpoint         string `json:"token_endpoint"`
		IntrospectionEndpoint string `json:"introspection_endpoint"`
		RevocationEndpoint    string `json:"revocation_endpoint"`
		JWKSURI               string `json:"jwks_uri"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxResponse)).Decode(&meta); err != nil {
		return err
	}
	if meta.Issuer != p.Issuer || meta.TokenEndpoint == "" || meta.IntrospectionEndpoint == "" ||
		meta.RevocationEndpoint == "" || meta.JWKSURI == "" {
		return fmt.Errorf("incomplete metadata for %s: %+v", p.Issuer, meta)
	}
	p.TokenURL, p.IntrospectionURL, p.RevocationURL, p.JWKSURL =
		meta.TokenEndpoint, meta.IntrospectionEndpoint, meta.RevocationEndpoint, meta.JWKSURI
	return nil
}

// HTTPClient returns a client of the provider that presents no
// certificate; with Options.TLS it trusts PKI.
func (p *Provider) HTTPClient() *http.Client { return p.clientWith(nil) }

// HTTPClientWithCert returns a client of the provider that presents cert
// when the server asks for one; it trusts PKI. Without Options.TLS it is a
// plain client and cert goes unused.
func (p *Provider) HTTPClientWithCert(cert tls.Certificate) *http.Client {
	return p.clientWith([]tls.Certificate{cert})
}

func (p *Provider) clientWith(certs []tls.Certificate) *http.Client {
	t := &http.Transport{DisableKeepAlives: true}
	if p.PKI != nil {
		t.TLSClientConfig = &tls.Config{RootCAs: p.PKI.Pool, Certificates: certs, MinVersion: tls.VersionTLS12}
	}
	return &http.Client{Transport: t, Timeout: 30 * time.Second}
}

// Stop stops the provider and checks what it wrote to stderr: the runtime
// warning means the pinned oidc-provider does not support this node. Stop
// is idempotent; the test's cleanup calls it.
func (p *Provider) Stop() {
	p.once.Do(func() {
		_ = p.cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = p.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = p.cmd.Process.Kill()
			<-done
		}
		stderr := p.stderr.String()
		if stderr != "" {
			p.t.Logf("oidc-provider stderr:\n%s", stderr)
		}
		if strings.Contains(stderr, "Unsupported runtime") {
			p.t.Errorf("oidc-provider warned that it does not support this node: pin a version that does in %s", Dir())
		}
	})
}

// syncBuffer is a bytes.Buffer safe for the copying goroutine of exec.Cmd
// and the test to use at once.
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
