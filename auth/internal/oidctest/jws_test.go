package oidctest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"encoding/json"
	"math/big"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestJWKThumbprint checks the thumbprint against RFC 9449's example: the
// proof key of §4.1 and its cnf.jkt in §6.1.
func TestJWKThumbprint(t *testing.T) {
	x, _ := b64.DecodeString("l8tFrhx-34tV3hRICRDY9zCkDlpBhF42UQUfWVAWBFs")
	y, _ := b64.DecodeString("9VE4jf_Ok_o64zbTTlcuNJajHmt6v9TDVrU0CdvGRDA")
	pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), append(append([]byte{4}, x...), y...))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := jwkThumbprint(pub), "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"; got != want {
		t.Errorf("thumbprint = %q, want %q", got, want)
	}
}

// TestProof checks a minted proof against RFC 9449 §4.2 with the
// standard library alone: header, claims and signature.
func TestProof(t *testing.T) {
	key := NewDPoPKey(t)
	const token = "an-access-token"
	proof, err := key.ProofAt(http.MethodGet, "https://api.example/v1/items?id=1#frag", token, "n-1", time.Unix(1700000000, 0))
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(proof, ".")
	if len(parts) != 3 {
		t.Fatalf("proof %q is not a compact JWS", proof)
	}
	var header struct {
		Typ string            `json:"typ"`
		Alg string            `json:"alg"`
		JWK map[string]string `json:"jwk"`
	}
	decode(t, parts[0], &header)
	if header.Typ != "dpop+jwt" || header.Alg != "ES256" || header.JWK["kty"] != "EC" || header.JWK["crv"] != "P-256" || len(header.JWK) != 4 {
		t.Errorf("header = %+v, want typ dpop+jwt, alg ES256 and the public JWK only", header)
	}
	var claims map[string]any
	decode(t, parts[1], &claims)
	ath := sha256.Sum256([]byte(token))
	want := map[string]any{
		"htm": "GET", "htu": "https://api.example/v1/items", "iat": float64(1700000000),
		"ath": b64.EncodeToString(ath[:]), "nonce": "n-1",
	}
	for k, v := range want {
		if claims[k] != v {
			t.Errorf("claim %s = %v, want %v", k, claims[k], v)
		}
	}
	if jti, _ := claims["jti"].(string); len(jti) < 16 {
		t.Errorf("jti = %v, want a random identifier", claims["jti"])
	}
	sig, err := b64.DecodeString(parts[2])
	if err != nil || len(sig) != 64 {
		t.Fatalf("signature: %d bytes, %v", len(sig), err)
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
	if !ecdsa.Verify(&key.Private.PublicKey, digest[:], r, s) {
		t.Error("the proof's signature does not verify with the key")
	}
	if x, _ := coordinates(&key.Private.PublicKey); header.JWK["x"] != x {
		t.Error("the jwk header is not the signing key")
	}

	// Without a token there is no ath; two proofs differ in jti.
	p1, _ := key.Proof(http.MethodPost, "https://as.example/token", "")
	p2, _ := key.Proof(http.MethodPost, "https://as.example/token", "")
	var c1, c2 map[string]any
	decode(t, strings.Split(p1, ".")[1], &c1)
	decode(t, strings.Split(p2, ".")[1], &c2)
	if _, ok := c1["ath"]; ok || c1["jti"] == c2["jti"] {
		t.Errorf("token-less proofs: %v and %v", c1, c2)
	}
}

func decode(t *testing.T, part string, v any) {
	t.Helper()
	b, err := b64.DecodeString(part)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatal(err)
	}
}
