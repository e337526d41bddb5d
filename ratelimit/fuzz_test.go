package ratelimit

import (
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
)

// FuzzByIP feeds attacker-controlled forwarding headers through ByIP: it
// never fails or panics, always yields an address, a prefix or the unknown
// bucket, and never believes a header from an untrusted peer.
func FuzzByIP(f *testing.F) {
	for _, s := range []string{"203.0.113.9", "1.2.3.4, 10.0.0.1", `for="[2001:db8::1]:80";proto=https`, "unknown", "_hidden", ",,,", "::ffff:1.2.3.4", `for=""`, strings.Repeat("1.1.1.1,", 100)} {
		f.Add(s, true, false)
		f.Add(s, false, true)
	}
	trusted, _ := ParseTrustedProxies([]string{"10.0.0.0/8"})
	xff, _ := ByIP(IPConfig{TrustedProxies: trusted})
	fwd, _ := ByIP(IPConfig{TrustedProxies: trusted, Header: "Forwarded"})
	f.Fuzz(func(t *testing.T, value string, fromProxy, forwarded bool) {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = "198.51.100.4:1000"
		if fromProxy {
			r.RemoteAddr = "10.9.9.9:1000"
		}
		fn := xff
		r.Header.Set("X-Forwarded-For", value)
		if forwarded {
			fn = fwd
			r.Header.Set("Forwarded", value)
		}
		b, err := fn(nil, r)
		if err != nil {
			t.Fatalf("ByIP failed: %v", err)
		}
		k, ok := strings.CutPrefix(string(b), "ip:")
		if !ok {
			t.Fatalf("key %q lacks its kind", b)
		}
		if !fromProxy && k != "198.51.100.4" {
			t.Fatalf("untrusted peer's header believed: key %q", k)
		}
		if _, err := netip.ParseAddr(k); err != nil {
			if _, err := netip.ParsePrefix(k); err != nil && k != "unknown" {
				t.Fatalf("key %q is neither an address, a prefix nor unknown", k)
			}
		}
	})
}
