package authtest

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"
)

// ErrInvalidConfig is wrapped by every error [New] returns.
var ErrInvalidConfig = errors.New("authtest: invalid config")

// The paths of the issuer's documents, below its URL (OpenID Connect
// Discovery 1.0 §4 for the first; the second is where discovery points).
const (
	DiscoveryPath = "/.well-known/openid-configuration"
	JWKSPath      = "/.well-known/jwks.json"
)

// Defaults of the Config fields.
const (
	DefaultAlgorithm = "ES256"
	DefaultClientID  = "authtest"
	DefaultTTL       = 5 * time.Minute
)

// Config configures an [Issuer]. Issuer and Audience are required; every
// other zero field means the default it documents.
type Config struct {
	// Issuer is the issuer identifier: the iss of every token, and the URL
	// below which its documents are served. Required for New (an http or
	// https URL without query or fragment); NewServer sets it to the
	// server's URL and refuses it set.
	Issuer string
	// Audience is the aud of every token whose Claims name none. Required:
	// the verifier under test must name it too.
	Audience []string
	// Algorithm is the JWS algorithm of the issuer's keys: ES256, ES384,
	// ES512, RS256, RS384, RS512, PS256, PS384, PS512 or EdDSA (Ed25519).
	// Empty means ES256.
	Algorithm string
	// ClientID is the client_id of tokens whose Claims name none. Empty
	// means "authtest".
	ClientID string
	// TTL is the lifetime of tokens whose Claims set none. Zero means 5
	// minutes; negative is an error (Claims.TTL makes expired tokens).
	TTL time.Duration
	// Type is the typ header of every token. Empty means "at+jwt", the
	// RFC 9068 access token type that auth.TypeAccessToken requires.
	Type string
	// Now is the clock for iat and exp. Nil means time.Now.
	Now func() time.Time
}

// Claims are what one token says. Zero fields are left out of the token,
// except where noted.
type Claims struct {
	Subject  string    // sub
	Scopes   []string  // scope, joined with spaces
	Roles    []string  // roles, an array (auth's default role claim)
	Audience []string  // aud; empty means Config.Audience
	ClientID string    // client_id; empty means Config.ClientID
	AMR      []string  // amr: "pwd", "mfa", "otp", "hwk"…
	ACR      string    // acr
	AuthTime time.Time // auth_time, in whole seconds
	// TTL is how long after iat the token expires. Zero means Config.TTL;
	// negative makes a token that has already expired.
	TTL time.Duration
	// Extra claims, written last: they add claims (tenant, email…) or
	// replace any of the above, iat and exp included. A nil value removes
	// the claim, for tokens that lack a required one.
	Extra map[string]any
}

// An Issuer mints access tokens and serves its discovery document and key
// set. It is safe for concurrent use. Make one with [New] or [NewServer].
type Issuer struct {
	url, host string // the issuer identifier, and its scheme://host
	path      string // the URL's path, without a trailing slash
	aud       []string
	clientID  string
	ttl       time.Duration
	typ       string
	alg       string
	now       func() time.Time
	meta      []byte // the discovery document

	mu   sync.RWMutex
	keys []*key // published keys; the last one signs
	jwks []byte // the key set document of keys
}

// New makes an issuer for cfg, with a new key. Errors wrap
// ErrInvalidConfig.
func New(cfg Config) (*Issuer, error) {
	u, err := url.Parse(cfg.Issuer)
	switch {
	case cfg.Issuer == "":
		return nil, fmt.Errorf("%w: Issuer is required", ErrInvalidConfig)
	case err != nil:
		return nil, fmt.Errorf("%w: Issuer: %v", ErrInvalidConfig, err)
	case (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil:
		return nil, fmt.Errorf("%w: Issuer %q must be an http or https URL without user, query or fragment", ErrInvalidConfig, cfg.Issuer)
	case len(cfg.Audience) == 0:
		return nil, fmt.Errorf("%w: Audience is required", ErrInvalidConfig)
	case cfg.TTL < 0:
		return nil, fmt.Errorf("%w: TTL is negative (Claims.TTL makes expired tokens)", ErrInvalidConfig)
	}
	for _, a := range cfg.Audience {
		if a == "" {
			return nil, fmt.Errorf("%w: an empty Audience entry", ErrInvalidConfig)
		}
	}
	iss := &Issuer{
		url:      cfg.Issuer,
		host:     u.Scheme + "://" + u.Host,
		path:     strings.TrimSuffix(u.EscapedPath(), "/"),
		aud:      append([]string(nil), cfg.Audience...),
		clientID: orDefault(cfg.ClientID, DefaultClientID),
		ttl:      cfg.TTL,
		typ:      orDefault(cfg.Type, "at+jwt"),
		alg:      orDefault(cfg.Algorithm, DefaultAlgorithm),
		now:      cfg.Now,
	}
	if iss.ttl == 0 {
		iss.ttl = DefaultTTL
	}
	if iss.now == nil {
		iss.now = time.Now
	}
	if _, ok := algorithms[iss.alg]; !ok {
		return nil, fmt.Errorf("%w: Algorithm %q is not one of ES256, ES384, ES512, RS256, RS384, RS512, PS256, PS384, PS512, EdDSA", ErrInvalidConfig, cfg.Algorithm)
	}
	iss.meta, err = json.Marshal(map[string]any{
		"issuer":                                iss.url,
		"jwks_uri":                              iss.JWKSURL(),
		"id_token_signing_alg_values_supported": []string{iss.alg},
		"response_types_supported":              []string{"token"},
		"subject_types_supported":               []string{"public"},
	})
	if err != nil {
		return nil, err
	}
	if _, err := iss.Rotate(); err != nil {
		return nil, err
	}
	return iss, nil
}

// MustNew is New for start-up code and tests: it panics on an invalid
// config.
func MustNew(cfg Config) *Issuer {
	iss, err := New(cfg)
	if err != nil {
		panic(err)
	}
	return iss
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// URL returns the issuer identifier, the iss of its tokens.
func (iss *Issuer) URL() string { return iss.url }

// JWKSURL returns the URL of the issuer's key set.
func (iss *Issuer) JWKSURL() string { return iss.host + iss.path + JWKSPath }

// KeyID returns the kid of the key that signs new tokens.
func (iss *Issuer) KeyID() string {
	iss.mu.RLock()
	defer iss.mu.RUnlock()
	return iss.keys[len(iss.keys)-1].kid
}

// Token returns a signed access token saying c. Like
// httptest.NewRequest, it panics rather than return an error, for ease of
// use in tests: it fails only on an Extra value encoding/json cannot
// encode.
func (iss *Issuer) Token(c Claims) string {
	now := iss.now()
	ttl := c.TTL
	if ttl == 0 {
		ttl = iss.ttl
	}
	var jti [16]byte
	rand.Read(jti[:]) // crypto/rand never fails
	claims := map[string]any{
		"iss":       iss.url,
		"client_id": orDefault(c.ClientID, iss.clientID),
		"iat":       now.Unix(),
		"exp":       now.Add(ttl).Unix(),
		"jti":       hex.EncodeToString(jti[:]),
	}
	aud := c.Audience
	if len(aud) == 0 {
		aud = iss.aud
	}
	if len(aud) == 1 {
		claims["aud"] = aud[0]
	} else {
		claims["aud"] = aud
	}
	if c.Subject != "" {
		claims["sub"] = c.Subject
	}
	if len(c.Scopes) > 0 {
		claims["scope"] = strings.Join(c.Scopes, " ")
	}
	if len(c.Roles) > 0 {
		claims["roles"] = c.Roles
	}
	if len(c.AMR) > 0 {
		claims["amr"] = c.AMR
	}
	if c.ACR != "" {
		claims["acr"] = c.ACR
	}
	if !c.AuthTime.IsZero() {
		claims["auth_time"] = c.AuthTime.Unix()
	}
	for k, v := range c.Extra {
		if v == nil {
			delete(claims, k)
		} else {
			claims[k] = v
		}
	}
	body, err := json.Marshal(claims)
	if err != nil {
		panic(fmt.Sprintf("authtest: Token: %v", err))
	}
	iss.mu.RLock()
	k := iss.keys[len(iss.keys)-1]
	iss.mu.RUnlock()
	header, _ := json.Marshal(map[string]string{"alg": iss.alg, "typ": iss.typ, "kid": k.kid})
	input := base64.RawURLEncoding.EncodeToString(header) + "." + base64.RawURLEncoding.EncodeToString(body)
	return input + "." + base64.RawURLEncoding.EncodeToString(k.sign([]byte(input)))
}

// Rotate makes a new key, which signs every token from now on, and
// publishes it beside the old ones, which keep verifying the tokens they
// signed until [Issuer.Retire] drops them, as an identity provider rotates
// its keys. It returns the new key's kid. A verifier fetches the set again
// when a token names a kid it does not know, at most once per its
// auth.JWTConfig.RefetchInterval (10 s by default).
func (iss *Issuer) Rotate() (kid string, err error) {
	k, err := newKey(iss.alg)
	if err != nil {
		return "", err
	}
	iss.mu.Lock()
	defer iss.mu.Unlock()
	keys := append(iss.keys[:len(iss.keys):len(iss.keys)], k)
	jwks, err := keySet(keys)
	if err != nil {
		return "", err
	}
	iss.keys, iss.jwks = keys, jwks
	return k.kid, nil
}

// Retire unpublishes the key kid: tokens it signed stop verifying once a
// verifier fetches the key set again. The key that signs new tokens cannot
// be retired (Rotate first).
func (iss *Issuer) Retire(kid string) error {
	iss.mu.Lock()
	defer iss.mu.Unlock()
	for i, k := range iss.keys {
		if k.kid != kid {
			continue
		}
		if i == len(iss.keys)-1 {
			return fmt.Errorf("authtest: key %s signs new tokens: Rotate before retiring it", kid)
		}
		keys := append(append([]*key(nil), iss.keys[:i]...), iss.keys[i+1:]...)
		jwks, err := keySet(keys)
		if err != nil {
			return err
		}
		iss.keys, iss.jwks = keys, jwks
		return nil
	}
	return fmt.Errorf("authtest: no published key has kid %q", kid)
}
