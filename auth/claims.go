package auth

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// maxNumericDate is 9999-12-31T23:59:59Z. Later dates, negative ones and
// fractions beyond float64's range are refused rather than clamped, so
// that no overflow turns "far future" into "long ago".
const maxNumericDate = 253402300799

// numericDate reads a NumericDate claim (RFC 7519 §2): a JSON number of
// seconds since the epoch. A string such as "1700000000" is refused — some
// libraries coerce it, which lets a claim mean different things to
// different parsers.
func numericDate(claims map[string]any, name string) (time.Time, bool, error) {
	v, present := claims[name]
	if !present {
		return time.Time{}, false, nil
	}
	f, ok := v.(float64)
	if !ok || math.IsNaN(f) || f < 0 || f > maxNumericDate {
		return time.Time{}, true, invalid(name + "_not_numeric_date")
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)).UTC(), true, nil
}

// audience reads aud: one string or an array of strings (RFC 7519 §4.1.3).
func audience(v any) ([]string, bool) {
	switch a := v.(type) {
	case string:
		return []string{a}, true
	case []any:
		out := make([]string, 0, len(a))
		for _, e := range a {
			s, ok := e.(string)
			if !ok {
				return nil, false
			}
			out = append(out, s)
		}
		return out, true
	}
	return nil, false
}

// stringList reads a claim that issuers write either as one space-separated
// string (OAuth "scope", Entra ID "scp") or as an array of strings (Okta
// "scp", "roles", "permissions").
func stringList(v any) ([]string, bool) {
	switch a := v.(type) {
	case string:
		return strings.Fields(a), true
	case []any:
		out := make([]string, 0, len(a))
		for _, e := range a {
			s, ok := e.(string)
			if !ok {
				return nil, false
			}
			out = append(out, s)
		}
		return out, true
	}
	return nil, false
}

// A pointer is a parsed JSON Pointer (RFC 6901) into the claims.
type pointer []string

// parsePointer parses a JSON Pointer such as "/realm_access/roles" or
// "/https:~1~1example.com~1roles". The empty pointer (the whole document)
// is refused: roles are never the claims object itself.
func parsePointer(s string) (pointer, bool) {
	if !strings.HasPrefix(s, "/") {
		return nil, false
	}
	parts := strings.Split(s[1:], "/")
	for i, p := range parts {
		// ~1 before ~0, as RFC 6901 §4 requires, so "~01" is "~1".
		for j := 0; j < len(p); j++ {
			if p[j] == '~' && (j+1 == len(p) || (p[j+1] != '0' && p[j+1] != '1')) {
				return nil, false
			}
		}
		parts[i] = strings.ReplaceAll(strings.ReplaceAll(p, "~1", "/"), "~0", "~")
	}
	return parts, true
}

// lookup returns the value at p in claims, if any.
func (p pointer) lookup(claims map[string]any) (any, bool) {
	var cur any = claims
	for _, tok := range p {
		switch c := cur.(type) {
		case map[string]any:
			v, ok := c[tok]
			if !ok {
				return nil, false
			}
			cur = v
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(c) || (len(tok) > 1 && tok[0] == '0') {
				return nil, false
			}
			cur = c[i]
		default:
			return nil, false
		}
	}
	return cur, true
}

// roles collects the roles found at the pointers. A pointer that leads
// nowhere adds nothing; one that leads to something other than a string or
// an array of strings adds nothing either, since a role must be a name.
func roles(claims map[string]any, ptrs []pointer) []string {
	var out []string
	for _, p := range ptrs {
		v, ok := p.lookup(claims)
		if !ok {
			continue
		}
		switch r := v.(type) {
		case string:
			out = append(out, r)
		case []any:
			for _, e := range r {
				if s, ok := e.(string); ok {
					out = append(out, s)
				}
			}
		}
	}
	return out
}

func claimString(claims map[string]any, name string) (string, bool) {
	v, present := claims[name]
	if !present {
		return "", true
	}
	s, ok := v.(string)
	return s, ok
}
