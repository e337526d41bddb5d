package authz

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/apishield/apishield/auth"
)

// Claim returns a rule on a token claim, addressed by an RFC 6901 JSON
// Pointer into the principal's claims ("/tenant", "/realm_access/roles",
// "/https:~1~1example.com~1plan" for a claim named with slashes).
//
// With values, the rule passes when the claim equals one of them, or is an
// array holding one of them. Values are strings, booleans or numbers. With
// no values, it passes when the claim is present and neither null nor false.
// It fails with 403 forbidden, and on principals without claims (API keys).
func Claim(pointer string, values ...any) Rule {
	name := "claim(" + pointer + ")"
	ptr, err := parsePointer(pointer)
	if err != nil {
		return invalidRule(name, "%v", err)
	}
	c := &claimRule{ptr: ptr, name: name}
	for _, v := range values {
		cv, ok := normalize(v)
		if !ok {
			return invalidRule(name, "value %v (%T) is not a string, boolean or number", v, v)
		}
		c.values = append(c.values, cv)
	}
	return c
}

type claimRule struct {
	ptr    []string
	values []any // string, bool or float64
	name   string
}

func (c *claimRule) String() string { return c.name }
func (c *claimRule) check() error   { return nil }

func (c *claimRule) eval(_ *http.Request, p *auth.Principal, _ pathValues) verdict {
	v, ok := lookup(p.Claims, c.ptr)
	if ok && c.matches(v) {
		return pass
	}
	return verdict{deny: problemForbidden, rule: c.name}
}

func (c *claimRule) matches(v any) bool {
	if len(c.values) == 0 {
		return v != nil && v != false
	}
	switch a := v.(type) {
	case []any:
		for _, e := range a {
			if c.matchOne(e) {
				return true
			}
		}
		return false
	case []string:
		for _, e := range a {
			if c.matchOne(e) {
				return true
			}
		}
		return false
	}
	return c.matchOne(v)
}

func (c *claimRule) matchOne(v any) bool {
	cv, ok := normalize(v)
	if !ok {
		return false
	}
	for _, want := range c.values {
		if want == cv {
			return true
		}
	}
	return false
}

// normalize maps a claim or rule value to string, bool or float64, without
// allocating for the types a JSON decoder produces.
func normalize(v any) (any, bool) {
	switch x := v.(type) {
	case string, bool, float64:
		return v, true
	case json.Number:
		f, err := strconv.ParseFloat(string(x), 64)
		if err != nil || math.IsInf(f, 0) {
			return nil, false
		}
		return f, true
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	case float32:
		return float64(x), true
	}
	return nil, false
}

// maxPointerTokens bounds the depth a rule may reach into the claims.
const maxPointerTokens = 16

// parsePointer splits an RFC 6901 JSON Pointer into unescaped tokens. The
// empty pointer (the whole document) is refused: a rule is about one claim.
func parsePointer(s string) ([]string, error) {
	if s == "" || s[0] != '/' {
		return nil, fmt.Errorf("JSON Pointer %q must start with '/'", s)
	}
	parts := strings.Split(s[1:], "/")
	if len(parts) > maxPointerTokens {
		return nil, fmt.Errorf("JSON Pointer %q has more than %d tokens", s, maxPointerTokens)
	}
	for i, p := range parts {
		for j := 0; j < len(p); j++ {
			if p[j] == '~' && (j+1 == len(p) || (p[j+1] != '0' && p[j+1] != '1')) {
				return nil, fmt.Errorf("JSON Pointer %q has a '~' not followed by '0' or '1'", s)
			}
		}
		parts[i] = strings.ReplaceAll(strings.ReplaceAll(p, "~1", "/"), "~0", "~")
	}
	return parts, nil
}

// lookup follows the pointer tokens through maps and arrays.
func lookup(claims map[string]any, ptr []string) (any, bool) {
	if claims == nil {
		return nil, false
	}
	var cur any = claims
	for _, tok := range ptr {
		switch x := cur.(type) {
		case map[string]any:
			v, ok := x[tok]
			if !ok {
				return nil, false
			}
			cur = v
		case []any:
			i, ok := arrayIndex(tok)
			if !ok || i >= len(x) {
				return nil, false
			}
			cur = x[i]
		case []string:
			i, ok := arrayIndex(tok)
			if !ok || i >= len(x) {
				return nil, false
			}
			cur = x[i]
		default:
			return nil, false
		}
	}
	return cur, true
}

// arrayIndex parses an RFC 6901 array index: "0" or digits without a
// leading zero.
func arrayIndex(tok string) (int, bool) {
	if tok == "" || len(tok) > 9 || (len(tok) > 1 && tok[0] == '0') {
		return 0, false
	}
	n := 0
	for i := 0; i < len(tok); i++ {
		c := tok[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}
