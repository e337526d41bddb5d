package main

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/apishield/apishield/auth/authtest"
	"github.com/apishield/apishield/authz"
)

// apiRoute is one entry of the API's route table.
type apiRoute struct {
	pattern string
	handler http.Handler
}

// routes is the one table of the API's routes: they are registered from it,
// and the policy is checked against it at start-up. Routes that take input
// run their validator after the policy has allowed the request. The
// development issuer's documents are served beside the API (startup.go).
func routes(dev *authtest.Issuer, items *itemStore, v *itemValidators, sess *sessions) []apiRoute {
	return []apiRoute{
		{"GET /healthz", http.HandlerFunc(healthz)},
		{"GET " + authtest.DiscoveryPath, http.HandlerFunc(dev.ServeDiscovery)},
		{"GET " + authtest.JWKSPath, http.HandlerFunc(dev.ServeJWKS)},
		{"GET /v1/items", v.list.Handler(http.HandlerFunc(items.list))},
		{"POST /v1/items", v.create.Handler(http.HandlerFunc(items.create))},
		{"GET /v1/items/{id}", v.id.Handler(http.HandlerFunc(items.get))},
		{"DELETE /v1/admin/items/{id}", v.id.Handler(http.HandlerFunc(items.remove))},
		{"DELETE /v1/admin/sessions/{sub}", http.HandlerFunc(sess.signOut)},
	}
}

// newPolicy is who may do what, route by route. A route without an entry
// is refused; patterns lists every registered route, so a forgotten entry
// stops the server at start-up instead.
//
// The order of checks on a route, the same on every route: authentication
// (401), then the rules on the caller, scopes, roles and step-up (403 or
// 401), then the path parameters (422), then the object's owner (404 if it
// does not exist, 403 if it is not the caller's), then the query and body
// (422, 400, 413, 415). So GET /v1/items/abc and DELETE
// /v1/admin/items/abc are both 422 for a caller the route admits.
func newPolicy(mux *http.ServeMux, items *itemStore, v *itemValidators, patterns []string, logger *slog.Logger) (*authz.Policy, error) {
	adminMFA := authz.And(
		authz.AnyRole("admin"),
		authz.StepUp(authz.StepUpOptions{AMR: []string{"mfa", "otp", "hwk"}, MaxAge: 10 * time.Minute}),
	)
	policy, err := authz.New(authz.Config{
		Mux:    mux, // the policy wraps the mux, so it asks the mux which pattern matches
		Logger: logger,
		Routes: map[string]authz.Rule{
			"GET /healthz":                          authz.Public(),
			"GET /.well-known/openid-configuration": authz.Public(),
			"GET /.well-known/jwks.json":            authz.Public(),
			"GET /v1/items":                         authz.AllScopes("items:read"),
			"POST /v1/items":                        authz.AllScopes("items:write"),
			// Object level (BOLA): only the item's owner may read it.
			"GET /v1/items/{id}": authz.And(authz.AllScopes("items:read"), authz.Owner(items.ownerOf(v.id))),
			// Sensitive (adminMFA): an admin who signed in with a second
			// factor within 10 minutes.
			"DELETE /v1/admin/items/{id}": adminMFA,
			// Sign a user out everywhere: as sensitive.
			"DELETE /v1/admin/sessions/{sub}": adminMFA,
		},
	})
	if err != nil {
		return nil, err
	}
	if err := policy.CheckRoutes(patterns...); err != nil {
		return nil, err
	}
	return policy, nil
}
