// Package cors is apishield's Cross-Origin Resource Sharing middleware: it
// answers browsers' preflights itself and decides, before authentication
// runs, whether a page on another origin may call the API.
//
// # What it protects against
//
//   - Pages on other origins reading the API's responses with the user's
//     cookies: only listed origins get Access-Control-Allow-Origin, and
//     credentials are allowed only per policy and never with "*" (a config
//     error, not a silent downgrade).
//   - Cross-site requests that need no preflight (a form POST, a fetch with
//     text/plain): the browser sends them whatever the answer will be, so
//     a request whose Origin is not allowed is refused here, with a 403
//     origin_not_allowed problem, and never reaches the handler. rs/cors
//     lets such a request through without CORS headers, and the handler
//     runs; this package does not.
//   - Look-alike origins: the Origin header must be spelled exactly as
//     browsers serialize origins (lower case, ASCII, no default port, no
//     trailing dot, no user info or path), so "https://example.com.evil.test",
//     "https://evilexample.com", "https://example.com@evil.test",
//     "https://APP.example.com", "https://app.example.com." and homoglyphs
//     are refused, and so is "null" (sandboxed frames, files, data URLs).
//     Wildcards match one label, like TLS certificates: "https://*.example.com"
//     allows "https://a.example.com", never the apex nor
//     "https://a.b.example.com".
//   - Cache poisoning: every response carries Vary: Origin, and a
//     preflight's also Vary on the Access-Control-Request-* headers.
//   - Public pages reaching private-network APIs: a Private Network Access
//     preflight is refused unless the policy sets AllowPrivateNetwork.
//
// # Requests
//
// A request without Origin is not a CORS request: it passes, untouched but
// for Vary. A request from the API's own origin (Sec-Fetch-Site:
// same-origin, or the Origin equals the request's scheme and Host) passes
// without CORS headers; so does "null" with Sec-Fetch-Site: same-origin,
// which is what a page with Referrer-Policy: no-referrer sends with a form
// POST to its own origin. A preflight (OPTIONS with
// Access-Control-Request-Method) is answered 204 with the
// Access-Control-Allow-* headers, or 403; it never reaches the handler. A
// cross-origin request whose origin and method the route's policy allows
// gets Access-Control-Allow-Origin (and -Credentials, -Expose-Headers) and
// reaches the handler. Every other request with an Origin gets a 403
// origin_not_allowed problem through apierrors.Write, without CORS
// headers, so the page cannot read it. Decisions go to the request record:
// allow with the origin rule that matched, skip for same-origin requests,
// deny with the rule that refused ("origin", "method", "headers" or
// "private-network"); audit logs them.
//
// [Middleware.Check] is the decision without the response, for use outside
// the middleware; a WebSocket upgrader's origin check, for example:
//
//	upgrader.CheckOrigin = func(r *http.Request) bool { return c.Check(r) == nil }
//
// # Wiring
//
// Put it outside auth, authz and the rate limiters, right inside audit:
// preflights are answered before any credential is looked at, and the
// 401, 403 and 429 problems of the middleware after it carry
// Access-Control-Allow-Origin, so the calling page can read them (expose
// Retry-After and X-Request-Id for it to see those too).
//
// On a standard library ServeMux:
//
//	c, err := cors.New(cors.Config{Policy: cors.Policy{
//		AllowedOrigins: []string{"https://app.example.com"},
//		AllowedMethods: []string{"GET", "POST", "PUT", "DELETE"},
//		AllowedHeaders: []string{"Authorization", "Content-Type"},
//		ExposedHeaders: []string{"X-Request-Id", "Retry-After"},
//		MaxAge:         time.Hour,
//	}})
//	handler := responder.Handler(route.Mux(mux)(auditor.Handler(c.Handler(stack))))
//
// On chi: r.Use(route.Chi(r), auditor.Handler, c.Handler). On gorilla/mux,
// whose middleware runs only after a route matched (and a preflight
// matches no route), wrap the router: c.Handler(router).
//
// # Per-route policies
//
// Config.Routes gives routes their own policy, keyed as package route
// reports patterns ("PUT /v1/items/{id}", or "/v1/public" for every
// method). A preflight is an OPTIONS request, which the router would not
// route to the PUT it announces, so Config.Route takes the route
// middleware (route.Mux(mux), route.Chi(r), a route.Func) and the
// preflight is answered with the policy of the route its
// Access-Control-Request-Method will reach. That costs a preflight a run
// of the route middleware on a copy of the request (a few microseconds
// and a dozen allocations); browsers cache the answer for MaxAge.
//
// # Defaults
//
// The zero Config allows no origin: every cross-origin request is refused,
// and same-origin and non-browser requests pass. Methods default to GET,
// HEAD and POST; request headers, exposed headers, credentials, Private
// Network Access and Access-Control-Max-Age default to none.
//
// # Monitoring
//
// The Handler reports through the OpenTelemetry API to Config.MeterProvider
// (the global provider if nil), under the scope
// github.com/apishield/apishield/cors; nothing is recorded until the
// application installs an SDK. apishield.cors.decisions counts each
// request that carries an Origin once, by outcome and reason: allow with
// reason ok (a cross-origin request allowed, or a request from the API's
// own origin), preflight with reason ok (a preflight answered 204), or
// deny with reason origin_not_allowed (a request or preflight refused).
// Requests without an Origin are not CORS requests and are not counted;
// Check counts nothing. Each refusal (and preflight) also adds the event
// apishield.cors.decision, with its attributes, to the request context's
// span when it is recording; an allowed request is only counted, so the
// allow path stays one atomic add. Attributes never hold the origin or the
// route.
//
// # Security
//
// CORS is enforced by browsers for browsers' users. It is not access
// control: any client other than a browser sends whatever Origin it likes,
// or none, and passes. Authenticate and authorize every request as if
// this package were not there.
//
// A request with no Origin passes, so a cross-site navigation (a GET link,
// which carries no Origin) reaches the handler; GET must stay safe. Older
// browsers without Sec-Fetch-Site send no Origin on some cross-site
// requests; SameSite cookies cover those.
//
// A wildcard origin trusts every host under the name, including one taken
// over through a dangling DNS record; with AllowCredentials it gives that
// host the user's session. There is no public-suffix list here:
// "https://*.co.uk" is refused only because it is not two labels deep
// after the wildcard; "https://*.github.io" is accepted, and means every
// GitHub Pages site.
//
// An http:// origin is whatever answers for that name on the network
// path; allowing it, with credentials above all, trusts every network in
// between. Outside local development, list https:// origins.
//
// Same-origin detection trusts Sec-Fetch-Site, which page scripts cannot
// set. Without it, a request is same-origin only if its Origin equals the
// Host with the connection's scheme; behind a TLS-terminating proxy list
// the API's own origin.
//
// Header values are bounded before they are read: an Origin of at most
// 512 bytes, a requested method of at most 64, and at most 4096 bytes or
// 64 names of requested headers.
package cors
