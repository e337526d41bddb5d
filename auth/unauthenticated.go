package auth

import (
	"context"
	"net/http"

	apierrors "github.com/apishield/apishield/errors"
	"github.com/apishield/apishield/internal/record"
)

// The problem for a request without credentials is decided in one place.
// auth's middleware writes it when it refuses such a request; when it lets
// one through (Config.AllowAnonymous) it leaves the same problem in the
// request record (no allocation, unlike a context value), and middleware further in that needs a caller (authz)
// writes it with [UnauthenticatedProblem]. A client therefore gets the
// same 401, realm and schemes included, whichever package decided that it
// must authenticate.

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
	p := fallbackUnauthenticated
	if rec := record.From(ctx); rec != nil {
		if left, ok := rec.Unauthenticated().(*apierrors.Problem); ok {
			p = left
		}
	}
	q := *p
	q.Header = p.Header.Clone()
	return &q
}

// leaveAnonymous records the middleware's problem for no credentials in
// rec, for UnauthenticatedProblem.
func (m *Middleware) leaveAnonymous(rec *record.Record) {
	rec.SetUnauthenticated(m.noCredentials)
}
