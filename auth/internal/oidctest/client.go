package oidctest

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// maxResponse bounds every response body read from the provider.
const maxResponse = 1 << 20

// Token is a token endpoint's successful response (RFC 6749 §5.1).
type Token struct {
	// AccessToken is the token: a JWT, or opaque for the opaque clients.
	AccessToken string `json:"access_token"`
	// TokenType is "Bearer", or "DPoP" for a DPoP-bound token.
	TokenType string `json:"token_type"`
	// ExpiresIn is the token's lifetime in seconds (600).
	ExpiresIn int `json:"expires_in"`
	// Scope is the granted scope, space-separated; empty for none.
	Scope string `json:"scope"`
	// Attempts is how many token requests it took: 2 when the provider
	// demanded a DPoP nonce first, 1 otherwise.
	Attempts int `json:"-"`
}

// Error is the provider's refusal: an OAuth error response (RFC 6749
// §5.2), or any other answer that is not the expected one.
type Error struct {
	// Endpoint is the URL that refused.
	Endpoint string
	// Status is the HTTP status code.
	Status int
	// Code is the OAuth error code, e.g. "invalid_client" or
	// "use_dpop_nonce"; empty when the body was not an OAuth error.
	Code string
	// Description is the error_description, if any.
	Description string
	// DPoPNonce is the response's DPoP-Nonce header, if any.
	DPoPNonce string
}

func (e *Error) Error() string {
	return fmt.Sprintf("oidctest: %s: status %d: %s (%s)", e.Endpoint, e.Status, e.Code, e.Description)
}

// AuthMethod is how a client authenticates at the provider (RFC 7591 §2
// token_endpoint_auth_method).
type AuthMethod string

// The methods the resource server's clients use for introspection.
const (
	// ClientSecretBasic is ResourceServerID with its secret in HTTP Basic
	// authentication (RFC 6749 §2.3.1).
	ClientSecretBasic AuthMethod = "client_secret_basic"
	// PrivateKeyJWT is ResourceServerJWTID with a client assertion signed
	// by Provider.ResourceServerKey (RFC 7523 §2.2).
	PrivateKeyJWT AuthMethod = "private_key_jwt"
)

// ClientCredentials gets a JWT access token for BearerClientID with scope
// (space-separated; empty for none).
func (p *Provider) ClientCredentials(ctx context.Context, scope string) (*Token, error) {
	return p.token(ctx, p.HTTPClient(), scope, basic(BearerClientID, BearerClientSecret), nil)
}

// ClientCredentialsDPoP gets a JWT access token for DPoPClientID bound to
// key (cnf.jkt), sending a DPoP proof of key to the token endpoint. When
// the provider answers use_dpop_nonce with a DPoP-Nonce, it retries once
// with that nonce (RFC 9449 §8), and key remembers the nonce for the next
// token request. The token's TokenType is "DPoP".
func (p *Provider) ClientCredentialsDPoP(ctx context.Context, key *DPoPKey, scope string) (*Token, error) {
	return p.dpopToken(ctx, key, scope, DPoPClientID, DPoPClientSecret)
}

// OpaqueTokenDPoP gets an opaque access token for OpaqueDPoPClientID bound
// to key, as ClientCredentialsDPoP does: introspection reports the binding
// in cnf.jkt.
func (p *Provider) OpaqueTokenDPoP(ctx context.Context, key *DPoPKey, scope string) (*Token, error) {
	return p.dpopToken(ctx, key, scope, OpaqueDPoPClientID, OpaqueDPoPClientSecret)
}

func (p *Provider) dpopToken(ctx context.Context, key *DPoPKey, scope, id, secret string) (*Token, error) {
	u, err := url.Parse(p.TokenURL)
	if err != nil {
		return nil, err
	}
	for attempt := 1; ; attempt++ {
		proof, err := key.Proof(http.MethodPost, p.TokenURL, "")
		if err != nil {
			return nil, err
		}
		tok, err := p.token(ctx, p.HTTPClient(), scope, basic(id, secret), http.Header{"Dpop": {proof}})
		var e *Error
		if errors.As(err, &e) && e.DPoPNonce != "" {
			key.remember(u, http.Header{"Dpop-Nonce": {e.DPoPNonce}})
			if e.Code == "use_dpop_nonce" && attempt == 1 {
				continue
			}
		}
		if tok != nil {
			tok.Attempts = attempt
		}
		return tok, err
	}
}

// ClientCredentialsMTLS gets a JWT access token for MTLSClientID bound to
// cert (cnf["x5t#S256"]), authenticating over mutual TLS with cert: the
// provider accepts it only if cert is the one registered for the client
// (Provider.MTLSCert). It needs a provider started with Options.TLS.
func (p *Provider) ClientCredentialsMTLS(ctx context.Context, cert tls.Certificate, scope string) (*Token, error) {
	return p.token(ctx, p.HTTPClientWithCert(cert), scope, func(_ *http.Request, form url.Values) {
		form.Set("client_id", MTLSClientID)
	}, nil)
}

// OpaqueToken gets an opaque access token for OpaqueClientID.
func (p *Provider) OpaqueToken(ctx context.Context, scope string) (*Token, error) {
	return p.token(ctx, p.HTTPClient(), scope, basic(OpaqueClientID, OpaqueClientSecret), nil)
}

// Introspect asks the provider about token (RFC 7662) as the resource
// server's client authenticating with method, and returns the response's
// members: "active" is true for a valid token, and the only member for
// any other.
func (p *Provider) Introspect(ctx context.Context, token string, method AuthMethod) (map[string]any, error) {
	var auth func(*http.Request, url.Values)
	switch method {
	case ClientSecretBasic:
		auth = basic(ResourceServerID, ResourceServerSecret)
	case PrivateKeyJWT:
		assertion, err := p.ClientAssertion(p.IntrospectionURL)
		if err != nil {
			return nil, err
		}
		auth = func(_ *http.Request, form url.Values) {
			form.Set("client_id", ResourceServerJWTID)
			form.Set("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
			form.Set("client_assertion", assertion)
		}
	default:
		return nil, fmt.Errorf("oidctest: no introspection client for %q", method)
	}
	form := url.Values{"token": {token}, "token_type_hint": {"access_token"}}
	body, err := p.post(ctx, p.HTTPClient(), p.IntrospectionURL, form, auth, nil)
	if err != nil {
		return nil, err
	}
	var resp map[string]any
	if err := json.Unmarshal(body, &resp); err != nil {
		return nil, fmt.Errorf("oidctest: introspection response: %v", err)
	}
	return resp, nil
}

// ClientAssertion is a private_key_jwt client assertion (RFC 7523 §3) of
// ResourceServerJWTID for audience: iss and sub the client ID, a fresh
// jti, valid for a minute, signed with ResourceServerKey.
func (p *Provider) ClientAssertion(audience string) (string, error) {
	now := time.Now()
	return signES256(p.ResourceServerKey, map[string]any{"typ": "JWT", "kid": p.ResourceServerKeyID}, map[string]any{
		"iss": ResourceServerJWTID,
		"sub": ResourceServerJWTID,
		"aud": audience,
		"jti": randomID(),
		"iat": now.Unix(),
		"exp": now.Add(time.Minute).Unix(),
	})
}

// Revoke revokes an OpaqueToken (RFC 7009) as OpaqueClientID, the client
// it was issued to: from then on it introspects inactive.
func (p *Provider) Revoke(ctx context.Context, token string) error {
	form := url.Values{"token": {token}, "token_type_hint": {"access_token"}}
	_, err := p.post(ctx, p.HTTPClient(), p.RevocationURL, form, basic(OpaqueClientID, OpaqueClientSecret), nil)
	return err
}

// token makes a client_credentials token request for p.Audience.
func (p *Provider) token(ctx context.Context, client *http.Client, scope string, auth func(*http.Request, url.Values), header http.Header) (*Token, error) {
	form := url.Values{"grant_type": {"client_credentials"}, "resource": {p.Audience}}
	if scope != "" {
		form.Set("scope", scope)
	}
	body, err := p.post(ctx, client, p.TokenURL, form, auth, header)
	if err != nil {
		return nil, err
	}
	var tok Token
	if err := json.Unmarshal(body, &tok); err != nil || tok.AccessToken == "" {
		return nil, fmt.Errorf("oidctest: token response without an access token: %.200s", body)
	}
	tok.Attempts = 1
	return &tok, nil
}

// post sends a form to endpoint, authenticated by auth, and returns the
// body of a 200 response with a JSON (or, from revocation, empty) body, or
// an *Error.
func (p *Provider) post(ctx context.Context, client *http.Client, endpoint string, form url.Values, auth func(*http.Request, url.Values), header http.Header) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, nil)
	if err != nil {
		return nil, err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	auth(req, form)
	body := form.Encode()
	req.Body = io.NopCloser(strings.NewReader(body))
	req.ContentLength = int64(len(body))
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode == http.StatusOK {
		if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); len(b) > 0 && mt != "application/json" {
			return nil, &Error{Endpoint: endpoint, Status: resp.StatusCode, Description: "content type " + mt}
		}
		return b, nil
	}
	e := &Error{Endpoint: endpoint, Status: resp.StatusCode, DPoPNonce: resp.Header.Get("DPoP-Nonce")}
	var oauth struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	if json.Unmarshal(b, &oauth) == nil {
		e.Code, e.Description = oauth.Error, oauth.Description
	}
	return nil, e
}

// basic authenticates a request with client_secret_basic: the client ID
// and secret form-encoded (RFC 6749 §2.3.1, Appendix B), then HTTP Basic.
func basic(id, secret string) func(*http.Request, url.Values) {
	return func(req *http.Request, _ url.Values) {
		req.SetBasicAuth(url.QueryEscape(id), url.QueryEscape(secret))
	}
}
