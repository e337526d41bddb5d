package authz

import (
	"encoding/json"
	"github.com/apishield/apishield/internal/jsonpointer"
	"math"
	"net/http"
	"strconv"

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
	ptr, err := jsonpointer.Parse(pointer)
	if err != nil {
		return invalidRule(name, "%v", err)
	}
	c := &claimRule{ptr: ptr, name: name, any: len(values) == 0,
		denied: &verdict{deny: problemForbidden, rule: name}}
	for _, v := range values {
		cv, ok := normalize(v)
		if !ok {
			return invalidRule(name, "value %v (%T) is not a string, boolean or number", v, v)
		}
		switch x := cv.(type) {
		case string:
			c.strs = append(c.strs, x)
		case bool:
			c.bools[b2i(x)] = true
		case float64:
			c.nums = append(c.nums, x)
		}
	}
	return c
}

// A claimRule keeps its values by type, so matching a claim compares
// strings with strings and allocates nothing.
type claimRule struct {
	ptr    jsonpointer.Pointer
	any    bool // no values: present, not null, not false
	strs   []string
	nums   []float64
	bools  [2]bool // [0]: false is accepted, [1]: true is
	name   string
	denied *verdict
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (c *claimRule) String() string { return c.name }
func (c *claimRule) check() error   { return nil }

func (c *claimRule) eval(_ *http.Request, p *auth.Principal, _ pathValues) *verdict {
	v, ok := c.ptr.Lookup(p.Claims)
	if ok && c.matches(v) {
		return nil
	}
	return c.denied
}

func (c *claimRule) matches(v any) bool {
	if c.any {
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
			if c.matchString(e) {
				return true
			}
		}
		return false
	}
	return c.matchOne(v)
}

func (c *claimRule) matchString(s string) bool {
	for _, want := range c.strs {
		if want == s {
			return true
		}
	}
	return false
}

func (c *claimRule) matchOne(v any) bool {
	switch x := v.(type) {
	case string:
		return c.matchString(x)
	case bool:
		return c.bools[b2i(x)]
	}
	n, ok := toFloat(v)
	if !ok {
		return false
	}
	for _, want := range c.nums {
		if want == n {
			return true
		}
	}
	return false
}

// normalize maps a rule's value to string, bool or float64.
func normalize(v any) (any, bool) {
	switch v.(type) {
	case string, bool:
		return v, true
	}
	if f, ok := toFloat(v); ok {
		return f, true
	}
	return nil, false
}

// toFloat returns a number claim or value as a float64, without
// allocating: JSON decoders produce float64 or json.Number.
func toFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, !math.IsNaN(x)
	case json.Number:
		f, err := strconv.ParseFloat(string(x), 64)
		return f, err == nil && !math.IsInf(f, 0)
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	case float32:
		return float64(x), true
	}
	return 0, false
}
