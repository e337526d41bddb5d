package main

// DEVELOPMENT ONLY: this file is copied from examples/quickstart and stands
// in for a real identity provider. Delete it when you plug in yours.

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

	"github.com/apishield/apishield/auth"
	"github.com/gorilla/mux"
	"github.com/lestrrat-go/jwx/v3/jwk"
)

// devAudience is the audience the example API accepts.
const devAudience = "apishield-example-gorilla"

// A devIssuer is a development-only OpenID provider inside the example:
// an ES256 key made at start (never stored), its key set and discovery
// metadata under /.well-known/, and demo tokens. It shows the wiring a real
// IdP (Auth0, Keycloak, Entra ID, Okta…) plugs into: replace it with your
// IdP's issuer URL in auth.JWTConfig and delete this file.
type devIssuer struct {
	issuer string
	kid    string
	key    *ecdsa.PrivateKey
	meta   []byte
	jwks   []byte
}

func newDevIssuer(issuer string) (*devIssuer, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	pub, err := jwk.Import(key.Public())
	if err != nil {
		return nil, err
	}
	tp, err := pub.Thumbprint(crypto.SHA256) // the RFC 7638 thumbprint names the key
	if err != nil {
		return nil, err
	}
	d := &devIssuer{issuer: issuer, key: key, kid: base64.RawURLEncoding.EncodeToString(tp)}
	for k, v := range map[string]string{jwk.KeyIDKey: d.kid, jwk.AlgorithmKey: "ES256", jwk.KeyUsageKey: "sig"} {
		if err := pub.Set(k, v); err != nil {
			return nil, err
		}
	}
	if d.jwks, err = json.Marshal(map[string]any{"keys": []any{pub}}); err != nil {
		return nil, err
	}
	d.meta, err = json.Marshal(map[string]any{
		"issuer":                                d.issuer,
		"jwks_uri":                              d.issuer + "/.well-known/jwks.json",
		"id_token_signing_alg_values_supported": []string{"ES256"},
		"response_types_supported":              []string{"token"},
		"subject_types_supported":               []string{"public"},
	})
	return d, err
}

// routes serves the discovery document and the key set on r.
func (d *devIssuer) routes(r *mux.Router) {
	serve := func(body []byte) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Cache-Control", "public, max-age=300")
			w.Write(body)
		}
	}
	r.HandleFunc("/.well-known/openid-configuration", serve(d.meta)).Methods(http.MethodGet)
	r.HandleFunc("/.well-known/jwks.json", serve(d.jwks)).Methods(http.MethodGet)
}

// verifier builds the JWT verifier for the dev issuer. It reads discovery
// and the key set through an in-process client, since it is built before
// the server it belongs to starts serving; a real deployment leaves
// HTTPClient nil and fetches from the IdP.
func (d *devIssuer) verifier(ctx context.Context, logger *slog.Logger) (*auth.JWT, error) {
	wellKnown := mux.NewRouter()
	d.routes(wellKnown)
	inProcess := &http.Client{Transport: roundTripper(func(r *http.Request) (*http.Response, error) {
		rec := httptest.NewRecorder()
		wellKnown.ServeHTTP(rec, r)
		return rec.Result(), nil
	})}
	return auth.NewJWT(ctx, auth.JWTConfig{
		Issuer:     d.issuer,
		Audience:   []string{devAudience},
		Type:       auth.TypeAccessToken,
		RolePaths:  []string{"/roles"},
		HTTPClient: inProcess,
		Logger:     logger,
	})
}

// A demoToken is one of the tokens the example prints, as a shell
// variable to export.
type demoToken struct {
	name, about, token string
}

// demoTokens issues the printed tokens: one per kind of caller the policy
// tells apart.
func (d *devIssuer) demoTokens(ttl time.Duration) ([]demoToken, error) {
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
	out := make([]demoToken, 0, len(specs))
	for _, s := range specs {
		tok, err := d.tokenWith(s.subject, s.scopes, ttl, s.extra)
		if err != nil {
			return nil, err
		}
		out = append(out, demoToken{name: s.name, about: s.about, token: tok})
	}
	return out, nil
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// tokenWith issues an RFC 9068 access token for subject with scopes, valid
// for ttl from now, with extra claims such as roles, amr and auth_time.
func (d *devIssuer) tokenWith(subject string, scopes []string, ttl time.Duration, extra map[string]any) (string, error) {
	now := time.Now()
	var jti [16]byte
	if _, err := rand.Read(jti[:]); err != nil {
		return "", err
	}
	header, _ := json.Marshal(map[string]string{"alg": "ES256", "typ": "at+jwt", "kid": d.kid})
	body := map[string]any{
		"iss":       d.issuer,
		"sub":       subject,
		"aud":       devAudience,
		"client_id": "gorilla-demo",
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
