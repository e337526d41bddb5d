package auth

import (
	"context"
	"net/http"

	apierrors "github.com/apishield/apishield/errors"
)

// The problem for a request without credentials is decided in one place.
// auth's middleware writes it when it refuses such a request; when it lets
// one through (Config.AllowAnonymous) it leaves the same problem in the
// request's context, and middleware further in that needs a caller (authz)
// writes it with [UnauthenticatedProblem]. A client therefore gets the
// same 401, realm and schemes included, whichever package decided that it
// must authenticate.

// anonymousKey is the context key of the problem auth left for a request
// it let through without credentials.
type anonymousKey struct{}

// fallbackUnauthenticated is the problem without auth's middleware in the
// stack: no realm or scheme is configured, so the RFC 6750 default.
var fallbackUnauthenticated = apierrors.New(http.StatusUnauthorized, apierrors.ReasonUnauthenticated,
	"This operation needs an authenticated caller.").WithHeader("WWW-Authenticate", `Bearer realm="`+defaultRealm+`"`)

// defaultRealm is the realm when Config.Realm is empty.
const defaultRealm = "api"

// UnauthenticatedProblem returns the 401 problem for a request that must
// authenticate but has no principal: exactly the problem (reason
// "unauthenticated", detail, and WWW-Authenticate with the realm and every
// scheme the middleware takes) that the auth middleware which let the
// request through as anonymous writes for a request without credentials.
// authz answers with it, so a 401 is the same whether auth or authz
// decided it. Without auth's middleware before the caller, it is a 401
// unauthenticated with WWW-Authenticate: Bearer realm="api".
//
// The problem is a copy the caller may modify.
func UnauthenticatedProblem(ctx context.Context) *apierrors.Problem {
	p, ok := ctx.Value(anonymousKey{}).(*apierrors.Problem)
	if !ok {
		p = fallbackUnauthenticated
	}
	q := *p
	q.Header = p.Header.Clone()
	return &q
}

// withAnonymous returns r with the middleware's problem for no credentials
// in its context, for UnauthenticatedProblem.
func (m *Middleware) withAnonymous(r *http.Request) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), anonymousKey{}, m.noCredentials))
}
