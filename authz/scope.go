package authz

import (
	"net/http"
	"strings"

	"github.com/apishield/apishield/auth"
	apierrors "github.com/apishield/apishield/errors"
)

// A ScopeMatcher reports whether a granted scope grants a required one.
// [ExactScopes] is the default; [WildcardScopes] is the opt-in alternative.
type ScopeMatcher func(granted, required string) bool

// ExactScopes grants a required scope only to the identical granted scope.
// It is the default: what the token says is exactly what it gets.
func ExactScopes(granted, required string) bool { return granted == required }

// WildcardScopes is ExactScopes, plus: a granted scope that ends in ":*",
// ".*" or "/*" grants every longer scope under that prefix, so "items:*"
// grants "items:read" and "items:read:draft", but not "items" or "itemsx:read".
// A bare "*" grants nothing.
//
// Its risks, which is why it is opt-in: a wildcard grants scopes that do not
// exist yet, so adding "items:delete" to an API silently hands it to every
// holder of "items:*"; and a token issuer that lets clients ask for
// arbitrary scope strings lets them ask for "items:*". Use it only when the
// issuer controls which wildcards it grants.
func WildcardScopes(granted, required string) bool {
	if granted == required {
		return true
	}
	n := len(granted)
	if n < 3 || granted[n-1] != '*' {
		return false
	}
	switch granted[n-2] {
	case ':', '.', '/':
	default:
		return false
	}
	prefix := granted[:n-1]
	return len(required) > len(prefix) && strings.HasPrefix(required, prefix)
}

// A ScopeRule requires OAuth scopes. It fails with 403 insufficient_scope and
// an RFC 6750 challenge naming the scope the route needs:
//
//	WWW-Authenticate: Bearer error="insufficient_scope", scope="items:write"
type ScopeRule struct {
	all     bool
	scopes  []string
	match   ScopeMatcher
	name    string
	problem *apierrors.Problem
	denied  *verdict // built once: a denial inside Not or Or is on the allow path
	err     error
}

// AllScopes returns a rule that passes when the principal was granted every
// one of scopes. The challenge lists them all.
func AllScopes(scopes ...string) *ScopeRule { return newScopeRule("all_scopes", true, scopes) }

// AnyScope returns a rule that passes when the principal was granted at least
// one of scopes. The challenge names the first, so list the narrowest first:
// a client asks for no more than it needs.
func AnyScope(scopes ...string) *ScopeRule { return newScopeRule("any_scope", false, scopes) }

func newScopeRule(kind string, all bool, scopes []string) *ScopeRule {
	s := &ScopeRule{all: all, scopes: append([]string(nil), scopes...),
		name: kind + "(" + strings.Join(scopes, " ") + ")"}
	if len(scopes) == 0 {
		s.err = invalidRule(s.name, "no scopes").check()
		return s
	}
	for _, sc := range scopes {
		if !validScope(sc) {
			s.err = invalidRule(s.name, "scope %q is not an RFC 6749 scope token", sc).check()
			return s
		}
	}
	challenge := scopes[0]
	if all {
		challenge = strings.Join(scopes, " ")
	}
	s.problem = apierrors.New(http.StatusForbidden, apierrors.ReasonInsufficientScope,
		"The access token lacks a scope this operation requires.").
		WithHeader("WWW-Authenticate", `Bearer error="insufficient_scope", scope="`+challenge+`"`)
	s.denied = &verdict{deny: s.problem, rule: s.name}
	return s
}

// validScope reports whether s is an RFC 6749 §3.3 scope-token: printable
// ASCII other than space, '"' and '\', which also makes it safe inside the
// quoted challenge.
func validScope(s string) bool {
	if s == "" || len(s) > 256 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x21 || c > 0x7e || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// Matching returns a copy of the rule that matches scopes with m instead of
// [ExactScopes]. A nil m means ExactScopes.
func (s *ScopeRule) Matching(m ScopeMatcher) *ScopeRule {
	c := *s
	c.match = m
	return &c
}

// String returns the rule's name, e.g. "all_scopes(items:read items:write)".
func (s *ScopeRule) String() string { return s.name }

func (s *ScopeRule) check() error { return s.err }

func (s *ScopeRule) eval(_ *http.Request, p *auth.Principal, _ pathValues) *verdict {
	if s.err != nil {
		return &verdict{deny: problemInternal.WithCause(s.err), rule: s.name}
	}
	for _, req := range s.scopes {
		ok := s.granted(p.Scopes, req)
		if ok && !s.all {
			return nil
		}
		if !ok && s.all {
			return s.denied
		}
	}
	if s.all {
		return nil
	}
	return s.denied
}

func (s *ScopeRule) granted(granted []string, required string) bool {
	if s.match == nil {
		for _, g := range granted {
			if g == required {
				return true
			}
		}
		return false
	}
	for _, g := range granted {
		if s.match(g, required) {
			return true
		}
	}
	return false
}
