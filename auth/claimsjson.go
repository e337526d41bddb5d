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
// one pass over a single string copy of the payload: keys and unescaped
// strings are substrings of it, which makes this several times cheaper
// than a reflective Unmarshal. The input is checked by json.Valid first,
// so the walk below may assume well-formed JSON. Duplicate member names
// at any level are refused: which of two "iss" wins differs between
// parsers, and the issuer's parser is not ours.
func decodeClaims(payload []byte) (map[string]any, error) {
	// RFC 8259 §8.1: JSON text is UTF-8. encoding/json would quietly
	// replace bad bytes; refusing keeps every parser seeing the same text.
	if !json.Valid(payload) || !utf8.Valid(payload) {
		return nil, errBadClaims
	}
	d := claimsDecoder{s: string(payload)}
	d.ws()
	if d.i >= len(d.s) || d.s[d.i] != '{' {
		return nil, errBadClaims
	}
	m, err := d.object(0)
	if err != nil {
		return nil, err
	}
	return m, nil
}

type claimsDecoder struct {
	s string
	i int
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
	if d.s[d.i] == '}' {
		d.i++
		return m, nil
	}
	for {
		d.ws()
		key, err := d.str()
		if err != nil {
			return nil, err
		}
		d.ws()
		d.i++ // ':'
		d.ws()
		v, err := d.value(depth)
		if err != nil {
			return nil, err
		}
		m[key] = v
		n++
		d.ws()
		if d.s[d.i] == ',' {
			d.i++
			continue
		}
		d.i++ // '}'
		if n != len(m) {
			return nil, errDuplicateClaim
		}
		return m, nil
	}
}

// countMembers counts the members of the object whose '{' was just
// consumed, without moving.
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
	switch c := d.s[d.i]; {
	case c == '"':
		return d.str()
	case c == '{':
		return d.object(depth + 1)
	case c == '[':
		return d.array(depth + 1)
	case c == 't':
		d.i += 4
		return true, nil
	case c == 'f':
		d.i += 5
		return false, nil
	case c == 'n':
		d.i += 4
		return nil, nil
	default:
		j := d.i
		for j < len(d.s) && !isDelim(d.s[j]) {
			j++
		}
		f, err := strconv.ParseFloat(d.s[d.i:j], 64)
		if err != nil {
			return nil, errBadClaims // out of float64's range
		}
		d.i = j
		return f, nil
	}
}

func (d *claimsDecoder) array(depth int) ([]any, error) {
	if depth > maxClaimsDepth {
		return nil, errBadClaims
	}
	d.i++ // '['
	d.ws()
	out := []any{}
	if d.s[d.i] == ']' {
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
		if d.s[d.i] == ',' {
			d.i++
			continue
		}
		d.i++ // ']'
		return out, nil
	}
}

// str reads a string at d.i. Without escapes it is a substring of the
// payload copy; with them, encoding/json unescapes it.
func (d *claimsDecoder) str() (string, error) {
	start := d.i + 1
	end := strings.IndexByte(d.s[start:], '"')
	if end < 0 {
		return "", errBadClaims
	}
	if strings.IndexByte(d.s[start:start+end], '\\') < 0 {
		d.i = start + end + 1
		return d.s[start : start+end], nil
	}
	j, _ := stringEnd(bytesOf(d.s), d.i)
	var s string
	if err := json.Unmarshal(bytesOf(d.s[d.i:j+1]), &s); err != nil {
		return "", errBadClaims
	}
	d.i = j + 1
	return s, nil
}
