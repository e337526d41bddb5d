package main

import (
	_ "embed"
	"log/slog"
	"net/http"

	"github.com/apishield/apishield/auth/authtest"
	"github.com/apishield/apishield/authz"
	"github.com/apishield/apishield/validate"
)

// itemSchema is the upstream's contract for a new item, checked at the
// gateway so the upstream never parses a malformed one.
//
//go:embed schemas/item-create.json
var itemSchema []byte

// apiRoute is one entry of the gateway's route table: what it answers, who may
// call it, and which protocols a request on it may switch to.
type apiRoute struct {
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
// "owner" or "id". The path is left to the gateway's own checks and the
// upstream, which answers for its objects; the gateway has no owner check
// to order against path validation. The development issuer's documents
// are served beside them (startup.go).
func routes(dev *authtest.Issuer, proxy http.Handler) ([]apiRoute, error) {
	create, err := validate.New(validate.Config{Body: itemSchema, MaxBodyBytes: 64 << 10})
	if err != nil {
		return nil, err
	}
	return []apiRoute{
		{pattern: "GET /healthz", rule: authz.Public(), handler: http.HandlerFunc(healthz)},
		{pattern: "GET " + authtest.DiscoveryPath, rule: authz.Public(), handler: http.HandlerFunc(dev.ServeDiscovery)},
		{pattern: "GET " + authtest.JWKSPath, rule: authz.Public(), handler: http.HandlerFunc(dev.ServeJWKS)},
		{pattern: "GET /v1/items", rule: authz.AllScopes("items:read"), handler: proxy},
		{pattern: "GET /v1/items/{id}", rule: authz.AllScopes("items:read"), handler: proxy},
		{pattern: "POST /v1/items", rule: authz.AllScopes("items:write"), handler: create.Handler(proxy)},
	}, nil
}

// newPolicy is who may call which route, from the table. A route without a
// rule stops the gateway at start-up.
func newPolicy(mux *http.ServeMux, table []apiRoute, logger *slog.Logger) (*authz.Policy, error) {
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
