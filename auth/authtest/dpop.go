package authtest

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"
)

// A DPoPKey is a client's DPoP key (RFC 9449), for tests: it makes the
// proofs a client sends in the DPoP header, and the cnf claim that binds
// an [Issuer]'s token to it. It is safe for concurrent use.
//
//	key, err := authtest.NewDPoPKey("ES256")
//	tok := iss.Token(authtest.Claims{Subject: "alice",
//		Extra: map[string]any{"cnf": key.Confirmation()}})
//	req.Header.Set("Authorization", "DPoP "+tok)
//	req.Header.Set("DPoP", key.Proof("GET", "https://api.example.com/v1/items", tok, ""))
type DPoPKey struct {
	k   *key
	jwk json.RawMessage
	// Now is the clock for the proofs' iat. Nil means time.Now. Set it
	// before the key is used.
	Now func() time.Time
}

// NewDPoPKey makes a new key for alg (ES256, ES384, ES512, RS256, PS256,
// EdDSA…, as [Config].Algorithm).
func NewDPoPKey(alg string) (*DPoPKey, error) {
	k, err := newKey(alg)
	if err != nil {
		return nil, err
	}
	jwk, err := json.Marshal(k.pub)
	if err != nil {
		return nil, err
	}
	return &DPoPKey{k: k, jwk: jwk}, nil
}

// Thumbprint returns the key's RFC 7638 JWK SHA-256 thumbprint, base64url:
// the value of cnf.jkt in tokens bound to it.
func (k *DPoPKey) Thumbprint() string { return k.k.kid }

// Confirmation returns the cnf claim of a token bound to the key,
// {"jkt": thumbprint}, for Claims.Extra["cnf"].
func (k *DPoPKey) Confirmation() map[string]any { return map[string]any{"jkt": k.Thumbprint()} }

// Proof returns a DPoP proof for a request with method to url (the URL the
// client calls; its query and fragment do not count), with ath for token
// if token is not empty and nonce if nonce is not empty. Each proof has a
// new random jti. It panics only if crypto/rand fails.
func (k *DPoPKey) Proof(method, url, token, nonce string) string {
	now := time.Now
	if k.Now != nil {
		now = k.Now
	}
	var jti [16]byte
	rand.Read(jti[:])
	claims := map[string]any{"jti": hex.EncodeToString(jti[:]), "htm": method, "htu": url, "iat": now().Unix()}
	if token != "" {
		sum := sha256.Sum256([]byte(token))
		claims["ath"] = base64.RawURLEncoding.EncodeToString(sum[:])
	}
	if nonce != "" {
		claims["nonce"] = nonce
	}
	body, err := json.Marshal(claims)
	if err != nil {
		panic(fmt.Sprintf("authtest: DPoP proof: %v", err))
	}
	header, _ := json.Marshal(map[string]any{"typ": "dpop+jwt", "alg": k.k.alg, "jwk": k.jwk})
	input := base64.RawURLEncoding.EncodeToString(header) + "." + base64.RawURLEncoding.EncodeToString(body)
	return input + "." + base64.RawURLEncoding.EncodeToString(k.k.sign([]byte(input)))
}

// CertificateConfirmation returns the cnf claim of a token bound to cert
// (RFC 8705 §3.1), {"x5t#S256": base64url(SHA-256(DER))}, for
// Claims.Extra["cnf"].
func CertificateConfirmation(cert *x509.Certificate) map[string]any {
	sum := sha256.Sum256(cert.Raw)
	return map[string]any{"x5t#S256": base64.RawURLEncoding.EncodeToString(sum[:])}
}
