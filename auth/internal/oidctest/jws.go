package oidctest

import (
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
)

// A small ES256 JWS signer (RFC 7515 compact serialisation, RFC 7518
// §3.4): all the client side needs for DPoP proofs and private_key_jwt
// client assertions. Verification stays with the code under test.

var b64 = base64.RawURLEncoding

// signES256 returns the compact JWS of claims under header, signed with
// key; header's alg is set to ES256.
func signES256(key *ecdsa.PrivateKey, header map[string]any, claims any) (string, error) {
	header["alg"] = "ES256"
	h, err := json.Marshal(header)
	if err != nil {
		return "", err
	}
	c, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	input := b64.EncodeToString(h) + "." + b64.EncodeToString(c)
	digest := sha256.Sum256([]byte(input))
	r, s, err := ecdsa.Sign(rand.Reader, key, digest[:])
	if err != nil {
		return "", err
	}
	// The JWS signature is R || S, each left-padded to the curve's size.
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	return input + "." + b64.EncodeToString(sig), nil
}

// publicJWK is the public JWK (RFC 7518 §6.2) of a P-256 key.
func publicJWK(pub *ecdsa.PublicKey) map[string]any {
	x, y := coordinates(pub)
	return map[string]any{"kty": "EC", "crv": "P-256", "x": x, "y": y}
}

// coordinates are a P-256 key's x and y, base64url, 32 bytes each.
func coordinates(pub *ecdsa.PublicKey) (x, y string) {
	k, err := pub.ECDH()
	if err != nil {
		panic("oidctest: not a P-256 key: " + err.Error())
	}
	raw := k.Bytes() // 0x04 || X || Y
	return b64.EncodeToString(raw[1:33]), b64.EncodeToString(raw[33:])
}

// jwkThumbprint is the RFC 7638 thumbprint of a P-256 public key: the
// base64url SHA-256 of its required members, in lexical order, without
// white space.
func jwkThumbprint(pub *ecdsa.PublicKey) string {
	x, y := coordinates(pub)
	sum := sha256.Sum256([]byte(`{"crv":"P-256","kty":"EC","x":"` + x + `","y":"` + y + `"}`))
	return b64.EncodeToString(sum[:])
}

// Payload decodes the payload of a compact JWS, such as a JWT access
// token, without verifying it: for tests that look at what the provider
// put in a token. Verification is the code under test's job.
func Payload(token string) (map[string]any, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, errors.New("oidctest: not a compact JWS")
	}
	b, err := b64.DecodeString(parts[1])
	if err != nil {
		return nil, err
	}
	var claims map[string]any
	if err := json.Unmarshal(b, &claims); err != nil {
		return nil, err
	}
	return claims, nil
}

// randomID is a 128-bit random identifier, base64url, for jti claims.
func randomID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return b64.EncodeToString(b)
}
