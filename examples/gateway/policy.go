package main

import (
	"log/slog"
	"net/http"

	"github.com/apishield/apishield/authz"
	"github.com/apishield/apishield/examples/internal/demo"
)

// route is one entry of the gateway's route table.
type route struct {
	pattern string
	handler http.Handler
}

// routes is the one table of what the gateway answers: its own health
// check, and the upstream routes it forwards. A request that matches none
// is refused with a problem and never reaches the upstream. A body is
// checked against the upstream's contract (the demo item's here) at the
// gateway, so the upstream never parses a malformed one; strict mode refuses
// unknown fields, so a client cannot set "owner" or "id". The path is left
// to the gateway's own checks and the upstream.
func routes(proxy http.Handler) ([]route, error) {
	v, err := demo.NewValidators(nil)
	if err != nil {
		return nil, err
	}
	return []route{
		{"GET /healthz", http.HandlerFunc(healthz)},
		{"GET /v1/items", proxy},
		{"GET /v1/items/{id}", proxy},
		{"POST /v1/items", v.Create.Handler(proxy)},
	}, nil
}

// newPolicy is who may call which route. A route without an entry is
// refused; patterns lists every registered route, so a forgotten entry
// stops the gateway at start-up instead.
func newPolicy(mux *http.ServeMux, patterns []string, logger *slog.Logger) (*authz.Policy, error) {
	policy, err := authz.New(authz.Config{
		Mux:    mux, // the policy wraps the mux, so it asks the mux which pattern matches
		Logger: logger,
		Routes: map[string]authz.Rule{
			"GET /healthz":                          authz.Public(),
			"GET /.well-known/openid-configuration": authz.Public(),
			"GET /.well-known/jwks.json":            authz.Public(),
			"GET /v1/items":                         authz.AllScopes("items:read"),
			"GET /v1/items/{id}":                    authz.AllScopes("items:read"),
			"POST /v1/items":                        authz.AllScopes("items:write"),
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
