package auth

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"unicode/utf8"
)

// DefaultMaxTokenSize bounds a token before any parsing: real access tokens
// are one to two kilobytes; 8 KiB leaves room for large role claims.
const DefaultMaxTokenSize = 8 << 10

// b64 is strict base64url without padding: RFC 7515 §2 forbids padding, and
// Strict refuses non-zero trailing bits, so each token has exactly one
// encoding and a signature cannot be "re-encoded" past a deny list.
var b64 = base64.RawURLEncoding.Strict()

// compact is a JWS compact serialization, split and decoded.
type compact struct {
	input   string // header.payload, the signing input
	header  []byte
	payload []byte
	sig     []byte
}

// splitCompact checks the token's shape and decodes its three segments into
// one buffer. It refuses, before any JSON is read: oversized tokens, JSON
// serialization, JWE (five segments), anything but three segments, empty
// segments (an unsigned token has an empty third one), and any byte outside
// the base64url alphabet, which includes whitespace and padding.
func splitCompact(token string, max int) (compact, error) {
	var c compact
	if token == "" {
		return c, invalid("empty")
	}
	if len(token) > max {
		return c, invalid("too_large")
	}
	if token[0] == '{' {
		return c, invalid("json_serialization")
	}
	d1, d2, dots := -1, -1, 0
	for i := 0; i < len(token); i++ {
		ch := token[i]
		switch {
		case ch >= 'A' && ch <= 'Z', ch >= 'a' && ch <= 'z', ch >= '0' && ch <= '9', ch == '-', ch == '_':
		case ch == '.':
			dots++
			switch dots {
			case 1:
				d1 = i
			case 2:
				d2 = i
			}
		default:
			return c, invalid("bad_character")
		}
	}
	switch {
	case dots == 4:
		return c, invalid("jwe")
	case dots != 2:
		return c, invalid("not_three_segments")
	case d1 == 0 || d2 == d1+1:
		return c, invalid("empty_segment")
	case d2 == len(token)-1:
		return c, invalid("unsigned")
	}
	h, p, s := token[:d1], token[d1+1:d2], token[d2+1:]
	buf := make([]byte, b64.DecodedLen(len(h))+b64.DecodedLen(len(p))+b64.DecodedLen(len(s)))
	n1, err := b64.Decode(buf, bytesOf(h))
	if err != nil {
		return c, invalid("bad_base64")
	}
	n2, err := b64.Decode(buf[n1:], bytesOf(p))
	if err != nil {
		return c, invalid("bad_base64")
	}
	n3, err := b64.Decode(buf[n1+n2:], bytesOf(s))
	if err != nil {
		return c, invalid("bad_base64")
	}
	c.input = token[:d2]
	c.header = buf[:n1:n1]
	c.payload = buf[n1 : n1+n2 : n1+n2]
	c.sig = buf[n1+n2 : n1+n2+n3]
	return c, nil
}

// header holds the JOSE header parameters auth acts on.
type header struct {
	alg []byte
	kid []byte
	typ string
	cty string
}

// The refusals of a header's shape, made once: parseHeader runs for every
// token verified.
var (
	errDuplicateHeader      = invalid("duplicate_header")
	errHeaderTooManyMembers = invalid("header_too_many_members")
)

// parseHeader decodes the JOSE header strictly. It is a JSON object without
// duplicate members; alg is a string; and parameters that would make auth
// trust something other than its configured key set, or change how the
// payload is read, are refused outright: jku, x5u, jwk and x5c (keys or key
// locations chosen by the sender — never fetched, never used), crit (auth
// understands no extension, so every critical one is unknown), b64:false
// (RFC 7797 unencoded payloads), and zip or enc (JWE).
func parseHeader(data []byte) (header, error) {
	var h header
	if !json.Valid(data) || !utf8.Valid(data) {
		return h, invalid("header_not_json")
	}
	err := forEachUniqueMember(data, errDuplicateHeader, errHeaderTooManyMembers, func(key string, v []byte) error {
		switch key {
		case "alg":
			b, ok := rawString(v)
			if !ok {
				return invalid("alg_not_string")
			}
			h.alg = b
		case "kid":
			b, ok := rawString(v)
			if !ok {
				return invalid("kid_not_string")
			}
			h.kid = b
		case "typ":
			s, ok := jsonString(v)
			if !ok {
				return invalid("typ_not_string")
			}
			h.typ = s
		case "cty":
			s, ok := jsonString(v)
			if !ok {
				return invalid("cty_not_string")
			}
			h.cty = s
		case "crit":
			return invalid("crit_unsupported")
		case "b64":
			if string(v) != "true" {
				return invalid("b64_unsupported")
			}
		case "jku", "x5u", "jwk", "x5c":
			return invalid(key + "_header")
		case "enc", "zip":
			return invalid("jwe")
		}
		return nil
	})
	if err != nil {
		if err == errNotObject {
			return h, invalid("header_not_object")
		}
		return h, err
	}
	if h.alg == nil {
		return h, invalid("alg_missing")
	}
	return h, nil
}

// rawString returns the bytes of a JSON string value, decoding escapes only
// when there are some. The result aliases v when it can.
func rawString(v []byte) ([]byte, bool) {
	if len(v) < 2 || v[0] != '"' {
		return nil, false
	}
	inner := v[1 : len(v)-1]
	for _, c := range inner {
		if c == '\\' {
			s, ok := jsonString(v)
			return []byte(s), ok
		}
	}
	return inner, true
}

// isNestedJWT reports whether cty announces a JWT inside the JWT
// (RFC 7519 §5.2), which auth never unwraps.
func isNestedJWT(cty string) bool {
	cty = strings.ToLower(cty)
	return cty == "jwt" || cty == "application/jwt"
}

// typMatches compares a typ header with the wanted media type the way RFC
// 7515 §4.1.9 asks: case-insensitively, with "application/" optional.
func typMatches(typ, want string) bool {
	typ = strings.ToLower(typ)
	typ = strings.TrimPrefix(typ, "application/")
	return typ == strings.ToLower(want)
}
