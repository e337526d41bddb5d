package openapi

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/apishield/apishield/auth"
	"github.com/apishield/apishield/authz"
	apierrors "github.com/apishield/apishield/errors"
)

// This file turns an operation's security into one authz.Rule, built at
// load: an Or of the requirement's alternatives, each an And of its
// schemes. A scheme becomes a check of how auth proved the principal, plus
// the scopes (oauth2, openIdConnect) or roles (every other type, as OAS
// 3.1 calls them) it names:
//
//	http bearer, oauth2, openIdConnect  a bearer token: Method "jwt" or "introspection"
//	apiKey                              an API key: Method "api_key"
//	mutualTLS                           a client certificate: Method "mtls", or a
//	                                    token bound to the certificate (Binding "mtls")
//
// auth proves one credential per request, so an alternative that combines
// a bearer token and an API key is never met; it refuses, failing closed.

// accessRule returns the rule for op's security: nil for a public
// operation; deny true for one Config.Undeclared refuses outright.
func accessRule(op *operation, undeclared Undeclared) (rule authz.Rule, deny bool, err error) {
	if !op.securityDeclared {
		switch undeclared {
		case UndeclaredAuthenticated:
			return authz.Authenticated(), false, nil
		case UndeclaredDeny:
			return nil, true, nil
		case UndeclaredPublic:
			return nil, false, nil
		}
		return nil, false, fmt.Errorf("%w: Undeclared %d is not a known value", ErrInvalidConfig, undeclared)
	}
	if op.public() {
		return nil, false, nil
	}
	alts := make([]authz.Rule, 0, len(op.security))
	for _, req := range op.security {
		all := make([]authz.Rule, 0, 2*len(req))
		for _, use := range req {
			rs, err := schemeRules(use)
			if err != nil {
				return nil, false, err
			}
			all = append(all, rs...)
		}
		if len(all) == 1 {
			alts = append(alts, all[0])
		} else {
			alts = append(alts, authz.And(all...))
		}
	}
	rule = alts[0]
	if len(alts) > 1 {
		rule = authz.Or(alts...)
	}
	if err := validRule(rule); err != nil {
		return nil, false, fmt.Errorf("%w: security: %w", ErrInvalidDocument, err)
	}
	return rule, false, nil
}

// schemeRules returns the rules of one scheme of a requirement: the
// credential it takes, then its scopes or roles, if any.
func schemeRules(use schemeUse) ([]authz.Rule, error) {
	s := use.scheme
	var cred authz.Rule
	scopes := false
	switch s.kind {
	case "http":
		if s.httpScheme != "bearer" {
			return nil, fmt.Errorf("%w: security scheme %q: http scheme %q is not supported (bearer only)", ErrInvalidDocument, s.name, s.httpScheme)
		}
		cred = ruleBearer
	case "oauth2", "openIdConnect":
		cred, scopes = ruleBearer, true
	case "apiKey":
		cred = ruleAPIKey
	case "mutualTLS":
		cred = ruleMTLS
	default:
		return nil, fmt.Errorf("%w: security scheme %q: type %q is not supported", ErrInvalidDocument, s.name, s.kind)
	}
	if len(use.scopes) == 0 {
		return []authz.Rule{cred}, nil
	}
	if scopes {
		return []authz.Rule{cred, authz.AllScopes(use.scopes...)}, nil
	}
	return []authz.Rule{cred, authz.AllRoles(use.scopes...)}, nil
}

// validRule reports a rule built with bad arguments (a scope that is not
// an RFC 6749 scope token, say) at load rather than as a 500 per request:
// authz checks a rule when a Policy is built, so one is built for it.
func validRule(rule authz.Rule) error {
	_, err := authz.New(authz.Config{Routes: map[string]authz.Rule{"/": rule}})
	return err
}

// The credential rules. A principal proved another way is refused with
// 403 forbidden naming the credential the operation takes: the caller did
// authenticate, with a credential this operation does not accept.
var (
	ruleBearer = credentialRule("bearer", "a bearer access token", func(p *auth.Principal) bool {
		return p.Method == auth.MethodJWT || p.Method == auth.MethodIntrospection
	})
	ruleAPIKey = credentialRule("api_key", "an API key", func(p *auth.Principal) bool {
		return p.Method == auth.MethodAPIKey
	})
	ruleMTLS = credentialRule("mtls", "a client certificate", func(p *auth.Principal) bool {
		return p.Method == auth.MethodMTLS || p.Binding == auth.BindingMTLS
	})
)

func credentialRule(name, what string, ok func(*auth.Principal) bool) authz.Rule {
	denied := apierrors.New(http.StatusForbidden, apierrors.ReasonForbidden,
		"The operation requires "+what+".")
	return authz.Func(name, func(_ *http.Request, p *auth.Principal) error {
		if ok(p) {
			return nil
		}
		return denied
	})
}

// APIKeySources returns where the document's apiKey security schemes
// carry their keys, for auth.Config: the header, query and cookie names,
// each sorted and without duplicates. Package auth reads API keys from
// X-API-Key and "Authorization: ApiKey" only, unless its Config names
// other places; wire them from here so auth reads what the document
// declares (see the package documentation, Wiring).
func (c *Contract) APIKeySources() (headers, queries, cookies []string) {
	for _, s := range c.doc.schemes {
		if s.kind != "apiKey" {
			continue
		}
		switch s.in.String() {
		case "header":
			headers = append(headers, http.CanonicalHeaderKey(s.paramName))
		case "query":
			queries = append(queries, s.paramName)
		case "cookie":
			cookies = append(cookies, s.paramName)
		}
	}
	for _, l := range []*[]string{&headers, &queries, &cookies} {
		slices.SortFunc(*l, strings.Compare)
		*l = slices.Compact(*l)
	}
	return headers, queries, cookies
}
