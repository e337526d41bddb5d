package clientip

import (
	"net/netip"
	"strings"
)

// trimOWS trims the optional white space (space and tab) of RFC 9110.
func trimOWS(s string) string {
	for s != "" && (s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	for s != "" && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t') {
		s = s[:len(s)-1]
	}
	return s
}

// parseNode parses one forwarding entry: "192.0.2.1", "192.0.2.1:5678",
// "2001:db8::1", "[2001:db8::1]" or "[2001:db8::1]:443". obfPort also
// accepts the RFC 7239 obfuscated port ("[2001:db8::1]:_p1"). The result is
// unmapped and zoneless.
func parseNode(s string, obfPort bool) (netip.Addr, bool) {
	if s == "" {
		return netip.Addr{}, false
	}
	host, bracketed := s, false
	if s[0] == '[' {
		end := strings.IndexByte(s, ']')
		if end < 0 {
			return netip.Addr{}, false
		}
		host, bracketed = s[1:end], true
		if rest := s[end+1:]; rest != "" && (rest[0] != ':' || !validPort(rest[1:], obfPort)) {
			return netip.Addr{}, false
		}
	} else if i := strings.IndexByte(s, ':'); i >= 0 && strings.IndexByte(s[i+1:], ':') < 0 {
		// Exactly one colon can only be IPv4 with a port; IPv6 has two or more.
		host = s[:i]
		if !validPort(s[i+1:], obfPort) {
			return netip.Addr{}, false
		}
	}
	a, err := netip.ParseAddr(host)
	if err != nil || (bracketed && !a.Is6()) {
		return netip.Addr{}, false
	}
	return a.WithZone("").Unmap(), true
}

// validPort accepts a decimal port 0–65535 of at most five digits, and with
// obf also an RFC 7239 obfport: "_" followed by ALPHA / DIGIT / "." / "_" / "-".
func validPort(p string, obf bool) bool {
	if p == "" {
		return false
	}
	if p[0] == '_' {
		if !obf || len(p) == 1 {
			return false
		}
		for i := 1; i < len(p); i++ {
			if c := p[i]; !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
				return false
			}
		}
		return true
	}
	if len(p) > 5 {
		return false
	}
	n := 0
	for i := 0; i < len(p); i++ {
		c := p[i]
		if c < '0' || c > '9' {
			return false
		}
		n = n*10 + int(c-'0')
	}
	return n <= 65535
}

// lastElementSep returns the index of the comma that starts the last
// element of a Forwarded header line, or -1 if the line is one element.
// Commas inside quoted strings do not count. Quotes are matched from the
// right, so the elements a trusted proxy appended parse the same whatever
// unbalanced quoting a client put to their left; a quote preceded by an odd
// run of backslashes is escaped. ok is false if the last element has an
// unterminated quoted string.
func lastElementSep(v string) (sep int, ok bool) {
	inQuote := false
	for i := len(v) - 1; i >= 0; i-- {
		switch v[i] {
		case '"':
			k := 0
			for j := i - 1; j >= 0 && v[j] == '\\'; j-- {
				k++
			}
			if k%2 == 0 {
				inQuote = !inQuote
			}
		case ',':
			if !inQuote {
				return i, true
			}
		}
	}
	return -1, !inQuote
}

// parseForwardedElement returns the address in the for= parameter of one
// RFC 7239 forwarded-element ("for=192.0.2.60;proto=http;by=203.0.113.43").
// Parameter names match case-insensitively. The element is refused if it
// has no for=, more than one, a for= that is "unknown" or an obfuscated
// identifier ("_hidden"), or a quoted value with escapes: none of these
// names an address we could trust or rate-limit.
func parseForwardedElement(elem string) (netip.Addr, bool) {
	elem = trimOWS(elem)
	var val string
	found := false
	for elem != "" {
		end := pairEnd(elem)
		pair := trimOWS(elem[:end])
		if end < len(elem) {
			elem = elem[end+1:]
		} else {
			elem = ""
		}
		if pair == "" {
			continue // RFC 7239 allows empty pairs: "for=x;;proto=https"
		}
		eq := strings.IndexByte(pair, '=')
		if eq <= 0 {
			return netip.Addr{}, false
		}
		if !strings.EqualFold(pair[:eq], "for") {
			continue
		}
		if found {
			return netip.Addr{}, false
		}
		val, found = pair[eq+1:], true
	}
	if !found {
		return netip.Addr{}, false
	}
	if len(val) >= 2 && val[0] == '"' && val[len(val)-1] == '"' {
		val = val[1 : len(val)-1]
	}
	if strings.ContainsAny(val, "\"\\") || strings.EqualFold(val, "unknown") || strings.HasPrefix(val, "_") {
		return netip.Addr{}, false
	}
	return parseNode(val, true)
}

// pairEnd returns the index of the first ';' outside a quoted string, or
// len(s).
func pairEnd(s string) int {
	inQuote := false
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			if inQuote {
				i++
			}
		case '"':
			inQuote = !inQuote
		case ';':
			if !inQuote {
				return i
			}
		}
	}
	return len(s)
}
