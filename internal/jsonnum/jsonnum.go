// Package jsonnum scans the JSON number grammar (RFC 8259 §6): the one
// scanner behind audit's canonical JSON and the OpenAPI parameter decoder.
package jsonnum

// Scan returns the end of the JSON number that starts at s[i] (a string or
// bytes): an optional
// minus, an integer part without leading zeros, an optional fraction and
// an optional exponent, each with at least one digit. ok is false if no
// number starts there; a number followed by more text is the caller's to
// refuse. expStart is where the exponent's digits (after any sign) start,
// or -1 if it has none, so a caller can bound the exponent without
// scanning again.
func Scan[T ~string | ~[]byte](s T, i int) (end, expStart int, ok bool) {
	expStart = -1
	if i < len(s) && s[i] == '-' {
		i++
	}
	digits := func() int {
		n := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			n++
		}
		return n
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case digits() == 0:
		return 0, -1, false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if digits() == 0 {
			return 0, -1, false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		expStart = i
		if digits() == 0 {
			return 0, -1, false
		}
	}
	return i, expStart, true
}
