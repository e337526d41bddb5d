package authtest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	_ "crypto/sha256" // the hashes the algorithms name
	_ "crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"

	"github.com/lestrrat-go/jwx/v3/jwk"
)

// algorithms maps each supported JWS algorithm to its hash (0 for EdDSA,
// which hashes internally).
var algorithms = map[string]crypto.Hash{
	"ES256": crypto.SHA256, "ES384": crypto.SHA384, "ES512": crypto.SHA512,
	"RS256": crypto.SHA256, "RS384": crypto.SHA384, "RS512": crypto.SHA512,
	"PS256": crypto.SHA256, "PS384": crypto.SHA384, "PS512": crypto.SHA512,
	"EdDSA": 0,
}

// A key is one signing key with its published form.
type key struct {
	alg  string
	kid  string
	priv crypto.Signer
	pub  jwk.Key // kid, alg and use set
}

// newKey makes a key for alg: the curve the ES algorithms name, RSA 2048
// for RS and PS, Ed25519 for EdDSA. Its kid is its RFC 7638 thumbprint.
func newKey(alg string) (*key, error) {
	var priv crypto.Signer
	var err error
	switch alg {
	case "ES256":
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case "ES384":
		priv, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	case "ES512":
		priv, err = ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	case "RS256", "RS384", "RS512", "PS256", "PS384", "PS512":
		priv, err = rsa.GenerateKey(rand.Reader, 2048)
	case "EdDSA":
		_, priv, err = ed25519.GenerateKey(rand.Reader)
	default:
		return nil, fmt.Errorf("authtest: unsupported algorithm %q", alg)
	}
	if err != nil {
		return nil, err
	}
	pub, err := jwk.Import(priv.Public())
	if err != nil {
		return nil, err
	}
	tp, err := pub.Thumbprint(crypto.SHA256)
	if err != nil {
		return nil, err
	}
	k := &key{alg: alg, kid: base64.RawURLEncoding.EncodeToString(tp), priv: priv, pub: pub}
	for name, v := range map[string]string{jwk.KeyIDKey: k.kid, jwk.AlgorithmKey: alg, jwk.KeyUsageKey: "sig"} {
		if err := pub.Set(name, v); err != nil {
			return nil, err
		}
	}
	return k, nil
}

// sign returns the JWS signature of input (RFC 7518 §3): ECDSA as the
// fixed-size r||s, RSA PKCS #1 v1.5 or PSS (salt as long as the hash), or
// Ed25519.
func (k *key) sign(input []byte) []byte {
	h := algorithms[k.alg]
	if h == 0 {
		return ed25519.Sign(k.priv.(ed25519.PrivateKey), input)
	}
	d := h.New()
	d.Write(input)
	sum := d.Sum(nil)
	var sig []byte
	var err error
	switch priv := k.priv.(type) {
	case *ecdsa.PrivateKey:
		var r, s *big.Int
		r, s, err = ecdsa.Sign(rand.Reader, priv, sum)
		if err == nil {
			n := (priv.Curve.Params().BitSize + 7) / 8
			sig = make([]byte, 2*n)
			r.FillBytes(sig[:n])
			s.FillBytes(sig[n:])
		}
	case *rsa.PrivateKey:
		if k.alg[0] == 'P' {
			sig, err = rsa.SignPSS(rand.Reader, priv, h, sum, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
		} else {
			sig, err = rsa.SignPKCS1v15(rand.Reader, priv, h, sum)
		}
	}
	if err != nil {
		// Only a failing crypto/rand could get here, and it never fails.
		panic(fmt.Sprintf("authtest: signing with %s: %v", k.alg, err))
	}
	return sig
}

// keySet is the JWKS document publishing keys' public halves.
func keySet(keys []*key) ([]byte, error) {
	pubs := make([]jwk.Key, len(keys))
	for i, k := range keys {
		pubs[i] = k.pub
	}
	return json.Marshal(map[string]any{"keys": pubs})
}
