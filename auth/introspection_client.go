package auth

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/asn1"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// assertionLifetime is how long a client assertion is valid: long enough
// for clock skew, short enough that a captured one is soon worthless.
const assertionLifetime = time.Minute

// jwtBearerAssertion is the client_assertion_type of RFC 7523 §2.2.
const jwtBearerAssertion = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

// clientAuth is how the introspection requests authenticate the API.
type clientAuth struct {
	method   ClientAuthMethod
	clientID string
	secret   string // ClientSecretPost
	basic    string // the Authorization header of ClientSecretBasic
	signer   crypto.Signer
	alg      *algInfo
	header   string // the assertions' encoded JOSE header
	aud      string
}

func newClientAuth(cfg IntrospectionConfig) (clientAuth, error) {
	c := clientAuth{method: cfg.AuthMethod, clientID: cfg.ClientID}
	if cfg.ClientID == "" {
		return c, configErr("ClientID is required")
	}
	if c.method == "" {
		switch {
		case cfg.PrivateKey != nil && cfg.ClientSecret != "":
			return c, configErr("both PrivateKey and ClientSecret are set: choose with AuthMethod")
		case cfg.PrivateKey != nil:
			c.method = PrivateKeyJWT
		case cfg.ClientSecret != "":
			c.method = ClientSecretBasic
		default:
			return c, configErr("ClientSecret or PrivateKey is required to authenticate to the introspection endpoint")
		}
	}
	switch c.method {
	case ClientSecretBasic, ClientSecretPost:
		if cfg.ClientSecret == "" {
			return c, configErr("AuthMethod %s needs ClientSecret", c.method)
		}
		// RFC 6749 §2.3.1: the ID and secret are form-encoded before
		// they are joined and base64-encoded, so a ':' in either cannot
		// move the split and a '+' or '%' arrives as sent.
		c.basic = "Basic " + base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(cfg.ClientID)+":"+url.QueryEscape(cfg.ClientSecret)))
		c.secret = cfg.ClientSecret
	case PrivateKeyJWT:
		if cfg.PrivateKey == nil {
			return c, configErr("AuthMethod %s needs PrivateKey", c.method)
		}
		alg, err := assertionAlg(cfg.PrivateKey.Public(), cfg.Algorithm)
		if err != nil {
			return c, err
		}
		c.signer, c.alg = cfg.PrivateKey, alg
		h := map[string]string{"alg": alg.name, "typ": "JWT"}
		if cfg.KeyID != "" {
			h["kid"] = cfg.KeyID
		}
		hj, err := json.Marshal(h)
		if err != nil {
			return c, configErr("KeyID: %v", err)
		}
		c.header = base64.RawURLEncoding.EncodeToString(hj)
		c.aud = cfg.AssertionAudience
		if c.aud == "" {
			c.aud = cfg.Issuer
		}
	default:
		return c, configErr("unsupported AuthMethod %q", c.method)
	}
	return c, nil
}

// assertionAlg returns the algorithm for signing with pub: name if given
// (it must fit the key), else the key's usual one.
func assertionAlg(pub crypto.PublicKey, name string) (*algInfo, error) {
	var def string
	switch k := pub.(type) {
	case *rsa.PublicKey:
		if k.N.BitLen() < 2048 {
			return nil, configErr("PrivateKey: RSA keys must have at least 2048 bits")
		}
		def = "RS256"
	case *ecdsa.PublicKey:
		switch k.Curve {
		case elliptic.P256():
			def = "ES256"
		case elliptic.P384():
			def = "ES384"
		case elliptic.P521():
			def = "ES512"
		default:
			return nil, configErr("PrivateKey: unsupported curve")
		}
	case ed25519.PublicKey:
		def = "EdDSA"
	default:
		return nil, configErr("PrivateKey: unsupported key type %T", pub)
	}
	if name == "" {
		name = def
	}
	alg := lookupAlg(name)
	switch {
	case alg == nil:
		return nil, configErr("Algorithm %q is not supported for client assertions", name)
	case alg.kty == "RSA" && def[:2] == "RS", alg.name == def:
		return alg, nil
	}
	return nil, configErr("Algorithm %s does not fit the %s key", name, def)
}

// post sends the introspection request and returns the response body.
func (in *Introspection) post(ctx context.Context, token string) ([]byte, error) {
	form := url.Values{"token": {token}, "token_type_hint": {"access_token"}}
	c := &in.client
	switch c.method {
	case ClientSecretPost:
		form.Set("client_id", c.clientID)
		form.Set("client_secret", c.secret)
	case PrivateKeyJWT:
		a, err := c.assertion(time.Now())
		if err != nil {
			return nil, failed("introspection_assertion", err)
		}
		form.Set("client_id", c.clientID)
		form.Set("client_assertion_type", jwtBearerAssertion)
		form.Set("client_assertion", a)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, in.endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, failed("introspection_unavailable", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	if c.method == ClientSecretBasic {
		req.Header.Set("Authorization", c.basic)
	}
	resp, err := in.http.Do(req)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return nil, failed("introspection_timeout", err)
		}
		return nil, failed("introspection_unavailable", err)
	}
	defer resp.Body.Close()
	return in.readResponse(resp)
}

// assertion returns a fresh client assertion (RFC 7523 §3): iss and sub
// the client ID, aud the issuer, a random jti, valid for a minute.
func (c *clientAuth) assertion(now time.Time) (string, error) {
	var jti [16]byte
	if _, err := rand.Read(jti[:]); err != nil {
		return "", err
	}
	claims, err := json.Marshal(struct {
		Iss string `json:"iss"`
		Sub string `json:"sub"`
		Aud string `json:"aud"`
		Jti string `json:"jti"`
		Iat int64  `json:"iat"`
		Exp int64  `json:"exp"`
	}{c.clientID, c.clientID, c.aud, base64.RawURLEncoding.EncodeToString(jti[:]), now.Unix(), now.Add(assertionLifetime).Unix()})
	if err != nil {
		return "", err
	}
	input := c.header + "." + base64.RawURLEncoding.EncodeToString(claims)
	sig, err := signJWS(c.alg, c.signer, []byte(input))
	if err != nil {
		return "", err
	}
	return input + "." + base64.RawURLEncoding.EncodeToString(sig), nil
}

// signJWS signs input with alg (RFC 7518 §3, RFC 8037) through the
// crypto.Signer interface, so that the key may live in a KMS or HSM:
// ECDSA signatures are converted from ASN.1 to the fixed-size r||s.
func signJWS(alg *algInfo, key crypto.Signer, input []byte) ([]byte, error) {
	if alg.kty == "OKP" {
		return key.Sign(rand.Reader, input, crypto.Hash(0))
	}
	h := alg.hash.New()
	h.Write(input)
	digest := h.Sum(nil)
	var opts crypto.SignerOpts = alg.hash
	if alg.pss {
		opts = &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: alg.hash}
	}
	sig, err := key.Sign(rand.Reader, digest, opts)
	if err != nil || alg.kty != "EC" {
		return sig, err
	}
	var rs struct{ R, S *big.Int }
	if rest, err := asn1.Unmarshal(sig, &rs); err != nil || len(rest) != 0 {
		return nil, errors.New("the signer returned a malformed ECDSA signature")
	}
	if rs.R.Sign() <= 0 || rs.S.Sign() <= 0 || rs.R.BitLen() > alg.size*8 || rs.S.BitLen() > alg.size*8 {
		return nil, fmt.Errorf("the signer returned an ECDSA signature out of range for %s", alg.name)
	}
	out := make([]byte, 2*alg.size)
	rs.R.FillBytes(out[:alg.size])
	rs.S.FillBytes(out[alg.size:])
	return out, nil
}
