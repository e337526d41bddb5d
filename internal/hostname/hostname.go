// Package hostname checks the shape of DNS names, for every package that
// reads one from the network or from configuration (cors origins, Host
// headers, certificate names).
package hostname

// MaxLen is the longest DNS name in text form (RFC 1035 §2.3.4).
const MaxLen = 253

// Valid reports whether s is a DNS name in text form: labels of 1 to 63
// ASCII letters, digits, '-' or '_', separated by single dots, at most
// MaxLen bytes in all, no empty label (so no leading or trailing dot).
// Upper-case letters are accepted only if upper is true: a name a browser
// serialized is lower case already. Whether the name is an address (its
// last label a number) is the caller's question.
func Valid(s string, upper bool) bool {
	if s == "" || len(s) > MaxLen {
		return false
	}
	label := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '.':
			if label == 0 {
				return false
			}
			label = 0
			continue
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '-', c == '_':
		case c >= 'A' && c <= 'Z':
			if !upper {
				return false
			}
		default:
			return false
		}
		if label++; label > 63 {
			return false
		}
	}
	return label > 0
}
