package auth_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"encoding/base64"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/apishield/apishield/auth"
	"github.com/apishield/apishield/internal/record"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jwt"
)

// benchToken is a realistic access token (the claims a typical IdP sends).
func benchToken(b *testing.B, alg string) string {
	now := time.Now()
	return sign(b, alg, keys(b).private(alg), `{"alg":"`+alg+`","kid":"`+alg+`","typ":"at+jwt"}`,
		claimsJSON(now, `"azp":"app","auth_time":`+itoa(now.Unix())+`,"roles":["admin","user"],"amr":["pwd","mfa"],"acr":"1"`))
}

// rawVerifier returns the floor: the standard library's verification of
// the same token's signature, hashing included, nothing else.
func rawVerifier(b *testing.B, alg, tok string) func() bool {
	i := strings.LastIndexByte(tok, '.')
	input := []byte(tok[:i])
	sig, _ := base64.RawURLEncoding.DecodeString(tok[i+1:])
	pub := keys(b).private(alg).Public()
	switch alg {
	case "EdDSA":
		return func() bool { return ed25519.Verify(pub.(ed25519.PublicKey), input, sig) }
	case "ES256", "ES384", "ES512":
		n := len(sig) / 2
		der := encodeDER(new(big.Int).SetBytes(sig[:n]), new(big.Int).SetBytes(sig[n:]))
		h := hashOf(alg)
		return func() bool { return ecdsa.VerifyASN1(pub.(*ecdsa.PublicKey), digest(h, input), der) }
	}
	h := hashOf(alg)
	if alg[0] == 'P' {
		opts := &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash}
		return func() bool { return rsa.VerifyPSS(pub.(*rsa.PublicKey), h, digest(h, input), sig, opts) == nil }
	}
	return func() bool { return rsa.VerifyPKCS1v15(pub.(*rsa.PublicKey), h, digest(h, input), sig) == nil }
}

// BenchmarkVerify measures, per algorithm and in the same run: the raw
// crypto floor, Verify without the cache, Verify answered from the cache,
// and jwx's own jwt.Parse with the same key set for comparison.
// Budgets: uncached ≤ 1.25× raw and ≤ 60 allocs/op; cached ≤ 2 µs and ≤ 4
// allocs/op.
func BenchmarkVerify(b *testing.B) {
	set := standardSet(b)
	srv := newJWKSServer(set)
	uncached := newVerifier(b, srv, func(c *auth.JWTConfig) { c.CacheSize = -1 })
	cached := newVerifier(b, srv, nil)
	jwxSet, err := jwk.Parse(set)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	for _, alg := range algs {
		tok := benchToken(b, alg)
		raw := rawVerifier(b, alg, tok)
		if !raw() {
			b.Fatalf("%s: raw verification failed", alg)
		}
		b.Run(alg+"/raw", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				raw()
			}
		})
		b.Run(alg+"/uncached", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := uncached.Verify(ctx, tok); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(alg+"/cached", func(b *testing.B) {
			if _, err := cached.Verify(ctx, tok); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := cached.Verify(ctx, tok); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(alg+"/jwx", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := jwt.ParseString(tok, jwt.WithKeySet(jwxSet), jwt.WithIssuer(testIssuer), jwt.WithAudience(testAudience)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkRefuse measures the cost of refusing garbage, which an attacker
// controls: it must stay far below a signature verification.
func BenchmarkRefuse(b *testing.B) {
	j := newVerifier(b, newJWKSServer(standardSet(b)), func(c *auth.JWTConfig) { c.CacheSize = -1 })
	ctx := context.Background()
	for name, tok := range map[string]string{
		"alg_none":    b64(`{"alg":"none"}`) + "." + b64(`{}`) + ".x",
		"bad_char":    "a.b c.d",
		"unknown_kid": sign(b, "ES256", keys(b).attacker, `{"alg":"ES256","kid":"zzz"}`, claimsJSON(time.Now(), "")),
	} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := j.Verify(ctx, tok); err == nil {
					b.Fatal("accepted")
				}
			}
		})
	}
}

func BenchmarkParseAuthorization(b *testing.B) {
	h := "Bearer " + benchToken(b, "ES256")
	b.ReportAllocs()
	for b.Loop() {
		auth.ParseAuthorization(h)
	}
}

// BenchmarkVerifyVsRaw alternates the raw crypto floor and an uncached
// Verify of the same token in one loop and times each call, so that load
// from other processes on a shared machine falls on both alike. It reports
// both per-call times, Verify's overhead, and the ratio the budget bounds
// (≤ 1.25).
func BenchmarkVerifyVsRaw(b *testing.B) {
	uncached := newVerifier(b, newJWKSServer(standardSet(b)), func(c *auth.JWTConfig) { c.CacheSize = -1 })
	ctx := context.Background()
	for _, alg := range algs {
		tok := benchToken(b, alg)
		raw := rawVerifier(b, alg, tok)
		b.Run(alg, func(b *testing.B) {
			var rawNS, verifyNS time.Duration
			for b.Loop() {
				t0 := time.Now()
				raw()
				t1 := time.Now()
				if _, err := uncached.Verify(ctx, tok); err != nil {
					b.Fatal(err)
				}
				verifyNS += time.Since(t1)
				rawNS += t1.Sub(t0)
			}
			n := float64(b.N)
			b.ReportMetric(float64(rawNS)/n, "raw-ns/op")
			b.ReportMetric(float64(verifyNS)/n, "verify-ns/op")
			b.ReportMetric(float64(verifyNS-rawNS)/n, "overhead-ns/op")
			b.ReportMetric(float64(verifyNS)/float64(rawNS), "ratio")
		})
	}
}

// BenchmarkAnonymous is the middleware's path for a request without
// credentials under Config.AllowAnonymous, with the request record
// installed by an outer middleware as in a full stack.
func BenchmarkAnonymous(b *testing.B) {
	a, err := auth.NewAPIKeys(auth.APIKeysConfig{Store: &auth.MemoryStore{}})
	if err != nil {
		b.Fatal(err)
	}
	m, err := auth.New(auth.Config{Authenticators: []auth.Authenticator{a}, AllowAnonymous: true})
	if err != nil {
		b.Fatal(err)
	}
	h := m.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	w, r, rec := record.Install(httptest.NewRecorder(), httptest.NewRequest("GET", "/v1/items", nil))
	b.ReportAllocs()
	for b.Loop() {
		record.ResetDecisions(rec)
		h.ServeHTTP(w, r)
	}
}
