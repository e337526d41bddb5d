package main

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/apishield/apishield/authz"
	"github.com/apishield/apishield/examples/internal/demo"
)

// apiRoute is one entry of the API's route table.
type apiRoute struct {
	pattern string
	handler http.Handler
}

// routes is the one table of the API's routes: they are registered from it,
// and the policy is checked against it at start-up. Routes that take input
// run their validator after the policy has allowed the request.
func routes(items *demo.Store, v *demo.Validators) []apiRoute {
	return []apiRoute{
		{"GET /healthz", http.HandlerFunc(healthz)},
		{"GET /v1/items", v.List.Handler(http.HandlerFunc(items.List))},
		{"POST /v1/items", v.Create.Handler(http.HandlerFunc(items.Create))},
		{"GET /v1/items/{id}", v.ID.Handler(http.HandlerFunc(items.Get))},
		{"DELETE /v1/admin/items/{id}", v.ID.Handler(http.HandlerFunc(items.Delete))},
	}
}

// newPolicy is who may do what, route by route. A route without an entry
// is refused; patterns lists every registered route, so a forgotten entry
// stops the server at start-up instead.
func newPolicy(mux *http.ServeMux, items *demo.Store, patterns []string, logger *slog.Logger) (*authz.Policy, error) {
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
			"GET /v1/items/{id}": authz.And(authz.AllScopes("items:read"), authz.Owner(items.OwnerOf(nil))),
			// Sensitive: an admin who signed in with a second factor within 10 minutes.
			"DELETE /v1/admin/items/{id}": authz.And(
				authz.AnyRole("admin"),
				authz.StepUp(authz.StepUpOptions{AMR: []string{"mfa", "otp", "hwk"}, MaxAge: 10 * time.Minute}),
			),
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
