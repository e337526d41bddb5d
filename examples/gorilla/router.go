package main

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/apishield/apishield/audit"
	"github.com/apishield/apishield/auth"
	"github.com/apishield/apishield/auth/authtest"
	"github.com/apishield/apishield/authz"
	apierrors "github.com/apishield/apishield/errors"
	"github.com/apishield/apishield/route"
)

// pathParam reads gorilla/mux's path variables, which r.PathValue does not
// see: the validators, the handlers and the policy's Owner resolver all run
// after the router has matched.
func pathParam(r *http.Request, name string) string { return mux.Vars(r)[name] }

// newHandler builds the router and its middleware stack, outermost first:
// errors (request ID, panics) → route (asks the router which route will
// match) → audit → rate limit by IP → [router matches]
// → auth → rate limit by subject → authz policy → body limit → validate →
// handler.
//
// gorilla/mux runs r.Use middleware only on a matched route, so the first
// three wrap the whole router: unknown routes and methods are answered,
// audited and rate limited too. The body limit is in r.Use and also wraps
// the not-found and method-not-allowed handlers, so every body is bounded,
// matched or not.
func newHandler(ctx context.Context, logger *slog.Logger, dev *authtest.Issuer, aud *audit.Auditor) (http.Handler, error) {
	responder, err := apierrors.NewResponder(apierrors.Config{Logger: logger})
	if err != nil {
		return nil, err
	}
	v, err := newItemValidators(pathParam)
	if err != nil {
		return nil, err
	}
	jwt, err := newVerifier(ctx, dev, audience, logger)
	if err != nil {
		return nil, err
	}
	// Anonymous requests pass auth without a principal; the policy decides
	// (only public routes let them through). Bad credentials are refused.
	authn, err := auth.New(auth.Config{Authenticators: []auth.Authenticator{jwt}, AllowAnonymous: true, Logger: logger})
	if err != nil {
		return nil, err
	}
	perIP, perSubject, err := newRateLimits(nil, logger) // in memory
	if err != nil {
		return nil, err
	}
	items := newItemStore()
	bodyLimit, err := newBodyLimit()
	if err != nil {
		return nil, err
	}

	r := mux.NewRouter()
	r.NotFoundHandler = bodyLimit.Handler(http.HandlerFunc(apierrors.NotFound))
	r.MethodNotAllowedHandler = bodyLimit.Handler(methodNotAllowed(r))
	r.HandleFunc(authtest.DiscoveryPath, dev.ServeDiscovery).Methods(http.MethodGet) // the development issuer (startup.go)
	r.HandleFunc(authtest.JWKSPath, dev.ServeJWKS).Methods(http.MethodGet)
	r.HandleFunc("/healthz", healthz).Methods(http.MethodGet)
	r.Handle("/v1/items", v.list.Handler(http.HandlerFunc(items.list))).Methods(http.MethodGet)
	r.Handle("/v1/items", v.create.Handler(http.HandlerFunc(items.create))).Methods(http.MethodPost)
	r.Handle("/v1/items/{id}", v.id.Handler(http.HandlerFunc(items.get))).Methods(http.MethodGet)
	r.Handle("/v1/admin/items/{id}", v.id.Handler(http.HandlerFunc(items.remove))).Methods(http.MethodDelete)

	policy, err := newPolicy(r, items, v, logger)
	if err != nil {
		return nil, err
	}
	r.Use(authn.Handler, perSubject.Handler, policy.Handler, bodyLimit.Handler)

	var h http.Handler = r
	h = perIP.Handler(h)
	h = aud.Handler(h)
	h = route.Func(matchedRoute(r))(h) // the route for every package, even for early refusals
	return responder.Handler(h), nil
}

// methodNotAllowed is apierrors.MethodNotAllowed with the Allow header
// that RFC 9110 requires on a 405 and gorilla/mux does not set: the methods
// some route accepts at the request's path.
func methodNotAllowed(r *mux.Router) http.Handler {
	methods := []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		var allow []string
		for _, m := range methods {
			probe := *req
			probe.Method = m
			var match mux.RouteMatch
			if r.Match(&probe, &match) && match.MatchErr == nil {
				allow = append(allow, m)
			}
		}
		w.Header().Set("Allow", strings.Join(allow, ", "))
		apierrors.MethodNotAllowed(w, req)
	})
}

// routeTemplate is the path template of the route gorilla/mux matched, such
// as "/v1/items/{id}", or "" outside a matched route.
func routeTemplate(r *http.Request) string {
	cur := mux.CurrentRoute(r)
	if cur == nil {
		return ""
	}
	tpl, _ := cur.GetPathTemplate()
	return tpl
}

// matchedRoute asks router, before it runs, which route a request will
// match, as "METHOD template": gorilla/mux keeps its match in a request
// copy that nothing outside the router sees, and runs middleware only for
// matched routes, so the audit event of a request refused before the
// router (rate limit by IP) would otherwise name no route.
func matchedRoute(router *mux.Router) func(*http.Request) string {
	return func(r *http.Request) string {
		var m mux.RouteMatch
		if !router.Match(r, &m) || m.Route == nil || m.MatchErr != nil {
			return ""
		}
		tpl, err := m.Route.GetPathTemplate()
		if err != nil {
			return ""
		}
		return r.Method + " " + tpl
	}
}

// newPolicy is who may do what, route by route. A route without an entry is
// refused; every route registered on r is checked at start-up, so a
// forgotten entry stops the server instead. The policy runs in r.Use, after
// gorilla/mux has matched, so mux.Vars is set for the Owner resolver.
//
// The order of checks on a route, the same on every route: authentication
// (401), then the rules on the caller, scopes, roles and step-up (403 or
// 401), then the path parameters (422), then the object's owner (404 if it
// does not exist, 403 if it is not the caller's), then the query and body
// (422, 400, 413, 415). So GET /v1/items/abc and DELETE
// /v1/admin/items/abc are both 422 for a caller the route admits.
func newPolicy(r *mux.Router, items *itemStore, v *itemValidators, logger *slog.Logger) (*authz.Policy, error) {
	policy, err := authz.New(authz.Config{
		Pattern:   routeTemplate,
		PathValue: pathParam,
		Logger:    logger,
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
	if err != nil {
		return nil, err
	}
	routes, err := registeredRoutes(r)
	if err != nil {
		return nil, err
	}
	if err := policy.CheckRoutes(routes...); err != nil {
		return nil, err
	}
	return policy, nil
}

// registeredRoutes lists r's routes as "METHOD template", or the template
// alone for a route that takes every method.
func registeredRoutes(r *mux.Router) ([]string, error) {
	var out []string
	err := r.Walk(func(route *mux.Route, _ *mux.Router, _ []*mux.Route) error {
		tpl, err := route.GetPathTemplate()
		if err != nil {
			return nil // a route without a path (a bare subrouter matcher)
		}
		methods, err := route.GetMethods()
		if err != nil {
			out = append(out, tpl)
			return nil
		}
		for _, m := range methods {
			out = append(out, m+" "+tpl)
		}
		return nil
	})
	return out, err
}
