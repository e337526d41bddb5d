package headers

import (
	"strconv"
	"strings"
	"testing"
)

// FuzzParseHost: the Host parser never panics, accepts only what it
// documents, is case-insensitive, and what it accepts survives a round trip
// through its canonical form.
func FuzzParseHost(f *testing.F) {
	for _, s := range []string{
		"api.example.com", "API.example.com.:8443", "eu.tenants.example.com", "192.0.2.10:80",
		"[2001:db8::1]:8080", "[::ffff:192.0.2.1]", "[fe80::1%25eth0]", "127.1", "0x7f.0.0.1",
		"a..b", "host:", "host:65536", "user@host", "xn--pi-dka.example.com", "ápi.example.com",
		"*.example.com", "[", "]", ":", ".", "[::]:1", strings.Repeat("a.", 130),
	} {
		f.Add(s)
	}
	hs := testHosts(f)
	f.Fuzz(func(t *testing.T, s string) {
		h, ok := parseHost(s)
		if allowed := hs.Allowed(s); allowed && !ok {
			t.Fatalf("Allowed(%q) but it does not parse", s)
		}
		if hs.Allowed(s) != hs.Allowed(strings.ToUpper(s)) {
			t.Fatalf("Allowed(%q) differs from its upper-case form", s)
		}
		if !ok {
			return
		}
		if len(s) > maxHostLen {
			t.Fatalf("accepted %d bytes, over the %d bound", len(s), maxHostLen)
		}
		if (h.name == "") == !h.addr.IsValid() || h.addr.Zone() != "" {
			t.Fatalf("parseHost(%q) = %+v: want exactly one of name and a zoneless address", s, h)
		}
		if h.port != -1 && (h.port < 1 || h.port > 65535) {
			t.Fatalf("parseHost(%q) port = %d", s, h.port)
		}
		for i := 0; i < len(h.name); i++ {
			if !isTokenChar(h.name[i]) || strings.IndexByte("!#$%&'*+^`|~", h.name[i]) >= 0 {
				t.Fatalf("parseHost(%q) name %q has byte %q", s, h.name, h.name[i])
			}
		}
		canon := h.name
		switch {
		case h.addr.Is6():
			canon = "[" + h.addr.String() + "]"
		case h.addr.IsValid():
			canon = h.addr.String()
		}
		if h.port > 0 {
			canon += ":" + strconv.Itoa(h.port)
		}
		back, ok := parseHost(canon)
		if !ok || !sameHost(back, h) {
			t.Fatalf("parseHost(%q) = %+v; its canonical form %q parses to %+v, %v", s, h, canon, back, ok)
		}
		if up, ok := parseHost(strings.ToUpper(s)); !ok || !sameHost(up, h) {
			t.Fatalf("parseHost(%q) and its upper-case form differ", s)
		}
	})
}
