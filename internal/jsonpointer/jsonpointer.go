// Package jsonpointer parses RFC 6901 JSON Pointers and follows them
// through decoded JSON: the one implementation behind auth's role paths and
// authz's claim, owner and tenant rules.
package jsonpointer

import (
	"fmt"
	"strings"
)

// MaxTokens bounds the depth a pointer may reach.
const MaxTokens = 16

// A Pointer is a parsed JSON Pointer: its reference tokens, unescaped.
type Pointer []string

// Parse parses a JSON Pointer such as "/realm_access/roles" or
// "/https:~1~1example.com~1roles". The empty pointer (the whole document)
// is refused: a pointer here names one member. So are pointers of more
// than MaxTokens tokens and a '~' not followed by '0' or '1'. "~1" is
// unescaped before "~0", as RFC 6901 §4 requires, so "~01" is "~1".
func Parse(s string) (Pointer, error) {
	if s == "" || s[0] != '/' {
		return nil, fmt.Errorf("JSON Pointer %q must start with '/'", s)
	}
	parts := strings.Split(s[1:], "/")
	if len(parts) > MaxTokens {
		return nil, fmt.Errorf("JSON Pointer %q has more than %d tokens", s, MaxTokens)
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

// Lookup follows p through doc's objects and arrays ([]any, and []string,
// which applications' claims may hold) and returns the value it names.
func (p Pointer) Lookup(doc map[string]any) (any, bool) {
	if doc == nil {
		return nil, false
	}
	if len(p) == 1 { // a top-level member, the common case
		v, ok := doc[p[0]]
		return v, ok
	}
	var cur any = doc
	for _, tok := range p {
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
// leading zero ("-", the element after the last, names nothing here).
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
