package auth

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"unicode/utf8"
)

// maxClaimsDepth bounds nesting in the claims; real tokens nest two or
// three levels (Keycloak's resource_access.<client>.roles).
const maxClaimsDepth = 32

var (
	errBadClaims      = errors.New("auth: claims are not a JSON object")
	errDuplicateClaim = errors.New("auth: claims repeat a member name")
)

// decodeClaims decodes the claims object into the same shapes as
// encoding/json (map[string]any, []any, string, float64, bool, nil), in
// one validating pass over a single string copy of the payload: keys and
// unescaped strings are substrings of it, which makes this several times
// cheaper than a reflective Unmarshal. It accepts exactly the JSON that
// encoding/json accepts (FuzzDecodeClaims checks this against it), except
// that duplicate member names at any level are refused — which of two
// "iss" wins differs between parsers, and the issuer's parser is not
// ours — as are invalid UTF-8 and nesting deeper than maxClaimsDepth.
func decodeClaims(payload []byte) (map[string]any, error) {
	// RFC 8259 §8.1: JSON text is UTF-8. encoding/json would quietly
	// replace bad bytes; refusing keeps every parser seeing the same text.
	if !utf8.Valid(payload) {
		return nil, errBadClaims
	}
	d := claimsDecoder{s: string(payload)}
	d.ws()
	if d.peek() != '{' {
		return nil, errBadClaims
	}
	m, err := d.object(0)
	if err != nil {
		return nil, err
	}
	d.ws()
	if d.i != len(d.s) {
		return nil, errBadClaims
	}
	return m, nil
}

type claimsDecoder struct {
	s string
	i int
}

// peek returns the current byte, or 0 at the end (0 is never valid JSON
// outside a string, so every caller's check fails on it).
func (d *claimsDecoder) peek() byte {
	if d.i < len(d.s) {
		return d.s[d.i]
	}
	return 0
}

func (d *claimsDecoder) ws() {
	for d.i < len(d.s) {
		switch d.s[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

func (d *claimsDecoder) object(depth int) (map[string]any, error) {
	if depth > maxClaimsDepth {
		return nil, errBadClaims
	}
	d.i++ // '{'
	// Count members first so the map is allocated once at its final size.
	m := make(map[string]any, d.countMembers())
	n := 0
	d.ws()
	if d.peek() == '}' {
		d.i++
		return m, nil
	}
	for {
		d.ws()
		if d.peek() != '"' {
			return nil, errBadClaims
		}
		key, err := d.str()
		if err != nil {
			return nil, err
		}
		d.ws()
		if d.peek() != ':' {
			return nil, errBadClaims
		}
		d.i++
		d.ws()
		v, err := d.value(depth)
		if err != nil {
			return nil, err
		}
		m[key] = v
		n++
		d.ws()
		switch d.peek() {
		case ',':
			d.i++
		case '}':
			d.i++
			if n != len(m) {
				return nil, errDuplicateClaim
			}
			return m, nil
		default:
			return nil, errBadClaims
		}
	}
}

// countMembers estimates the members of the object whose '{' was just
// consumed, without moving. It is only a size hint.
func (d *claimsDecoder) countMembers() int {
	depth, n, inStr, seen := 0, 0, false, false
	for j := d.i; j < len(d.s); j++ {
		c := d.s[j]
		if inStr {
			switch c {
			case '\\':
				j++
			case '"':
				inStr = false
			}
			continue
		}
		switch c {
		case '"':
			inStr = true
			seen = true
		case '{', '[':
			depth++
		case '}', ']':
			if depth == 0 {
				if seen {
					n++
				}
				return n
			}
			depth--
		case ',':
			if depth == 0 {
				n++
			}
		}
	}
	return n
}

func (d *claimsDecoder) value(depth int) (any, error) {
	switch c := d.peek(); c {
	case '"':
		return d.str()
	case '{':
		return d.object(depth + 1)
	case '[':
		return d.array(depth + 1)
	case 't':
		return true, d.literal("true")
	case 'f':
		return false, d.literal("false")
	case 'n':
		return nil, d.literal("null")
	default:
		return d.number()
	}
}

func (d *claimsDecoder) literal(lit string) error {
	if !strings.HasPrefix(d.s[d.i:], lit) {
		return errBadClaims
	}
	d.i += len(lit)
	return nil
}

// number reads a JSON number (RFC 8259 §6) as a float64. The grammar is
// checked here: strconv alone would also take "+1", ".5", "0x10", "1_0"
// and "Inf".
func (d *claimsDecoder) number() (float64, error) {
	start := d.i
	if d.peek() == '-' {
		d.i++
	}
	switch c := d.peek(); {
	case c == '0':
		d.i++
	case c >= '1' && c <= '9':
		d.digits()
	default:
		return 0, errBadClaims
	}
	if d.peek() == '.' {
		d.i++
		if !d.digits() {
			return 0, errBadClaims
		}
	}
	if c := d.peek(); c == 'e' || c == 'E' {
		d.i++
		if c := d.peek(); c == '+' || c == '-' {
			d.i++
		}
		if !d.digits() {
			return 0, errBadClaims
		}
	}
	f, err := strconv.ParseFloat(d.s[start:d.i], 64)
	if err != nil {
		return 0, errBadClaims // out of float64's range
	}
	return f, nil
}

func (d *claimsDecoder) digits() bool {
	start := d.i
	for d.i < len(d.s) && d.s[d.i] >= '0' && d.s[d.i] <= '9' {
		d.i++
	}
	return d.i > start
}

func (d *claimsDecoder) array(depth int) ([]any, error) {
	if depth > maxClaimsDepth {
		return nil, errBadClaims
	}
	d.i++ // '['
	d.ws()
	out := []any{}
	if d.peek() == ']' {
		d.i++
		return out, nil
	}
	for {
		d.ws()
		v, err := d.value(depth)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
		d.ws()
		switch d.peek() {
		case ',':
			d.i++
		case ']':
			d.i++
			return out, nil
		default:
			return nil, errBadClaims
		}
	}
}

// str reads the string at d.i (a '"'). Without escapes it is a substring
// of the payload copy; with them, encoding/json unescapes and checks it.
// Control characters must be escaped (RFC 8259 §7).
func (d *claimsDecoder) str() (string, error) {
	start := d.i + 1
	escaped := false
	for j := start; j < len(d.s); j++ {
		switch c := d.s[j]; {
		case c == '"':
			d.i = j + 1
			if !escaped {
				return d.s[start:j], nil
			}
			var s string
			if err := json.Unmarshal(bytesOf(d.s[start-1:j+1]), &s); err != nil {
				return "", errBadClaims
			}
			return s, nil
		case c == '\\':
			escaped = true
			j++
		case c < 0x20:
			return "", errBadClaims
		}
	}
	return "", errBadClaims
}
