package auth

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"math/big"
	"sync"
)

// maxProofKeys bounds the cache of parsed proof keys. A client keeps its
// DPoP key for many requests, so a small cache spares most of them the
// parsing, the curve check and the thumbprint.
const maxProofKeys = 1024

// A proofKeyCache maps the exact bytes of a proof's jwk header to the key
// and thumbprint they parse to. Parsing is a pure function of those bytes,
// so a hit is the same answer; only keys that parsed are kept, and when the
// cache is full arbitrary entries are dropped (map order is random).
type proofKeyCache struct {
	mu sync.RWMutex
	m  map[string]proofKeyEntry
}

type proofKeyEntry struct {
	key *verifyKey
	jkt string
}

func (c *proofKeyCache) get(jwk []byte) (*verifyKey, string, error) {
	c.mu.RLock()
	e, ok := c.m[stringOf(jwk)]
	c.mu.RUnlock()
	if ok {
		return e.key, e.jkt, nil
	}
	key, jkt, err := parseProofKey(jwk)
	if err != nil {
		return nil, "", err
	}
	c.mu.Lock()
	if c.m == nil {
		c.m = make(map[string]proofKeyEntry)
	}
	if len(c.m) >= maxProofKeys {
		for k := range c.m {
			if len(c.m) <= maxProofKeys-maxProofKeys/8 {
				break
			}
			delete(c.m, k)
		}
	}
	c.m[string(jwk)] = proofKeyEntry{key: key, jkt: jkt}
	c.mu.Unlock()
	return key, jkt, nil
}

// A proofJWK holds the members of a proof's jwk header that auth reads.
type proofJWK struct {
	kty, crv, x, y, n, e string
}

// errProofJWKInvalid refuses a proof's jwk that is not one JSON object of
// unique members.
var errProofJWKInvalid = proofErr("dpop_jwk_invalid")

// parseProofKey turns the jwk header of a proof into a public key and its
// RFC 7638 thumbprint (base64url of the SHA-256 of the required members in
// lexicographic order, no whitespace). The key must be public only: a
// private member (d, p, q, dp, dq, qi, oth, or k of a symmetric key) is
// refused rather than ignored, since a client that sends its private key
// has lost it. EC keys must be on P-256, P-384 or P-521, with coordinates of
// the curve's exact size and on the curve; OKP keys Ed25519; RSA keys 2048
// to 4096 bits without the ROCA fingerprint. The members are decoded as
// strict base64url, so each key has one spelling and one thumbprint.
func parseProofKey(data []byte) (*verifyKey, string, error) {
	var k proofJWK
	err := forEachUniqueMember(data, errProofJWKInvalid, errProofJWKInvalid, func(key string, v []byte) error {
		var dst *string
		switch key {
		case "d", "p", "q", "dp", "dq", "qi", "oth", "k":
			return proofErr("dpop_jwk_private")
		case "kty":
			dst = &k.kty
		case "crv":
			dst = &k.crv
		case "x":
			dst = &k.x
		case "y":
			dst = &k.y
		case "n":
			dst = &k.n
		case "e":
			dst = &k.e
		default:
			return nil // alg, use, kid, key_ops…: not part of the key
		}
		s, ok := jsonString(v)
		if !ok {
			return proofErr("dpop_jwk_invalid")
		}
		*dst = s
		return nil
	})
	if err != nil {
		if err == errNotObject {
			return nil, "", proofErr("dpop_jwk_invalid")
		}
		return nil, "", err
	}
	var pub any
	var canon []byte
	switch k.kty {
	case "EC":
		var curve elliptic.Curve
		var size int
		switch k.crv {
		case "P-256":
			curve, size = elliptic.P256(), 32
		case "P-384":
			curve, size = elliptic.P384(), 48
		case "P-521":
			curve, size = elliptic.P521(), 66
		default:
			return nil, "", proofErr("dpop_jwk_invalid")
		}
		var pt [1 + 2*66]byte
		pt[0] = 4
		if !decodeFixed(pt[1:1+size], k.x) || !decodeFixed(pt[1+size:1+2*size], k.y) {
			return nil, "", proofErr("dpop_jwk_invalid")
		}
		ec, err := ecdsa.ParseUncompressedPublicKey(curve, pt[:1+2*size])
		if err != nil {
			return nil, "", proofErr("dpop_jwk_invalid")
		}
		pub = ec
		canon = append(canon, `{"crv":"`+k.crv+`","kty":"EC","x":"`+k.x+`","y":"`+k.y+`"}`...)
	case "OKP":
		var x [ed25519.PublicKeySize]byte
		if k.crv != "Ed25519" || !decodeFixed(x[:], k.x) {
			return nil, "", proofErr("dpop_jwk_invalid")
		}
		pub = ed25519.PublicKey(x[:])
		canon = append(canon, `{"crv":"Ed25519","kty":"OKP","x":"`+k.x+`"}`...)
	case "RSA":
		if len(k.n) > (maxDPoPRSABits/8)*4/3+4 || len(k.e) > 6 {
			return nil, "", proofErr("dpop_jwk_invalid")
		}
		n, err := b64.DecodeString(k.n)
		if err != nil || len(n) == 0 || n[0] == 0 {
			return nil, "", proofErr("dpop_jwk_invalid")
		}
		e, err := b64.DecodeString(k.e)
		if err != nil || len(e) == 0 || e[0] == 0 || len(e) > 4 {
			return nil, "", proofErr("dpop_jwk_invalid")
		}
		var ev int
		for _, c := range e {
			ev = ev<<8 | int(c)
		}
		nb := new(big.Int).SetBytes(n)
		if bits := nb.BitLen(); bits < minRSABits || bits > maxDPoPRSABits || ev < 3 || ev%2 == 0 || hasROCAFingerprint(nb) {
			return nil, "", proofErr("dpop_jwk_invalid")
		}
		pub = &rsa.PublicKey{N: nb, E: ev}
		canon = append(canon, `{"e":"`+k.e+`","kty":"RSA","n":"`+k.n+`"}`...)
	case "oct":
		return nil, "", proofErr("dpop_jwk_private")
	default:
		return nil, "", proofErr("dpop_jwk_invalid")
	}
	sum := sha256.Sum256(canon)
	return &verifyKey{kty: k.kty, pub: pub}, b64.EncodeToString(sum[:]), nil
}

// decodeFixed decodes strict base64url s into dst, which it must fill
// exactly.
func decodeFixed(dst []byte, s string) bool {
	if b64.DecodedLen(len(s)) != len(dst) {
		return false
	}
	n, err := b64.Decode(dst, bytesOf(s))
	return err == nil && n == len(dst)
}
