package main

import (
	"log/slog"
	"net/http"

	"github.com/apishield/apishield/authz"
	"github.com/apishield/apishield/examples/internal/demo"
	"github.com/apishield/apishield/examples/internal/devissuer"
)

// route is one entry of the gateway's route table: what it answers, who may
// call it, and which protocols a request on it may switch to.
type route struct {
	pattern string
	rule    authz.Rule
	handler http.Handler
	// upgrades are the protocols (Upgrade header tokens such as
	// "websocket") a request on this route may switch to. Empty, the
	// default, refuses every Upgrade: once switched, the connection is a raw
	// tunnel that no middleware sees past the handshake.
	upgrades []string
}

// routes is the one table of what the gateway answers: its own health
// check and the development issuer's documents, and the upstream routes it
// forwards. A request that matches none is refused with a problem and never
// reaches the upstream. A body is checked against the upstream's contract
// (the demo item's here) at the gateway, so the upstream never parses a
// malformed one; strict mode refuses unknown fields, so a client cannot set
// "owner" or "id". The path is left to the
// gateway's own checks and the upstream.
func routes(dev *devissuer.Issuer, proxy http.Handler) ([]route, error) {
	v, err := demo.NewValidators(nil)
	if err != nil {
		return nil, err
	}
	return []route{
		{pattern: "GET /healthz", rule: authz.Public(), handler: http.HandlerFunc(healthz)},
		{pattern: "GET " + devissuer.DiscoveryPath, rule: authz.Public(), handler: http.HandlerFunc(dev.ServeDiscovery)},
		{pattern: "GET " + devissuer.JWKSPath, rule: authz.Public(), handler: http.HandlerFunc(dev.ServeJWKS)},
		{pattern: "GET /v1/items", rule: authz.AllScopes("items:read"), handler: proxy},
		{pattern: "GET /v1/items/{id}", rule: authz.AllScopes("items:read"), handler: proxy},
		{pattern: "POST /v1/items", rule: authz.AllScopes("items:write"), handler: v.Create.Handler(proxy)},
	}, nil
}

// newPolicy is who may call which route, from the table. A route without a
// rule stops the gateway at start-up.
func newPolicy(mux *http.ServeMux, table []route, logger *slog.Logger) (*authz.Policy, error) {
	rules := make(map[string]authz.Rule, len(table))
	patterns := make([]string, 0, len(table))
	for _, rt := range table {
		if rt.rule != nil {
			rules[rt.pattern] = rt.rule
		}
		patterns = append(patterns, rt.pattern)
	}
	policy, err := authz.New(authz.Config{
		Mux:    mux, // the policy wraps the mux, so it asks the mux which pattern matches
		Logger: logger,
		Routes: rules,
	})
	if err != nil {
		return nil, err
	}
	if err := policy.CheckRoutes(patterns...); err != nil {
		return nil, err
	}
	return policy, nil
}
