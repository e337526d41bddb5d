package authz

import (
	"net/http"
	"slices"
	"strings"

	"github.com/apishield/apishield/auth"
	apierrors "github.com/apishield/apishield/errors"
)

// SenderConstrained returns a rule for routes where a stolen token must be
// worthless: the principal's token must be bound to its sender, and the
// binding proven on this request ([auth.Principal.Binding]), by a DPoP
// proof (auth.BindingDPoP, RFC 9449) or the client certificate
// (auth.BindingMTLS, RFC 8705). bindings narrows which are accepted; none
// means either. It lets an authenticator in auth.DPoPAllowed mode, which
// takes bearer tokens elsewhere, require DPoP on some routes.
//
// It fails with 401 invalid_token and a challenge that asks for a DPoP
// token (or, when only mtls is accepted, a bearer one: no HTTP scheme asks
// for a certificate):
//
//	WWW-Authenticate: DPoP error="invalid_token",
//	  error_description="This route requires a sender-constrained token"
func SenderConstrained(bindings ...string) Rule {
	s := &senderConstrained{bindings: slices.Clone(bindings)}
	if len(s.bindings) == 0 {
		s.bindings = []string{auth.BindingDPoP, auth.BindingMTLS}
	}
	s.name = "sender_constrained(" + strings.Join(s.bindings, ", ") + ")"
	for _, b := range s.bindings {
		if b != auth.BindingDPoP && b != auth.BindingMTLS {
			return invalidRule(s.name, "binding %q is not %q or %q", b, auth.BindingDPoP, auth.BindingMTLS)
		}
	}
	scheme := "Bearer"
	if slices.Contains(s.bindings, auth.BindingDPoP) {
		scheme = "DPoP"
	}
	s.problem = apierrors.New(http.StatusUnauthorized, apierrors.ReasonInvalidToken,
		"This route requires a sender-constrained token.").
		WithHeader("WWW-Authenticate", scheme+` error="invalid_token", error_description="This route requires a sender-constrained token"`)
	s.denied = &verdict{deny: s.problem, rule: s.name}
	return s
}

type senderConstrained struct {
	bindings []string
	name     string
	problem  *apierrors.Problem
	denied   *verdict
}

func (s *senderConstrained) String() string { return s.name }
func (s *senderConstrained) check() error   { return nil }

func (s *senderConstrained) eval(_ *http.Request, p *auth.Principal, _ pathValues) *verdict {
	if p.Binding == "" || !slices.Contains(s.bindings, p.Binding) {
		return s.denied
	}
	return nil
}
