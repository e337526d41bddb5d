package auth_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/sha256"
	"encoding/base64"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/apishield/apishield/auth"
)

// BenchmarkDPoP measures a request with a DPoP-bound token and its proof
// through the middleware, beside its floor in the same run: the raw ECDSA
// verification of the proof's signature plus the token's verification
// ((*JWT).Verify of a token of the same size without cnf). "cached" uses
// the verified-token cache on both sides, "uncached" disables it (and the
// floor verifies the token's signature raw). Budget: ≤ 1.2× the floor, as
// the ratio sub-benchmarks report it (x-floor).
//
// The replay cache is one that never sees a replay, so that one proof can
// be sent on every iteration: the cost of a real cache (a map, or a Redis
// round trip) is measured by the cache's own benchmarks.
func BenchmarkDPoP(b *testing.B) {
	client := newDPoPClient(b)
	bound := boundToken(b, client.jkt)
	// Same length as bound: "cnf" renamed, so Verify takes it as unbound.
	unbound := sign(b, "ES256", keys(b).ec256, `{"alg":"ES256","kid":"ES256","typ":"at+jwt"}`,
		strings.Replace(claimsFromToken(bound), `"cnf"`, `"cnx"`, 1))
	proof := client.standardProof(b, "GET", "/v1/items", bound, "")
	proofVerify := rawProofVerifier(client, proof)
	tokenVerify := rawVerifier(b, "ES256", unbound)
	for _, cached := range []bool{true, false} {
		name := "cached"
		if !cached {
			name = "uncached"
		}
		j := newVerifier(b, newJWKSServer(standardSet(b)), func(c *auth.JWTConfig) {
			c.DPoP = auth.DPoPConfig{Mode: auth.DPoPAllowed, PublicOrigin: testOrigin, ReplayCache: alwaysFresh{}}
			if !cached {
				c.CacheSize = -1
			}
		})
		m := auth.MustNew(auth.Config{Authenticators: []auth.Authenticator{j}, Logger: discardLogger()})
		h := m.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
		r := httptest.NewRequest("GET", testOrigin+"/v1/items", nil)
		r.Header.Set("Authorization", "DPoP "+bound)
		r.Header.Set("DPoP", proof)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != 200 {
			b.Fatalf("got %d %s", w.Code, w.Body)
		}
		b.Run(name+"/middleware", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				h.ServeHTTP(w, r)
			}
		})
		floor := func() {
			if !proofVerify() {
				b.Fatal("proof did not verify")
			}
			if cached {
				if _, err := j.Verify(context.Background(), unbound); err != nil {
					b.Fatal(err)
				}
			} else if !tokenVerify() {
				b.Fatal("token did not verify")
			}
		}
		b.Run(name+"/floor", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				floor()
			}
		})
		// The machine is shared, so the two above may run under different
		// loads: this one alternates them request by request and reports
		// the ratio of their total times, which the budget is about.
		b.Run(name+"/ratio", func(b *testing.B) {
			var mw, fl time.Duration
			for b.Loop() {
				t0 := time.Now()
				h.ServeHTTP(w, r)
				t1 := time.Now()
				floor()
				mw, fl = mw+t1.Sub(t0), fl+time.Since(t1)
			}
			b.ReportMetric(float64(mw)/float64(fl), "x-floor")
		})
	}
}

// claimsFromToken returns the claims JSON of a compact token.
func claimsFromToken(tok string) string {
	parts := strings.Split(tok, ".")
	c, _ := base64.RawURLEncoding.DecodeString(parts[1])
	return string(c)
}

// rawProofVerifier is the floor's proof check: the standard library's
// ECDSA verification of the proof's signature, hashing included.
func rawProofVerifier(c *dpopClient, proof string) func() bool {
	i := strings.LastIndexByte(proof, '.')
	input := []byte(proof[:i])
	sig, _ := base64.RawURLEncoding.DecodeString(proof[i+1:])
	der := encodeDER(new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:]))
	pub := &c.priv.PublicKey
	return func() bool {
		d := sha256.Sum256(input)
		return ecdsa.VerifyASN1(pub, d[:], der)
	}
}
