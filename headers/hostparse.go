package headers

import (
	"net/netip"

	"github.com/apishield/apishield/internal/hostname"
)

// maxHostLen bounds a Host value before it is parsed: a 253-byte DNS name,
// its trailing dot and ":65535", with room to spare. A longer one is
// malformed, whatever it holds.
const maxHostLen = 300

// host is a parsed Host value (RFC 9110 §7.2: uri-host [ ":" port ]).
// Exactly one of name and addr is set.
type host struct {
	name string     // a DNS name as sent, trailing dot removed; compare with equalFold
	addr netip.Addr // an IPv4 or (bracketed) IPv6 literal, without zone
	port int        // -1 when the value names no port (or an empty one)
}

// parseHost parses a Host header value or a URI's authority host. It
// accepts a DNS name (letters, digits, '-', '_' in labels of 1 to 63
// bytes, at most 253 bytes, one trailing dot folded away), a dotted-quad
// IPv4 address, or an IPv6 address in brackets without a zone, each with an
// optional port of 1 to 65535. It refuses user info, percent-encoding,
// non-ASCII, the ambiguous numeric forms of IPv4 ("127.1", "0x7f.0.0.1",
// "010.0.0.1") and anything else. It does not allocate.
func parseHost(s string) (host, bool) {
	h := host{port: -1}
	if s == "" || len(s) > maxHostLen {
		return h, false
	}
	hostPart, rest := s, ""
	if s[0] == '[' {
		end := indexByte(s, ']')
		if end < 0 {
			return h, false
		}
		a, err := netip.ParseAddr(s[1:end])
		if err != nil || !a.Is6() || a.Zone() != "" {
			return h, false
		}
		h.addr = a
		rest = s[end+1:]
		if rest != "" && rest[0] != ':' {
			return h, false
		}
	} else {
		if i := indexByte(s, ':'); i >= 0 {
			hostPart, rest = s[:i], s[i:]
		}
		if !parseName(&h, hostPart) {
			return h, false
		}
	}
	if rest != "" { // ":" port
		p, ok := parsePort(rest[1:])
		if !ok {
			return h, false
		}
		h.port = p
	}
	return h, true
}

// parseName sets h.name or h.addr from a host without brackets or port.
func parseName(h *host, s string) bool {
	if n := len(s); n > 1 && s[n-1] == '.' {
		s = s[:n-1]
	}
	if !hostname.Valid(s, true) {
		return false
	}
	// A name whose last label is all digits is no DNS name: it is an IPv4
	// address, and only the dotted-quad form is one.
	if isDigits(lastLabel(s)) {
		a, err := netip.ParseAddr(s)
		if err != nil || !a.Is4() {
			return false
		}
		h.addr = a
		return true
	}
	h.name = s
	return true
}

// parsePort parses 0 to 5 decimal digits; empty means no port (RFC 3986
// allows an empty port, and normalisation drops it).
func parsePort(s string) (int, bool) {
	if s == "" {
		return -1, true
	}
	if len(s) > 5 {
		return 0, false
	}
	p := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		p = p*10 + int(c-'0')
	}
	if p == 0 || p > 65535 {
		return 0, false
	}
	return p, true
}

// sameHost reports whether a and b name the same host and port.
func sameHost(a, b host) bool {
	return a.port == b.port && a.addr == b.addr && equalFold(a.name, b.name)
}

// equalFold is strings.EqualFold for ASCII, which is all a parsed name holds.
func equalFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		if lower(a[i]) != lower(b[i]) {
			return false
		}
	}
	return true
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

func indexByte(s string, c byte) int {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return i
		}
	}
	return -1
}

func lastLabel(s string) string {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == '.' {
			return s[i+1:]
		}
	}
	return s
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
