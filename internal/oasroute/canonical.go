package oasroute

import "strings"

// Canonical returns the escaped path p with every percent-encoded
// character a path may carry as it is (an RFC 3986 pchar: unreserved,
// sub-delims, ":" and "@") decoded, and every other percent-encoding's hex
// digits in upper case. Routers disagree about the other spellings:
// ServeMux and gorilla/mux compare decoded segments ("/items/%61dmin" is
// "/items/admin", "/ops/x%3Acancel" is "/ops/x:cancel"), chi the escaped
// text, so a request is passed on in the spelling whose segments read the
// same either way, the one Find matches literals in. A "/" or "%" stays
// encoded: decoding it would change the segments. For unreserved
// characters this is RFC 3986 §6.2.2's normalization; for the others a
// router that decodes them would see the same. A path with a "%" not followed by two hex digits, which no valid
// request has, is returned as it is: decoding around a stray "%" could
// make a new escape ("%%370" would become "%70"). Canonical returns p
// itself, without allocating, when it is already canonical.
func Canonical(p string) string {
	i := strings.IndexByte(p, '%')
	if i < 0 {
		return p
	}
	var b []byte
	for ; i < len(p); i++ {
		if p[i] != '%' {
			if b != nil {
				b = append(b, p[i])
			}
			continue
		}
		if i+2 >= len(p) || !isHex(p[i+1]) || !isHex(p[i+2]) {
			return p
		}
		c := unhex(p[i+1])<<4 | unhex(p[i+2])
		switch {
		case isPchar(c):
			if b == nil {
				b = append(make([]byte, 0, len(p)), p[:i]...)
			}
			b = append(b, c)
		case isLowerHex(p[i+1]) || isLowerHex(p[i+2]):
			if b == nil {
				b = append(make([]byte, 0, len(p)), p[:i]...)
			}
			b = append(b, '%', upperHex[c>>4], upperHex[c&15])
		default:
			if b != nil {
				b = append(b, p[i:i+3]...)
			}
		}
		i += 2
	}
	if b == nil {
		return p
	}
	return string(b)
}

const upperHex = "0123456789ABCDEF"

func isLowerHex(c byte) bool { return c >= 'a' && c <= 'f' }

func unhex(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

// literal returns a segment of an escaped path (a request's or a
// template's) in the form literals are compared in: every
// percent-encoding decoded but "%2F" and "%25", which stay, in upper
// case, so that a "/" or a "%" of a value is still told from the path's
// own. ServeMux and gorilla/mux compare decoded segments, so a literal
// that matched only the spelling in the document would let
// "/items/%61dmin" fall to the template "/items/{id}" while the router
// behind serves "/items/admin". A segment with a malformed escape, which
// no valid request has, is returned as it is. literal returns seg itself,
// without allocating, when it holds no "%".
func literal(seg string) string {
	i := strings.IndexByte(seg, '%')
	if i < 0 {
		return seg
	}
	b := append(make([]byte, 0, len(seg)), seg[:i]...)
	for ; i < len(seg); i++ {
		if seg[i] != '%' {
			b = append(b, seg[i])
			continue
		}
		if i+2 >= len(seg) || !isHex(seg[i+1]) || !isHex(seg[i+2]) {
			return seg
		}
		c := unhex(seg[i+1])<<4 | unhex(seg[i+2])
		if c == '/' || c == '%' {
			b = append(b, '%', upperHex[c>>4], upperHex[c&15])
		} else {
			b = append(b, c)
		}
		i += 2
	}
	return string(b)
}

// escape turns text cut from a literal form back into escaped text, as
// Find returns parameter values: every byte that is not a pchar encoded,
// the "%" of a kept "%2F" or "%25" left as it is.
func escape(s string) string {
	n := 0
	for i := 0; i < len(s); i++ {
		if !isPchar(s[i]) && s[i] != '%' {
			n++
		}
	}
	if n == 0 {
		return s
	}
	b := make([]byte, 0, len(s)+2*n)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isPchar(c) || c == '%' {
			b = append(b, c)
			continue
		}
		b = append(b, '%', upperHex[c>>4], upperHex[c&15])
	}
	return string(b)
}
