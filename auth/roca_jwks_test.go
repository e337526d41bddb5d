package auth_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"log/slog"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/apishield/apishield/auth"
)

// rocaKey makes a 2048-bit RSA key whose primes have RSALib's structure
// (CVE-2017-15361): p = k·M + (65537^a mod M), M the product of the primes
// up to 167. Its private key is known, so the test can sign with it, as
// anyone who factors a real RSALib key can.
func rocaKey(t *testing.T) *rsa.PrivateKey {
	t.Helper()
	m := big.NewInt(1)
	for p := int64(2); p <= 167; p++ {
		if big.NewInt(p).ProbablyPrime(0) {
			m.Mul(m, big.NewInt(p))
		}
	}
	e := big.NewInt(65537)
	prime := func() *big.Int {
		for {
			a, _ := rand.Int(rand.Reader, m)
			base := new(big.Int).Exp(e, a, m)
			// k·M lands in [2^1023·1.5, 2^1024), so p·q has 2048 bits.
			lo := new(big.Int).Div(new(big.Int).Lsh(big.NewInt(3), 1022), m)
			span := new(big.Int).Sub(new(big.Int).Div(new(big.Int).Lsh(big.NewInt(1), 1024), m), lo)
			k, _ := rand.Int(rand.Reader, span)
			k.Add(k, lo)
			for range 2000 {
				p := new(big.Int).Add(new(big.Int).Mul(k, m), base)
				pm1 := new(big.Int).Sub(p, big.NewInt(1))
				if p.BitLen() == 1024 && p.ProbablyPrime(20) && new(big.Int).GCD(nil, nil, pm1, e).Int64() == 1 {
					return p
				}
				k.Add(k, big.NewInt(1))
			}
		}
	}
	p, q := prime(), prime()
	n := new(big.Int).Mul(p, q)
	phi := new(big.Int).Mul(new(big.Int).Sub(p, big.NewInt(1)), new(big.Int).Sub(q, big.NewInt(1)))
	key := &rsa.PrivateKey{
		PublicKey: rsa.PublicKey{N: n, E: 65537},
		D:         new(big.Int).ModInverse(e, phi),
		Primes:    []*big.Int{p, q},
	}
	key.Precompute()
	if err := key.Validate(); err != nil || n.BitLen() != 2048 {
		t.Fatalf("built an invalid key (%d bits): %v", n.BitLen(), err)
	}
	return key
}

// TestROCAKeyDropped: a key set's RSA key with the ROCA fingerprint is
// dropped at load, like an undersized one, and logged: a token it signs
// is refused, while the set's other keys keep working. A set of only such
// keys is no key set.
func TestROCAKeyDropped(t *testing.T) {
	t.Parallel()
	roca := rocaKey(t)
	r := keys(t)
	var logs bytes.Buffer
	srv := newJWKSServer(jwksJSON(jwkJSON(t, roca.Public(), "roca", "RS256"), jwkJSON(t, r.ec256.Public(), "ES256", "ES256")))
	j := newVerifier(t, srv, func(c *auth.JWTConfig) {
		c.Logger = slog.New(slog.NewTextHandler(&logs, nil))
		c.RefetchInterval = time.Hour
	})
	now := time.Now()
	tok := sign(t, "RS256", roca, `{"alg":"RS256","kid":"roca"}`, claimsJSON(now, ""))
	if _, err := j.Verify(context.Background(), tok); auth.CheckOf(err) != "unknown_kid" {
		t.Errorf("token signed by the ROCA key: got %v, want refused as unknown_kid", err)
	}
	if _, err := j.Verify(context.Background(), validToken(t, "ES256", now)); err != nil {
		t.Errorf("token of the set's other key: %v", err)
	}
	if !strings.Contains(logs.String(), "kid=roca") || !strings.Contains(logs.String(), "CVE-2017-15361") {
		t.Errorf("the dropped key was not logged: %s", logs.String())
	}

	_, err := auth.NewJWT(context.Background(), auth.JWTConfig{
		Issuer: testIssuer, Audience: []string{testAudience}, Logger: discardLogger(),
		JWKSURL: serve(t, newJWKSServer(jwksJSON(jwkJSON(t, roca.Public(), "roca", "RS256")))) + "/jwks",
	})
	if err == nil || !strings.Contains(err.Error(), "no usable signing key") {
		t.Errorf("a set of only a ROCA key: NewJWT = %v, want no usable signing key", err)
	}
}
