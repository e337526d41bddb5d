package authz

import (
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/go-chi/chi/v5"
)

// ErrUnprotected is wrapped by the error of a start-up check that found
// routes without a policy entry.
var ErrUnprotected = errors.New("authz: routes without a policy")

// An UnprotectedError lists the routes a start-up check found without a
// policy entry. Its Unwrap returns ErrUnprotected.
type UnprotectedError struct {
	Routes []string // "METHOD pattern", in the order they were given
}

// Error lists the routes.
func (e *UnprotectedError) Error() string {
	return ErrUnprotected.Error() + ": " + strings.Join(e.Routes, ", ")
}

// Unwrap returns ErrUnprotected.
func (e *UnprotectedError) Unwrap() error { return ErrUnprotected }

// CheckRoutes is the start-up check: it returns an *UnprotectedError
// listing every route that has no policy entry, or nil. A route is
// "METHOD pattern", or a pattern alone for a route that takes every method,
// which counts as covered when any entry names its pattern (the methods
// without one are refused at run time). Pass the patterns you register on
// a ServeMux, [ChiRoutes] of a chi router, or a gorilla/mux router's
// templates collected with Router.Walk.
func (pol *Policy) CheckRoutes(routes ...string) error {
	var missing []string
	for _, route := range routes {
		method, path := splitPattern(strings.TrimSpace(route), "")
		if method == "*" {
			method = ""
		}
		if method == "" {
			if pol.routes[path] == nil {
				missing = append(missing, route)
			}
			continue
		}
		if pol.lookup(method, path) == nil {
			missing = append(missing, route)
		}
	}
	if missing != nil {
		return &UnprotectedError{Routes: missing}
	}
	return nil
}

// CheckChi is CheckRoutes for every route of a chi router.
func (pol *Policy) CheckChi(r chi.Routes) error {
	routes, err := ChiRoutes(r)
	if err != nil {
		return err
	}
	return pol.CheckRoutes(routes...)
}

// ChiRoutes lists a chi router's routes as "METHOD pattern", sorted, and
// spelled as chi's RoutePattern reports them at run time, which is how
// policy keys for chi are written. chi lists a route that takes every
// method (r.Handle) once per method; an entry without a method covers them.
func ChiRoutes(r chi.Routes) ([]string, error) {
	var routes []string
	err := chi.Walk(r, func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		p := chiPattern(route)
		if method == "*" || method == "" {
			routes = append(routes, p)
		} else {
			routes = append(routes, method+" "+p)
		}
		return nil
	})
	slices.Sort(routes)
	return routes, err
}
