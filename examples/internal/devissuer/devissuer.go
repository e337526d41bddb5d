// Package devissuer is a DEVELOPMENT-ONLY OpenID provider that the example
// servers embed so they run with no identity provider: an ES256 key made at
// start (never stored), its discovery document and key set, and demo access
// tokens. It shows the wiring a real IdP (Auth0, Keycloak, Entra ID, Okta…)
// plugs into: in your copy of an example, put your IdP's issuer URL in
// auth.JWTConfig and drop this package.
package devissuer

import (
	"context"
	"crypto"
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
	"strings"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwk"

	"github.com/apishield/apishield/auth"
)

// The paths the issuer's documents are served at, relative to its URL.
const (
	DiscoveryPath = "/.well-known/openid-configuration"
	JWKSPath      = "/.well-known/jwks.json"
)

// An Issuer signs demo tokens for one audience. It is safe for concurrent use.
type Issuer struct {
	URL      string // the issuer identifier, also where its documents are served
	KeyID    string // the RFC 7638 thumbprint of its key
	audience string
	key      *ecdsa.PrivateKey
	meta     []byte
	jwks     []byte
}

// New makes an issuer at url whose tokens are for audience.
func New(url, audience string) (*Issuer, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	pub, err := jwk.Import(key.Public())
	if err != nil {
		return nil, err
	}
	tp, err := pub.Thumbprint(crypto.SHA256)
	if err != nil {
		return nil, err
	}
	d := &Issuer{URL: url, audience: audience, key: key, KeyID: base64.RawURLEncoding.EncodeToString(tp)}
	for k, v := range map[string]string{jwk.KeyIDKey: d.KeyID, jwk.AlgorithmKey: "ES256", jwk.KeyUsageKey: "sig"} {
		if err := pub.Set(k, v); err != nil {
			return nil, err
		}
	}
	if d.jwks, err = json.Marshal(map[string]any{"keys": []any{pub}}); err != nil {
		return nil, err
	}
	d.meta, err = json.Marshal(map[string]any{
		"issuer":                                d.URL,
		"jwks_uri":                              d.URL + JWKSPath,
		"id_token_signing_alg_values_supported": []string{"ES256"},
		"response_types_supported":              []string{"token"},
		"subject_types_supported":               []string{"public"},
	})
	return d, err
}

// ServeDiscovery serves the OpenID discovery document.
func (d *Issuer) ServeDiscovery(w http.ResponseWriter, r *http.Request) { serveJSON(w, d.meta) }

// ServeJWKS serves the key set.
func (d *Issuer) ServeJWKS(w http.ResponseWriter, r *http.Request) { serveJSON(w, d.jwks) }

func serveJSON(w http.ResponseWriter, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	_, _ = w.Write(body)
}

// Verifier builds the JWT verifier for the issuer, with roles read from the
// "roles" claim. It reads discovery and the key set through an in-process
// client, since it is built before the server that serves them starts; a
// real deployment leaves HTTPClient nil and fetches from the IdP.
func (d *Issuer) Verifier(ctx context.Context, logger *slog.Logger) (*auth.JWT, error) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+DiscoveryPath, d.ServeDiscovery)
	mux.HandleFunc("GET "+JWKSPath, d.ServeJWKS)
	inProcess := &http.Client{Transport: roundTripper(func(r *http.Request) (*http.Response, error) {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, r)
		return rec.Result(), nil
	})}
	return auth.NewJWT(ctx, auth.JWTConfig{
		Issuer:     d.URL,
		Audience:   []string{d.audience},
		Type:       auth.TypeAccessToken,
		RolePaths:  []string{"/roles"},
		HTTPClient: inProcess,
		Logger:     logger,
	})
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// A Demo is one of the tokens an example prints, as a shell variable to
// export.
type Demo struct {
	Name, About, Token string
}

// DemoTokens issues one token per kind of caller the examples' policies
// tell apart: TOKEN (items:read items:write), READER (items:read), ADMIN
// (role admin, password only) and ADMIN_MFA (role admin, second factor).
func (d *Issuer) DemoTokens(ttl time.Duration) ([]Demo, error) {
	now := time.Now().Unix()
	specs := []struct {
		name, about, subject string
		scopes               []string
		extra                map[string]any
	}{
		{"TOKEN", "demo-user, scopes items:read items:write", "demo-user", []string{"items:read", "items:write"}, nil},
		{"READER", "reader-user, scope items:read only", "reader-user", []string{"items:read"}, nil},
		{"ADMIN", "admin-user, role admin, signed in with a password only", "admin-user", []string{"items:read"},
			map[string]any{"roles": []string{"admin"}, "amr": []string{"pwd"}, "auth_time": now}},
		{"ADMIN_MFA", "admin-user, role admin, signed in with a second factor", "admin-user", []string{"items:read"},
			map[string]any{"roles": []string{"admin"}, "amr": []string{"pwd", "mfa"}, "auth_time": now}},
	}
	out := make([]Demo, 0, len(specs))
	for _, s := range specs {
		tok, err := d.Token(s.subject, s.scopes, ttl, s.extra)
		if err != nil {
			return nil, err
		}
		out = append(out, Demo{Name: s.name, About: s.about, Token: tok})
	}
	return out, nil
}

// Token issues an RFC 9068 access token for subject with scopes, valid for
// ttl from now, with extra claims such as roles, amr and auth_time.
func (d *Issuer) Token(subject string, scopes []string, ttl time.Duration, extra map[string]any) (string, error) {
	now := time.Now()
	var jti [16]byte
	if _, err := rand.Read(jti[:]); err != nil {
		return "", err
	}
	header, _ := json.Marshal(map[string]string{"alg": "ES256", "typ": "at+jwt", "kid": d.KeyID})
	body := map[string]any{
		"iss":       d.URL,
		"sub":       subject,
		"aud":       d.audience,
		"client_id": "apishield-demo",
		"scope":     strings.Join(scopes, " "),
		"iat":       now.Unix(),
		"exp":       now.Add(ttl).Unix(),
		"jti":       hex.EncodeToString(jti[:]),
	}
	for k, v := range extra {
		body[k] = v
	}
	claims, err := json.Marshal(body)
	if err != nil {
		return "", err
	}
	input := base64.RawURLEncoding.EncodeToString(header) + "." + base64.RawURLEncoding.EncodeToString(claims)
	sum := sha256.Sum256([]byte(input))
	r, s, err := ecdsa.Sign(rand.Reader, d.key, sum[:])
	if err != nil {
		return "", err
	}
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	return input + "." + base64.RawURLEncoding.EncodeToString(sig), nil
}
