package clientip

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
	"testing"
)

// fuzzTrust is small, so that fuzzed entries fall on both sides of it.
var fuzzTrust = []string{"10.0.0.0/8", "2001:db8::/32", "127.0.0.1"}

// splitLines turns one fuzzed string into header lines: "\n" separates
// lines, so the fuzzer explores multi-line headers.
func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// refWalk is the specification of the walk, written plainly: entries are
// walked right to left; an unparsable entry ends it at the last trusted
// address; the first untrusted address is the answer.
func refWalk(r *Resolver, peer netip.Addr, entries []string, parse func(string) (netip.Addr, bool)) netip.Addr {
	last := peer
	for k := len(entries) - 1; k >= 0; k-- {
		a, ok := parse(entries[k])
		if !ok {
			return last
		}
		if !r.isTrusted(a) {
			return a
		}
		last = a
	}
	return last
}

// checkWalkProperty checks what must hold under any bounds: the answer is
// the peer, or entry j for some j such that every entry right of j parsed
// and was trusted (so never garbage, and never left of garbage), within
// maxHops of the right.
func checkWalkProperty(t *testing.T, r *Resolver, peer, got netip.Addr, entries []string, parse func(string) (netip.Addr, bool)) {
	t.Helper()
	if got == peer {
		return
	}
	for k := len(entries) - 1; k >= 0 && len(entries)-k <= r.maxHops; k-- {
		a, ok := parse(entries[k])
		if !ok {
			break
		}
		if a == got {
			return
		}
		if !r.isTrusted(a) {
			break
		}
	}
	t.Fatalf("answer %v is neither the peer %v nor an entry reachable through trusted entries in %q", got, peer, entries)
}

func xffEntries(lines []string) []string {
	var out []string
	for _, l := range lines {
		out = append(out, strings.Split(l, ",")...)
	}
	return out
}

func parseXFFEntry(s string) (netip.Addr, bool) { return parseNode(trimOWS(s), false) }

func FuzzXForwardedFor(f *testing.F) {
	for _, s := range [][2]string{
		{"10.0.0.1:1", "198.51.100.1, 10.0.0.2"},
		{"10.0.0.1:1", "6.6.6.6\n198.51.100.1, 10.0.0.3"},
		{"[2001:db8::1]:443", "[2001:db8::2]:80, 2001:db8::3, ::ffff:10.0.0.1"},
		{"10.0.0.1:1", "198.51.100.1, garbage, 10.0.0.2"},
		{"10.0.0.1:1", "fe80::1%eth0,,10.0.0.9"},
		{"@", "198.51.100.1"},
		{"203.0.113.1:1", "10.0.0.1"},
	} {
		f.Add(s[0], s[1], uint8(3), uint16(20))
	}
	trust := mustPrefixes(f, fuzzTrust...)
	f.Fuzz(func(t *testing.T, remote, header string, hops uint8, bytes uint16) {
		lines := splitLines(header)
		h := http.Header{"X-Forwarded-For": lines}
		peer := ParseRemoteAddr(remote)

		// With bounds out of reach, the walk equals the plain specification.
		open := MustNew(Config{TrustedProxies: trust, MaxHops: 1 << 30, MaxHeaderBytes: 1 << 30})
		got := open.Resolve(remote, h)
		wantAddr := peer
		if peer.IsValid() && open.isTrusted(peer) {
			wantAddr = refWalk(open, peer, xffEntries(lines), parseXFFEntry)
		}
		if got != wantAddr {
			t.Fatalf("Resolve(%q, %q) = %v, specification says %v", remote, lines, got, wantAddr)
		}

		// With fuzzed bounds, the answer is still one the walk may give.
		tight := MustNew(Config{TrustedProxies: trust, MaxHops: int(hops%8) + 1, MaxHeaderBytes: int(bytes%256) + 1})
		got = tight.Resolve(remote, h)
		if !peer.IsValid() || !tight.isTrusted(peer) {
			if got != peer {
				t.Fatalf("untrusted or invalid peer %q: got %v, want the peer %v", remote, got, peer)
			}
			return
		}
		checkWalkProperty(t, tight, peer, got, xffEntries(lines), parseXFFEntry)
	})
}

// fwdElements splits Forwarded lines into elements the simple way; it is
// only used on headers without quotes, where that way is exact.
func fwdElements(lines []string) []string { return xffEntries(lines) }

// addrsIn returns every address some piece of s spells, cut at the
// Forwarded delimiters. An answer outside this set was invented.
func addrsIn(s string) map[netip.Addr]bool {
	out := map[netip.Addr]bool{}
	for _, tok := range strings.FieldsFunc(s, func(r rune) bool { return strings.ContainsRune(",;=\" \t\n", r) }) {
		if a, ok := parseNode(tok, true); ok {
			out[a] = true
		}
	}
	return out
}

func FuzzForwarded(f *testing.F) {
	for _, s := range []string{
		"for=192.0.2.60;proto=http;by=203.0.113.43",
		`For="[2001:db8::1]:4711", for=10.0.0.2`,
		`for="6.6.6.6, for=7.7.7.7", for=198.51.100.1`,
		`for="6.6.6.6, for=10.0.0.2`,
		`for=198.51.100.1, for=10.0.0.3;ext="\", for=10.0.0.2"`,
		"for=unknown, for=_hidden\nfor=10.0.0.1;;",
		`for="[::ffff:10.0.0.1]:_p"`,
	} {
		f.Add("10.0.0.1:1", s, uint8(3), uint16(40))
	}
	trust := mustPrefixes(f, fuzzTrust...)
	f.Fuzz(func(t *testing.T, remote, header string, hops uint8, bytes uint16) {
		lines := splitLines(header)
		h := http.Header{"Forwarded": lines}
		peer := ParseRemoteAddr(remote)
		open := MustNew(Config{Header: HeaderForwarded, TrustedProxies: trust, MaxHops: 1 << 30, MaxHeaderBytes: 1 << 30})
		tight := MustNew(Config{Header: HeaderForwarded, TrustedProxies: trust, MaxHops: int(hops%8) + 1, MaxHeaderBytes: int(bytes%256) + 1})
		for _, r := range []*Resolver{open, tight} {
			got := r.Resolve(remote, h)
			if !peer.IsValid() || !r.isTrusted(peer) {
				if got != peer {
					t.Fatalf("untrusted or invalid peer %q: got %v, want the peer %v", remote, got, peer)
				}
				continue
			}
			if got != peer && !addrsIn(header)[got] {
				t.Fatalf("Resolve(%q, %q) = %v, which the header does not contain", remote, lines, got)
			}
			if !strings.ContainsAny(header, "\"\\") {
				// Without quoting, elements split plainly and the walk can be
				// checked exactly (open bounds) or by its property (tight).
				if r == open {
					if w := refWalk(r, peer, fwdElements(lines), parseForwardedElement); got != w {
						t.Fatalf("Resolve(%q, %q) = %v, specification says %v", remote, lines, got, w)
					}
				} else {
					checkWalkProperty(t, r, peer, got, fwdElements(lines), parseForwardedElement)
				}
			}
		}
	})
}

// refSingle is the specification of a single-address header, written
// plainly and on a different parser (net.ParseIP): from a trusted peer,
// exactly one line that is, blanks trimmed, one address of at most 64
// bytes, with at most an IPv6 zone, which is dropped; else the peer.
func refSingle(peer netip.Addr, lines []string) netip.Addr {
	if len(lines) != 1 {
		return peer
	}
	v := strings.Trim(lines[0], " \t")
	if v == "" || len(v) > maxSingleBytes {
		return peer
	}
	host, zone, hasZone := strings.Cut(v, "%")
	if hasZone && (zone == "" || !strings.Contains(host, ":")) {
		return peer
	}
	ip := net.ParseIP(host)
	if ip == nil {
		return peer
	}
	a, _ := netip.AddrFromSlice(ip)
	return a.Unmap()
}

func FuzzSingleAddressHeader(f *testing.F) {
	for _, s := range []string{
		"198.51.100.1", " 2001:db8::1\t", "::ffff:198.51.100.1", "fe80::1%eth0", "fe80::1%",
		"198.51.100.1:443", "[2001:db8::1]:443", "[2001:db8::1]", "6.6.6.6, 198.51.100.1",
		"6.6.6.6\n198.51.100.1", "010.0.0.1", "1.2.3.4%eth0", "::1.2.3.4", "unknown", "",
	} {
		f.Add(uint8(0), "10.0.0.1:1", s)
	}
	trust := mustPrefixes(f, fuzzTrust...)
	names := []string{HeaderXRealIP, HeaderCFConnectingIP, HeaderTrueClientIP, HeaderFastlyClientIP}
	f.Fuzz(func(t *testing.T, which uint8, remote, header string) {
		name := names[int(which)%len(names)]
		lines := splitLines(header)
		h := http.Header{http.CanonicalHeaderKey(name): lines}
		r := MustNew(Config{Header: name, TrustedProxies: trust})
		peer := ParseRemoteAddr(remote)
		got := r.Resolve(remote, h)
		w := peer
		if peer.IsValid() && r.isTrusted(peer) {
			w = refSingle(peer, lines)
		}
		if got != w {
			t.Fatalf("%s: Resolve(%q, %q) = %v, specification says %v", name, remote, lines, got, w)
		}
		if got.IsValid() && (got.Zone() != "" || got.Is4In6()) {
			t.Fatalf("%s: Resolve(%q, %q) = %v, want unmapped and zoneless", name, remote, lines, got)
		}
	})
}

func FuzzParseRemoteAddr(f *testing.F) {
	for _, s := range []string{"192.0.2.1:1", "[2001:db8::1]:443", "[fe80::1%eth0]:80", "@", "", "[::ffff:1.2.3.4]:0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a := ParseRemoteAddr(s)
		if a.IsValid() && (a.Zone() != "" || a.Is4In6()) {
			t.Fatalf("ParseRemoteAddr(%q) = %v, want unmapped and zoneless", s, a)
		}
	})
}
