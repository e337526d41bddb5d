package oasparam

import (
	"encoding/json"
	"github.com/apishield/apishield/internal/jsonnum"
	"strconv"
	"unicode/utf8"
)

// maxNumberLength and maxExponent bound a number before it reaches the
// schema library, which turns numbers into exact rationals: a long
// mantissa or a huge exponent would cost it time and memory.
const (
	maxNumberLength = 64
	maxExponent     = 400
)

// coerce turns decoded text into the JSON value of type t: a string as
// it is, an integer or number as a json.Number (exact, as the schema
// library validates it), a boolean as a bool. refused is the reason, for
// the client, when s is not a value of the type.
func coerce(s string, t Type) (v any, refused string) {
	switch t {
	case TypeInteger:
		if !isInteger(s) {
			return nil, "must be an integer"
		}
		if _, err := strconv.ParseInt(s, 10, 64); err != nil {
			return nil, "must be an integer between -9223372036854775808 and 9223372036854775807"
		}
		return json.Number(s), ""
	case TypeNumber:
		if !isNumber(s) {
			return nil, "must be a number"
		}
		return json.Number(s), ""
	case TypeBoolean:
		switch s {
		case "true":
			return true, ""
		case "false":
			return false, ""
		}
		return nil, `must be "true" or "false"`
	}
	return s, ""
}

// isInteger reports whether s is a JSON integer written plainly: an
// optional minus and digits without a leading zero. 1.0 and 1e1 are
// refused: a parameter has no reason to write an integer so.
func isInteger(s string) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	if i == len(s) || len(s) > 20 {
		return false
	}
	if s[i] == '0' {
		return i+1 == len(s)
	}
	for ; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// isNumber reports whether s is one JSON number (RFC 8259 §6) of at most
// maxNumberLength bytes whose written exponent is at most maxExponent in
// magnitude.
func isNumber(s string) bool {
	if len(s) == 0 || len(s) > maxNumberLength {
		return false
	}
	end, exp, ok := jsonnum.Scan(s, 0)
	if !ok || end != len(s) {
		return false
	}
	if exp >= 0 {
		if n, err := strconv.Atoi(s[exp:]); err != nil || n > maxExponent {
			return false
		}
	}
	return true
}

// unescape percent-decodes s, and turns '+' into a space when plus is set
// (the form encoding of a query). ok is false for a malformed escape or a
// result that is not UTF-8: a parameter becomes a JSON string, and JSON
// strings are text.
func unescape(s string, plus bool) (string, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '%' || (plus && s[i] == '+') {
			n++
		}
	}
	if n == 0 {
		return s, utf8.ValidString(s)
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '%':
			if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
				return "", false
			}
			b = append(b, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 2
		case c == '+' && plus:
			b = append(b, ' ')
		default:
			b = append(b, c)
		}
	}
	if !utf8.Valid(b) {
		return "", false
	}
	return string(b), true
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	}
	return c - 'a' + 10
}
