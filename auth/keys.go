package auth

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"slices"

	"github.com/lestrrat-go/jwx/v3/jwk"
)

// The algorithms auth can verify. HMAC ("HS256"…) is absent on purpose: a
// shared secret has no place in a public key set, and accepting it is the
// classic key-confusion attack. "none" is never an algorithm.
var supportedAlgs = []string{
	"RS256", "RS384", "RS512",
	"PS256", "PS384", "PS512",
	"ES256", "ES384", "ES512",
	"EdDSA",
}

// DefaultAlgorithms is the allowlist used when JWTConfig.Algorithms is empty:
// every asymmetric algorithm of RFC 7518 and RFC 8037 that auth supports.
func DefaultAlgorithms() []string { return slices.Clone(supportedAlgs) }

// algInfo describes how to verify one algorithm.
type algInfo struct {
	name  string
	kty   string // "RSA", "EC", "OKP"
	pss   bool
	hash  crypto.Hash
	curve elliptic.Curve // for EC
	size  int            // EC: bytes per coordinate
}

func lookupAlg(name string) *algInfo {
	switch name {
	case "RS256":
		return &algRS256
	case "RS384":
		return &algRS384
	case "RS512":
		return &algRS512
	case "PS256":
		return &algPS256
	case "PS384":
		return &algPS384
	case "PS512":
		return &algPS512
	case "ES256":
		return &algES256
	case "ES384":
		return &algES384
	case "ES512":
		return &algES512
	case "EdDSA":
		return &algEdDSA
	}
	return nil
}

var (
	algRS256 = algInfo{name: "RS256", kty: "RSA", hash: crypto.SHA256}
	algRS384 = algInfo{name: "RS384", kty: "RSA", hash: crypto.SHA384}
	algRS512 = algInfo{name: "RS512", kty: "RSA", hash: crypto.SHA512}
	algPS256 = algInfo{name: "PS256", kty: "RSA", pss: true, hash: crypto.SHA256}
	algPS384 = algInfo{name: "PS384", kty: "RSA", pss: true, hash: crypto.SHA384}
	algPS512 = algInfo{name: "PS512", kty: "RSA", pss: true, hash: crypto.SHA512}
	algES256 = algInfo{name: "ES256", kty: "EC", hash: crypto.SHA256, curve: elliptic.P256(), size: 32}
	algES384 = algInfo{name: "ES384", kty: "EC", hash: crypto.SHA384, curve: elliptic.P384(), size: 48}
	algES512 = algInfo{name: "ES512", kty: "EC", hash: crypto.SHA512, curve: elliptic.P521(), size: 66}
	algEdDSA = algInfo{name: "EdDSA", kty: "OKP"}
)

// minRSABits is the smallest RSA modulus a key set may hold (RFC 7518 §3.3,
// NIST SP 800-131A).
const minRSABits = 2048

// A verifyKey is one usable public key from a key set.
type verifyKey struct {
	kid string
	alg string // the key's declared alg, or "" for any algorithm of its type
	kty string
	pub crypto.PublicKey
	id  keyID
}

// A keyID identifies a key by what it verifies: the SHA-256 of its kid, its
// declared alg and its public key in PKIX DER. Two fetches of the same key
// set give equal IDs, however the JWKS document was serialised, so a
// refresh keeps the verified-token cache of every key it did not change.
type keyID [sha256.Size]byte

func newKeyID(kid, alg string, pub crypto.PublicKey) (keyID, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return keyID{}, err
	}
	h := sha256.New()
	// Lengths first, so no two (kid, alg) pairs hash alike.
	var n [16]byte
	binary.BigEndian.PutUint64(n[:8], uint64(len(kid)))
	binary.BigEndian.PutUint64(n[8:], uint64(len(alg)))
	h.Write(n[:])
	h.Write([]byte(kid))
	h.Write([]byte(alg))
	h.Write(der)
	var id keyID
	h.Sum(id[:0])
	return id, nil
}

// fits reports whether k may verify a token signed with a.
func (k *verifyKey) fits(a *algInfo) bool {
	if k.alg != "" && k.alg != a.name {
		return false
	}
	switch pub := k.pub.(type) {
	case *rsa.PublicKey:
		return a.kty == "RSA"
	case *ecdsa.PublicKey:
		return a.kty == "EC" && pub.Curve == a.curve
	case ed25519.PublicKey:
		return a.kty == "OKP"
	}
	return false
}

// verify checks sig over the signing input with k under a. It is the raw
// cryptographic step; every structural check happened before.
func (k *verifyKey) verify(a *algInfo, input, sig []byte) bool {
	if a.kty == "OKP" {
		pub, ok := k.pub.(ed25519.PublicKey)
		return ok && len(sig) == ed25519.SignatureSize && ed25519.Verify(pub, input, sig)
	}
	var digestBuf [64]byte
	digest := hashInto(digestBuf[:0], a.hash, input)
	switch pub := k.pub.(type) {
	case *rsa.PublicKey:
		if len(sig) != pub.Size() {
			return false
		}
		if a.pss {
			return rsa.VerifyPSS(pub, a.hash, digest, sig, &pssOptions) == nil
		}
		return rsa.VerifyPKCS1v15(pub, a.hash, digest, sig) == nil
	case *ecdsa.PublicKey:
		// JWS carries r||s, fixed width (RFC 7518 §3.4); any other length is
		// malformed, not merely wrong.
		if len(sig) != 2*a.size {
			return false
		}
		var der [2*66 + 16]byte
		return ecdsa.VerifyASN1(pub, digest, appendECDSADER(der[:0], sig[:a.size], sig[a.size:]))
	}
	return false
}

// pssOptions: RFC 7518 §3.5 fixes the salt length to the hash size.
var pssOptions = rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash}

func hashInto(dst []byte, h crypto.Hash, input []byte) []byte {
	switch h {
	case crypto.SHA256:
		s := sha256.Sum256(input)
		return append(dst, s[:]...)
	case crypto.SHA384:
		s := sha512.Sum384(input)
		return append(dst, s[:]...)
	case crypto.SHA512:
		s := sha512.Sum512(input)
		return append(dst, s[:]...)
	}
	var hh hash.Hash = h.New()
	hh.Write(input)
	return hh.Sum(dst)
}

// appendECDSADER encodes r and s (big-endian, fixed width) as the ASN.1
// SEQUENCE of two INTEGERs that crypto/ecdsa verifies, without allocating.
// A zero r or s stays a zero INTEGER, which ecdsa refuses as it must
// (CVE-2022-21449, "psychic signatures").
func appendECDSADER(dst, r, s []byte) []byte {
	r, rpad := derInt(r)
	s, spad := derInt(s)
	rl, sl := len(r)+rpad, len(s)+spad
	body := 2 + rl + 2 + sl
	dst = append(dst, 0x30)
	if body > 127 {
		dst = append(dst, 0x81)
	}
	dst = append(dst, byte(body), 0x02, byte(rl))
	if rpad == 1 {
		dst = append(dst, 0)
	}
	dst = append(dst, r...)
	dst = append(dst, 0x02, byte(sl))
	if spad == 1 {
		dst = append(dst, 0)
	}
	return append(dst, s...)
}

// derInt trims leading zeros and reports whether a zero byte must precede
// the rest to keep the INTEGER positive.
func derInt(b []byte) ([]byte, int) {
	for len(b) > 1 && b[0] == 0 {
		b = b[1:]
	}
	if b[0]&0x80 != 0 {
		return b, 1
	}
	return b, 0
}

// A keySet is an immutable snapshot of an issuer's usable keys.
type keySet struct {
	keys  []*verifyKey
	byKID map[string][]*verifyKey
}

// contains reports whether the set still holds k: the same key material
// under the same kid and declared alg, from this fetch or a later one. A
// key that was removed, or whose kid now names other material, is not.
func (s *keySet) contains(k *verifyKey) bool {
	if s == nil {
		return false
	}
	cands := s.keys
	if k.kid != "" {
		cands = s.byKID[k.kid]
	}
	for _, c := range cands {
		if c == k || c.id == k.id {
			return true
		}
	}
	return false
}

// A droppedKey is a key the set refused, and why; logged once per kid.
type droppedKey struct {
	kid    string
	reason string
}

// maxKeys bounds how many keys one set may hold; real issuers publish a
// handful.
const maxKeys = 100

// parseKeySet parses a JWKS document. Keys auth cannot or must not use are
// dropped and reported: symmetric keys, encryption keys, RSA under 2048
// bits, RSA keys with the ROCA fingerprint, unknown curves. A set with no
// usable key is an error.
func parseKeySet(data []byte) (*keySet, []droppedKey, error) {
	var doc struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, nil, fmt.Errorf("key set is not a JWKS document: %w", err)
	}
	if doc.Keys == nil {
		return nil, nil, errors.New(`key set has no "keys" member`)
	}
	if len(doc.Keys) > maxKeys {
		return nil, nil, fmt.Errorf("key set has %d keys, more than %d", len(doc.Keys), maxKeys)
	}
	set := &keySet{byKID: make(map[string][]*verifyKey, len(doc.Keys))}
	var dropped []droppedKey
	for _, raw := range doc.Keys {
		k, kid, reason := parseKey(raw)
		if k == nil {
			dropped = append(dropped, droppedKey{kid: kid, reason: reason})
			continue
		}
		set.keys = append(set.keys, k)
		if k.kid != "" {
			set.byKID[k.kid] = append(set.byKID[k.kid], k)
		}
	}
	if len(set.keys) == 0 {
		return nil, dropped, errors.New("key set has no usable signing key")
	}
	return set, dropped, nil
}

// parseKey turns one JWK into a verifyKey, or says why it is unusable.
func parseKey(raw json.RawMessage) (*verifyKey, string, string) {
	var meta struct {
		Kty    string   `json:"kty"`
		Kid    string   `json:"kid"`
		Alg    string   `json:"alg"`
		Use    string   `json:"use"`
		KeyOps []string `json:"key_ops"`
		D      *string  `json:"d"`
	}
	if err := json.Unmarshal(raw, &meta); err != nil {
		return nil, "", "not a JSON object with string members"
	}
	kid := meta.Kid
	switch {
	case meta.Kty == "oct":
		return nil, kid, "symmetric key (never used against a key set)"
	case meta.D != nil:
		return nil, kid, "private key material published in the key set"
	case meta.Use != "" && meta.Use != "sig":
		return nil, kid, "use is " + meta.Use + ", not sig"
	case meta.KeyOps != nil && !slices.Contains(meta.KeyOps, "verify"):
		return nil, kid, "key_ops does not include verify"
	}
	var a *algInfo
	if meta.Alg != "" {
		if a = lookupAlg(meta.Alg); a == nil {
			return nil, kid, "unsupported alg " + meta.Alg
		}
	}
	key, err := jwk.ParseKey(raw)
	if err != nil {
		return nil, kid, "unparsable: " + err.Error()
	}
	var pub any
	if err := jwk.Export(key, &pub); err != nil {
		return nil, kid, "unexportable: " + err.Error()
	}
	k := &verifyKey{kid: kid, alg: meta.Alg, kty: meta.Kty}
	switch p := pub.(type) {
	case *rsa.PublicKey:
		if p.N.BitLen() < minRSABits {
			return nil, kid, fmt.Sprintf("RSA key of %d bits, under %d", p.N.BitLen(), minRSABits)
		}
		if p.E < 3 || p.E%2 == 0 {
			return nil, kid, "RSA public exponent is not an odd number ≥ 3"
		}
		if hasROCAFingerprint(p.N) {
			return nil, kid, "RSA key with the ROCA fingerprint (CVE-2017-15361): its private key can be computed from it"
		}
		k.pub = p
	case *ecdsa.PublicKey:
		switch p.Curve {
		case elliptic.P256(), elliptic.P384(), elliptic.P521():
		default:
			return nil, kid, "unsupported curve"
		}
		k.pub = p
	case ed25519.PublicKey:
		k.pub = p
	default:
		return nil, kid, fmt.Sprintf("unsupported key type %s", meta.Kty)
	}
	if a != nil && !k.fits(a) {
		return nil, kid, "alg " + meta.Alg + " does not match the key's type or curve"
	}
	if k.id, err = newKeyID(kid, meta.Alg, k.pub); err != nil {
		return nil, kid, "unencodable: " + err.Error()
	}
	return k, kid, ""
}
