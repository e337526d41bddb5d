package auth_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/apishield/apishield/auth"
)

// FuzzParseAuthorization: the header parser never panics, and whatever it
// accepts as a credential is a non-empty token68 that follows the scheme
// after exactly one space: the header is scheme + " " + credential, so one
// credential has one spelling.
func FuzzParseAuthorization(f *testing.F) {
	for _, s := range []string{"Bearer abc.def.ghi", "DPoP abc.def.ghi", "bearer  x", "ApiKey ask_1", "Basic dXNlcjpwYXNz", "Bearer", "Bearer ", "Bearer a b", "Bearer a=", "Bearer =a", "Bearer\tx", "ApiKey\x00x",
		" Bearer x", "Bearer x ", "Bearer \tx", "Bearer\u00a0x", "ApiKey   k"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		kind, cred, ok := auth.ParseAuthorization(h)
		if !ok || kind == 0 {
			if cred != "" {
				t.Fatalf("credential %q returned with kind %d ok %v", cred, kind, ok)
			}
			return
		}
		scheme, rest, found := strings.Cut(h, " ")
		if !found || rest != cred || cred == "" || strings.ContainsAny(cred, " \t\r\n,\"") {
			t.Fatalf("ParseAuthorization(%q) = %q", h, cred)
		}
		if !strings.EqualFold(scheme, "Bearer") && !strings.EqualFold(scheme, "ApiKey") && !strings.EqualFold(scheme, "DPoP") {
			t.Fatalf("ParseAuthorization(%q) = kind %d for scheme %q", h, kind, scheme)
		}
	})
}

// FuzzVerify: Verify never panics on any input, and accepts only the one
// validly signed token (Ed25519 signatures are not malleable, so any other
// accepted string would be a forgery).
func FuzzVerify(f *testing.F) {
	j := newVerifier(f, newJWKSServer(standardSet(f)), func(c *auth.JWTConfig) { c.CacheSize = -1; c.RefetchInterval = time.Hour })
	now := time.Now()
	good := validToken(f, "EdDSA", now)
	f.Add(good)
	f.Add(validToken(f, "ES256", now)[:40])
	f.Add(b64(`{"alg":"none"}`) + "." + b64(`{"iss":"`+testIssuer+`"}`) + ".")
	f.Add(b64(`{"alg":"EdDSA","kid":"EdDSA","crit":["x"]}`) + ".e30.AAAA")
	f.Add(b64(`{"alg":"EdDSA","kid":"EdDSA"}`) + "." + b64(`{"iss":"`+testIssuer+`","aud":["`+testAudience+`"],"exp":1e999}`) + ".AAAA")
	f.Fuzz(func(t *testing.T, tok string) {
		p, err := j.Verify(context.Background(), tok)
		if err == nil && tok != good {
			t.Fatalf("Verify accepted a token it was never given: %q (%+v)", tok, p)
		}
		if err != nil && auth.CheckOf(err) == "" {
			t.Fatalf("error without a check: %v", err)
		}
	})
}
