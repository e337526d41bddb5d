// Package route tells apishield's middleware which route a request is for
// before the router has run.
//
// The perimeter packages (cors, headers, limits, ipfilter, deprecation)
// run in front of authentication, where no router has matched the request
// yet, but their settings may differ per route ("bodies up to 10 MiB on
// POST /v1/uploads"). audit, too, names the route of a request that was
// refused before it reached the router. A route middleware placed
// outermost, right inside errors' Responder, asks the router which pattern
// the request will match, without running it, and records the pattern for
// every apishield package; [Pattern] reads it back.
//
// # Wiring
//
// On a standard library ServeMux:
//
//	handler := responder.Handler(route.Mux(mux)(stack))
//
// On chi, with the router the middleware is used in:
//
//	r := chi.NewRouter()
//	r.Use(route.Chi(r))
//
// On gorilla/mux, whose middleware runs only after a match, wrap the router
// and ask it with Match:
//
//	handler := route.Func(func(req *http.Request) string {
//		var m mux.RouteMatch
//		if !router.Match(req, &m) || m.Route == nil {
//			return ""
//		}
//		tpl, err := m.Route.GetPathTemplate()
//		if err != nil {
//			return ""
//		}
//		return req.Method + " " + tpl
//	})(router)
//
// Patterns are "METHOD /path/{name}" where the router knows the method
// (ServeMux patterns registered without one have none), the spelling every
// apishield route table uses as its key.
//
// # Security
//
// A pattern is what the router will match, not a promise that it will
// serve the request: a route's settings apply only to requests the router
// routes there. A request no route matches has no pattern, and gets each
// package's defaults, so defaults should be the strict side.
package route
