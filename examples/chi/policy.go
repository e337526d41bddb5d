package main

import (
	"log/slog"
	"time"

	"github.com/apishield/apishield/authz"
)

// newPolicy is who may do what, route by route, in chi's patterns with the
// method in front. A route without an entry is refused, and
// newHandler's policy.CheckChi stops the server at start-up when a
// registered route has none.
//
// The policy runs in r.Use on the root router, before chi has routed; it
// matches the route itself with chi's Find, and while a rule runs,
// chi.URLParam reads the values of that match, so the Owner resolver reads
// {id} as the handlers do (through the id validator, chi.URLParam).
//
// The order of checks on a route, the same on every route: authentication
// (401), then the rules on the caller, scopes, roles and step-up (403 or
// 401), then the path parameters (422), then the object's owner (404 if it
// does not exist, 403 if it is not the caller's), then the query and body
// (422, 400, 413, 415). So GET /v1/items/abc and DELETE
// /v1/admin/items/abc are both 422 for a caller the route admits.
func newPolicy(items *itemStore, v *itemValidators, logger *slog.Logger) (*authz.Policy, error) {
	return authz.New(authz.Config{
		Logger: logger,
		Routes: map[string]authz.Rule{
			"GET /healthz":                          authz.Public(),
			"GET /.well-known/openid-configuration": authz.Public(),
			"GET /.well-known/jwks.json":            authz.Public(),
			"GET /v1/items":                         authz.AllScopes("items:read"),
			"POST /v1/items":                        authz.AllScopes("items:write"),
			// Object level (BOLA): only the item's owner may read it.
			"GET /v1/items/{id}": authz.And(authz.AllScopes("items:read"), authz.Owner(items.ownerOf(v.id))),
			// Sensitive: an admin who signed in with a second factor within 10 minutes.
			"DELETE /v1/admin/items/{id}": authz.And(
				authz.AnyRole("admin"),
				authz.StepUp(authz.StepUpOptions{AMR: []string{"mfa", "otp", "hwk"}, MaxAge: 10 * time.Minute}),
			),
		},
	})
}
