package main

import (
	"log/slog"
	"time"

	"github.com/apishield/apishield/authz"
	"github.com/apishield/apishield/examples/internal/demo"
)

// newPolicy is who may do what, route by route, in chi's patterns with the
// method in front. A route without an entry is refused, and
// newHandler's policy.CheckChi stops the server at start-up when a
// registered route has none.
//
// The policy runs in r.Use on the root router, before chi has routed, so it
// matches the route itself with chi's Find and puts the path values on the
// request: an Owner resolver reads them with r.PathValue, not
// chi.URLParam, which is still empty at that point.
func newPolicy(items *demo.Store, logger *slog.Logger) (*authz.Policy, error) {
	return authz.New(authz.Config{
		Logger: logger,
		Routes: map[string]authz.Rule{
			"GET /healthz":                          authz.Public(),
			"GET /.well-known/openid-configuration": authz.Public(),
			"GET /.well-known/jwks.json":            authz.Public(),
			"GET /v1/items":                         authz.AllScopes("items:read"),
			"POST /v1/items":                        authz.AllScopes("items:write"),
			// Object level (BOLA): only the item's owner may read it.
			"GET /v1/items/{id}": authz.And(authz.AllScopes("items:read"), authz.Owner(items.OwnerOf(nil))),
			// Sensitive: an admin who signed in with a second factor within 10 minutes.
			"DELETE /v1/admin/items/{id}": authz.And(
				authz.AnyRole("admin"),
				authz.StepUp(authz.StepUpOptions{AMR: []string{"mfa", "otp", "hwk"}, MaxAge: 10 * time.Minute}),
			),
		},
	})
}
