// Package deprecation tells callers that a route or an API version is
// going away, and stops serving it once its sunset date has passed.
//
// # What it protects against
//
// Old API versions that live forever: endpoints nobody dares to switch off
// because nobody knows who still calls them, which keep their old bugs and
// their weaker checks (OWASP API9, improper inventory management). Each
// request to a deprecated route is announced to the client in standard
// headers and recorded, with the caller's identity, in the audit event, so
// the owners know whom to tell; from the sunset date on, the route answers
// 410 Gone and its handler no longer runs.
//
// # Headers
//
// A request to a deprecated route is served with:
//
//	Deprecation: @1782863999                                       RFC 9745: a Structured Field Date (Unix seconds)
//	Sunset: Wed, 30 Jun 2027 23:59:59 GMT                          RFC 8594: an IMF-fixdate; only if a Sunset is set
//	Link: <https://developer.example.com/v1>; rel="deprecation"    RFC 9745: Policy.Docs
//	Link: </v2/items>; rel="successor-version"                     RFC 5829: Policy.Successor
//
// The headers are set before the handler runs, so every response of the
// route carries them, errors included. A Link that an outer middleware
// set is kept: ours are added after it.
//
// A deprecation date in the future is sent as well: RFC 9745 lets the
// Deprecation header carry a future date, which announces when the route
// will be deprecated, and early notice is the point. Such requests are
// recorded like deprecated ones.
//
// From the Sunset instant on (at or after it, on Config.Now's clock), the
// route answers 410 Gone, reason gone, as a problem written with
// apierrors.Write. The 410 still carries the Deprecation, Sunset and Link
// headers, so a client that follows the successor-version link finds the
// new version. A Policy without Sunset is never refused.
//
// # Routes and version prefixes
//
// Config.Routes keys single routes by pattern, as package route reports
// them ("GET /v1/items/{id}" for one method, "/v1/items/{id}" for all);
// Config.Prefixes deprecates whole versions by path prefix ("/v1/"). A
// prefix matches the cleaned request path (with //, . and .. resolved;
// decoded or escaped, see Security) segment by segment: "/v1" matches "/v1" and "/v1/items" but
// not "/v10" or "/v1.1". A route entry wins over a prefix, and the longest
// prefix over shorter ones.
//
// # Audit
//
// Every request to a deprecated route leaves a decision in the request
// record: package "deprecation", outcome allow (reason "deprecated") or
// deny (reason "gone"), and the rule that matched (the route key or the
// prefix). audit logs it in the request's one event beside the principal
// that auth records, and tags the event "deprecated_route" (ECS tags,
// OCSF metadata.labels), so a SIEM lists the callers still to be told
// with one query. Requests to other routes leave no decision.
//
// # Monitoring
//
// The Handler reports through the OpenTelemetry API to Config.MeterProvider
// (the global provider if nil), under the scope
// github.com/apishield/apishield/deprecation; nothing is recorded until
// the application installs an SDK. apishield.deprecation.calls counts the
// requests to deprecated routes by state: deprecated for one served with
// the deprecation headers (a deprecation announced for a later date
// included), sunset for one refused with 410 Gone. The count says how much
// traffic a sunset would break; who is calling, and which route, is in the
// audit log, never in the metric's attributes. Each call also adds the
// event apishield.deprecation.decision, with its state, to the request
// context's span when it is recording. Check counts nothing, nor do
// requests to other routes.
//
// # Wiring
//
// Place the middleware after auth, so the audit event names the caller
// (before auth works too, but a request refused as gone then has no
// principal in its event). Route entries need the route pattern before the
// router runs: put route.Mux, route.Chi or route.Func outermost.
//
//	dep, err := deprecation.New(deprecation.Config{
//		Prefixes: map[string]deprecation.Policy{"/v1/": {
//			Deprecated: time.Date(2026, 6, 30, 0, 0, 0, 0, time.UTC),
//			Sunset:     time.Date(2027, 6, 30, 0, 0, 0, 0, time.UTC),
//			Docs:       "https://developer.example.com/migrate-to-v2",
//			Successor:  "/v2/",
//		}},
//	})
//
// On a ServeMux:
//
//	handler := apierrors.Recover(aud.Handler(route.Mux(mux)(authn.Handler(dep.Handler(mux)))))
//
// On chi:
//
//	r := chi.NewRouter()
//	r.Use(route.Chi(r), aud.Handler, authn.Handler, dep.Handler)
//
// On gorilla/mux, with route.Func around the router (see package route)
// and the middleware in router.Use, or around the router as on ServeMux.
//
// [Middleware.Check] is the decision alone, for use outside a handler
// chain: it returns the [Notice] for a request (nil when not deprecated)
// and, past the sunset, an error to send with apierrors.Write.
// [Notice.SetHeaders] sets the headers on any header map.
//
// # Defaults
//
// The zero Config deprecates nothing and costs a nil check per request;
// a request to a route that is not deprecated costs a route-table miss and
// a prefix scan, without allocating (see bench_test.go). Config.Now defaults to time.Now. Every Policy needs a
// Deprecated date; Sunset, Docs and Successor are optional.
//
// # Security
//
// New refuses link targets that could break the header: Docs and
// Successor must be absolute https URLs (without user information) or
// relative references, spelled with RFC 3986 characters only, so no CR,
// LF, blank, '<', '>' or '"' can end the reference or the field, and no
// http, javascript or data URL, nor a scheme-relative "//host" one,
// reaches a client that follows the link.
//
// What it does not do:
//   - It does not make an old version safe: a deprecated route runs its
//     handler, with whatever checks it has, until the sunset.
//   - Route entries apply only when the route pattern is known before the
//     router runs (see package route); without it, only prefixes match.
//     Use prefixes for whole versions: they need no router help.
//   - Prefixes match the decoded path (URL.Path), as ServeMux routes,
//     and also the escaped path (URL.RawPath) when the request has one, as
//     chi routes: "/v1/%2e%2e/x" is under /v1 for a router that does not
//     decode it, and "/v1%2Fitems" is under /v1 once decoded. A path that
//     either spelling puts under a prefix gets its deprecation: it applies
//     to more requests, never to fewer.
//   - The successor link is the same for every request of a route: path
//     parameters are not carried over into it.
//   - Clients are free to ignore the headers; the 410 is the only
//     enforcement, and only once a Sunset is set and reached.
package deprecation
