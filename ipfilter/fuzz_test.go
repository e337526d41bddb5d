package ipfilter

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
)

// refDecide is the specification of a decision, written plainly over the
// configuration strings: deny wins; without an allow-list the rest is
// allowed; with one only what it contains; an unknown client only when
// there is no allow-list.
func refDecide(allow, deny []string, a netip.Addr) bool {
	contains := func(list []string) bool {
		for _, s := range list {
			p, err := netip.ParsePrefix(s)
			if err != nil {
				q := netip.MustParseAddr(s)
				p = netip.PrefixFrom(q, q.BitLen())
			}
			if p.Contains(a) {
				return true
			}
		}
		return false
	}
	if !a.IsValid() {
		return len(allow) == 0
	}
	if contains(deny) {
		return false
	}
	return len(allow) == 0 || contains(allow)
}

// FuzzCheck sends attacker-controlled peers and forwarding headers through
// Check and compares the decision with the specification, for every
// header the resolver can read.
func FuzzCheck(f *testing.F) {
	for _, s := range [][2]string{
		{"172.16.0.1:1", "10.1.2.3"},
		{"172.16.0.1:1", "203.0.113.9, 10.1.2.3"},
		{"172.16.0.1:1", "10.1.2.3\n10.66.0.1"},
		{"172.16.0.1:1", "for=10.1.2.3"},
		{"[::ffff:172.16.0.1]:1", "::ffff:10.1.2.3"},
		{"203.0.113.9:1", "10.1.2.3"},
		{"@", "10.1.2.3"},
		{"[fe80::1%eth0]:1", "2001:db8:1::1%x"},
	} {
		f.Add(uint8(0), s[0], s[1])
	}
	allow := []string{"10.0.0.0/8", "2001:db8:1::/48", "192.0.2.1", "fe80::/10"}
	deny := []string{"10.66.0.0/16", "2001:db8:1:66::/64"}
	headers := []string{"X-Forwarded-For", "Forwarded", "X-Real-IP", "CF-Connecting-IP", "True-Client-IP", "Fastly-Client-IP"}
	filters := make([][2]*Filter, len(headers))
	for i, h := range headers {
		base := Config{Deny: deny, TrustedProxies: prefixes("172.16.0.0/12"), Header: h}
		withAllow := base
		withAllow.Allow = allow
		filters[i] = [2]*Filter{MustNew(base), MustNew(withAllow)}
	}
	f.Fuzz(func(t *testing.T, which uint8, peer, header string) {
		i := int(which) % len(headers)
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.RemoteAddr = peer
		if header != "" {
			r.Header[http.CanonicalHeaderKey(headers[i])] = strings.Split(header, "\n")
		}
		for k, fl := range filters[i] {
			var al []string
			if k == 1 {
				al = allow
			}
			a := fl.ClientIP(r)
			if a.IsValid() && (a.Is4In6() || a.Zone() != "") {
				t.Fatalf("ClientIP = %v, want unmapped and zoneless", a)
			}
			err := fl.Check(r)
			if want := refDecide(al, deny, a); (err == nil) != want {
				t.Fatalf("%s %q from %q (client %v, allow-list %v): Check = %v, specification allows: %v", headers[i], header, peer, a, k == 1, err, want)
			}
			if err != nil && !errors.Is(err, ErrNotAllowed) {
				t.Fatalf("Check = %v, want one matching ErrNotAllowed", err)
			}
		}
	})
}
