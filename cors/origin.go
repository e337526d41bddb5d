package cors

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/apishield/apishield/internal/hostname"
)

// maxOriginLen bounds an Origin header before it is parsed: a scheme, a
// 253-byte host name or a bracketed IPv6 address, and a port fit in it.
const maxOriginLen = 512

// An origin is a parsed tuple origin: scheme, host (an IPv6 address keeps
// its brackets) and port ("" for the scheme's default port).
type origin struct {
	scheme, host, port string
}

// parseOrigin parses an Origin header value as browsers serialize it, and
// nothing else: scheme "://" host [":" port], lower-case, ASCII (an IDN in
// its punycode form), an IPv4 address in dotted-decimal and an IPv6 address
// in its canonical form, no default port, no trailing dot, no user info,
// path, query or fragment. "null" and every other spelling are refused: a
// browser never sends them, so they can only be look-alikes.
func parseOrigin(s string) (origin, bool) {
	if len(s) == 0 || len(s) > maxOriginLen {
		return origin{}, false
	}
	i := strings.Index(s, "://")
	if i <= 0 || !validScheme(s[:i]) {
		return origin{}, false
	}
	o := origin{scheme: s[:i]}
	rest := s[i+3:]
	var port string
	hasPort := false
	if strings.HasPrefix(rest, "[") {
		j := strings.IndexByte(rest, ']')
		if j < 0 || !validIPv6(rest[1:j]) {
			return origin{}, false
		}
		o.host, rest = rest[:j+1], rest[j+1:]
		if rest != "" {
			if rest[0] != ':' {
				return origin{}, false
			}
			port, hasPort = rest[1:], true
		}
	} else {
		host, p, found := strings.Cut(rest, ":")
		if !validHost(host) {
			return origin{}, false
		}
		o.host, port, hasPort = host, p, found
	}
	if hasPort {
		if !validPort(port) || port == defaultPort(o.scheme) {
			return origin{}, false
		}
		o.port = port
	}
	return o, true
}

// validScheme reports whether s is a lower-case URI scheme (RFC 3986 §3.1).
func validScheme(s string) bool {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// validHost reports whether s is a host name as a browser serializes it:
// lower-case ASCII labels of letters, digits, '-' and '_', each 1 to 63
// bytes, at most 253 bytes in all, no empty label (so no trailing dot). A
// name whose last label is a number is an IPv4 address to a browser, which
// serializes it in dotted-decimal; any other spelling ("0x7f.1", "127.1")
// is refused.
func validHost(s string) bool {
	if !hostname.Valid(s, false) {
		return false
	}
	if endsInNumber(s) {
		a, err := netip.ParseAddr(s)
		return err == nil && a.Is4() && a.String() == s
	}
	return true
}

// endsInNumber reports whether a host's last label is a number as the URL
// standard's host parser sees it (decimal, or hex after "0x"), which makes
// the whole host an IPv4 address to a browser.
func endsInNumber(s string) bool {
	last := s[strings.LastIndexByte(s, '.')+1:]
	if strings.HasPrefix(last, "0x") {
		last = last[2:]
		for i := 0; i < len(last); i++ {
			if c := last[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
				return false
			}
		}
		return true
	}
	for i := 0; i < len(last); i++ {
		if c := last[i]; c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// validIPv6 reports whether s (without brackets) is an IPv6 address in the
// canonical form browsers serialize (RFC 5952), without a zone. An
// IPv4-mapped address is refused: it is an IPv4 address in disguise, the
// classic way around address checks.
func validIPv6(s string) bool {
	if s == "" || len(s) > 45 {
		return false
	}
	a, err := netip.ParseAddr(s)
	return err == nil && a.Is6() && !a.Is4In6() && a.Zone() == "" && a.String() == s
}

// validPort reports whether s is a port 1–65535 in decimal, without
// leading zeros.
func validPort(s string) bool {
	if s == "" || len(s) > 5 || s[0] == '0' {
		return false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return false
		}
		n = n*10 + int(c-'0')
	}
	return n <= 65535
}

// defaultPort is the port a browser leaves out of an origin of scheme.
func defaultPort(scheme string) string {
	switch scheme {
	case "http", "ws":
		return "80"
	case "https", "wss":
		return "443"
	}
	return ""
}

// A configured origin, parsed: an exact origin in its canonical spelling,
// or a wildcard matching one DNS label in front of suffix.
type allowedOrigin struct {
	canonical string // the serialization a browser sends
	wildcard  bool
	scheme    string
	suffix    string // for a wildcard: ".example.com"
	port      string
	prefix    string // for a wildcard: "https://"
	tail      string // for a wildcard: ".example.com:8443"
}

// parseAllowedOrigin parses one entry of AllowedOrigins. It is lenient
// only where the meaning is unambiguous (upper case, a default port) and
// refuses everything else with an error that says what is wrong.
func parseAllowedOrigin(s string) (allowedOrigin, error) {
	bad := func(why string) (allowedOrigin, error) {
		return allowedOrigin{}, fmt.Errorf("%w: AllowedOrigins entry %q: %s", ErrInvalidConfig, s, why)
	}
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return bad("not ASCII; write an internationalized host in its punycode (xn--) form, as browsers send it")
		}
		if s[i] <= ' ' || s[i] == 0x7f {
			return bad("contains a blank or control character")
		}
	}
	ls := strings.ToLower(s)
	if ls == "null" {
		return bad(`"null" is the origin of every sandboxed frame, file and data URL, so it is never allowed`)
	}
	i := strings.Index(ls, "://")
	if i <= 0 || !validScheme(ls[:i]) {
		return bad(`want scheme://host[:port], such as "https://app.example.com"`)
	}
	scheme, rest := ls[:i], ls[i+3:]
	if strings.ContainsAny(rest, "/?#") {
		return bad("an origin has no path, query or fragment (not even a trailing slash)")
	}
	if strings.Contains(rest, "@") {
		return bad("an origin has no user info")
	}
	host, port := rest, ""
	if strings.HasPrefix(rest, "[") {
		j := strings.IndexByte(rest, ']')
		if j < 0 {
			return bad("unterminated IPv6 address")
		}
		a, err := netip.ParseAddr(rest[1:j])
		if err != nil || !a.Is6() || a.Zone() != "" {
			return bad("not an IPv6 address")
		}
		if a.Is4In6() {
			return bad("an IPv4-mapped IPv6 address; list the IPv4 address")
		}
		host, port = "["+a.String()+"]", rest[j+1:]
		if port != "" {
			if port[0] != ':' {
				return bad("junk after the IPv6 address")
			}
			port = port[1:]
			if port == "" {
				return bad("empty port")
			}
		}
	} else if h, p, found := strings.Cut(rest, ":"); found {
		host, port = h, p
		if port == "" {
			return bad("empty port")
		}
	}
	if port != "" && !validPort(port) {
		return bad("the port must be 1 to 65535, without leading zeros")
	}
	if port == defaultPort(scheme) {
		port = "" // browsers leave the default port out
	}
	ao := allowedOrigin{scheme: scheme, port: port}
	if strings.HasSuffix(host, ".") {
		return bad("a trailing dot: browsers send the name without it")
	}
	if rest, ok := strings.CutPrefix(host, "*."); ok {
		if strings.Contains(rest, "*") {
			return bad("only the whole leftmost label may be a wildcard")
		}
		if !validHost(rest) || endsInNumber(rest) {
			return bad("not a valid host name after the wildcard")
		}
		if strings.Count(rest, ".") < 1 {
			return bad(`a wildcard needs at least two labels after it ("https://*.example.com"), never a whole top-level domain`)
		}
		ao.wildcard, ao.suffix = true, "."+rest
		ao.prefix, ao.tail = scheme+"://", ao.suffix
		if port != "" {
			ao.tail += ":" + port
		}
	} else {
		if strings.Contains(host, "*") {
			return bad(`a wildcard must be the whole leftmost label ("https://*.example.com"), and "*" alone is the only other form`)
		}
		if !strings.HasPrefix(host, "[") && !validHost(host) {
			if endsInNumber(host) {
				return bad("an IPv4 address must be written in dotted-decimal, as browsers send it")
			}
			return bad("not a valid host name")
		}
	}
	ao.canonical = scheme + "://" + host
	if port != "" {
		ao.canonical += ":" + port
	}
	if !ao.wildcard {
		if _, ok := parseOrigin(ao.canonical); !ok {
			return bad("not an origin a browser sends")
		}
	}
	return ao, nil
}

// matches reports whether the parsed request origin o is one the wildcard
// ao allows: the same scheme and port, and exactly one label in front of
// the suffix, like a TLS wildcard certificate. "https://*.example.com"
// allows "https://a.example.com", never "https://example.com" nor
// "https://a.b.example.com".
func (ao *allowedOrigin) matches(o origin) bool {
	if o.scheme != ao.scheme || o.port != ao.port || len(o.host) <= len(ao.suffix) {
		return false
	}
	label, found := strings.CutSuffix(o.host, ao.suffix)
	return found && !strings.Contains(label, ".")
}

// matchesRaw is matches on an unparsed Origin header value: the wildcard's
// scheme and tail around one label of the characters a host label may
// hold. It accepts exactly what parseOrigin followed by matches accepts
// (FuzzParseOrigin checks), without parsing the rest, which the config
// has already validated.
func (ao *allowedOrigin) matchesRaw(s string) bool {
	if len(s) <= len(ao.prefix)+len(ao.tail) || s[:len(ao.prefix)] != ao.prefix || s[len(s)-len(ao.tail):] != ao.tail {
		return false
	}
	label := s[len(ao.prefix) : len(s)-len(ao.tail)]
	if len(label) > 63 || len(s)-len(ao.prefix)-len(ao.tail)+len(ao.suffix) > 253 {
		return false
	}
	for i := 0; i < len(label); i++ {
		if c := label[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
