package auth_test

import (
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/apishield/apishield/auth"
)

// dpopChecks are the checks a DPoP proof (or the scheme's use) can fail
// with. Anything else from FuzzDPoPProof is a bug: a check nobody
// documented, or a panic turned into an error.
var dpopChecks = map[string]bool{
	"dpop_proof_missing": true, "dpop_proof_multiple": true, "dpop_proof_too_large": true, "dpop_malformed": true,
	"dpop_header_invalid": true, "dpop_typ": true, "dpop_alg_none": true, "dpop_alg_symmetric": true,
	"dpop_alg_not_allowed": true, "dpop_jwk_missing": true, "dpop_jwk_private": true, "dpop_jwk_invalid": true,
	"dpop_jwk_alg_mismatch": true, "dpop_bad_signature": true, "dpop_claims_invalid": true, "dpop_jti": true,
	"dpop_htm": true, "dpop_htu": true, "dpop_iat_invalid": true, "dpop_iat_stale": true, "dpop_iat_future": true,
	"dpop_ath_missing": true, "dpop_ath_mismatch": true, "dpop_jkt_mismatch": true, "dpop_replay": true,
	"dpop_replay_unavailable": true, "dpop_nonce_missing": true, "dpop_nonce_invalid": true, "dpop_nonce_stale": true,
}

// FuzzDPoPProof: the middleware never panics on any DPoP header value,
// refuses everything but the one valid proof with a known check and the
// right outcome, and answers quickly (the header is bounded before it is
// parsed).
func FuzzDPoPProof(f *testing.F) {
	client := newDPoPClient(f)
	bound := boundToken(f, client.jkt)
	valid := client.standardProof(f, "GET", "/v1/items", bound, "")
	s := newDPoPStack(f, func(c *auth.JWTConfig) {
		c.DPoP.Nonce = auth.DPoPNonceConfig{Keys: [][]byte{nonceKey}, Period: noncePeriod}
	})
	withNonce := client.standardProof(f, "GET", "/v1/items", bound, testNonce(nonceKey, nonceBucket(time.Now())))
	parts := strings.Split(withNonce, ".")
	for _, seed := range []string{valid, withNonce, "", ".", "..", "a.b.c", parts[0] + "." + parts[1] + ".",
		parts[0] + ".e30." + parts[2], "eyJ0eXAiOiJkcG9wK2p3dCJ9.e30.AAAA", withNonce + "x", strings.Repeat("A", 5000)} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, proof string) {
		req := httptest.NewRequest("GET", testOrigin+"/v1/items", nil)
		req.Header.Set("Authorization", "DPoP "+bound)
		req.Header.Set("DPoP", proof)
		start := time.Now()
		p, err := s.m.Authenticate(req)
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("took %v", d)
		}
		if err == nil {
			// Only the seeded proof with its nonce can pass, and only once
			// (the replay cache); each seed is run once by the fuzzer.
			if proof != withNonce || p.Binding != auth.BindingDPoP {
				t.Fatalf("accepted %q as %+v", proof, p)
			}
			return
		}
		check := auth.CheckOf(err)
		if !dpopChecks[check] {
			t.Fatalf("unknown check %q (%v) for %q", check, err, proof)
		}
		wantNonce := strings.HasPrefix(check, "dpop_nonce_")
		if errors.Is(err, auth.ErrUseDPoPNonce) != wantNonce || errors.Is(err, auth.ErrInvalidDPoPProof) == wantNonce {
			t.Fatalf("check %q with outcome %v", check, err)
		}
	})
}
