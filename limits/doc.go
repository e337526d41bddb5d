// Package limits bounds every request before authentication or a handler
// sees it: its method, path, query, header fields, and body, with rules
// that default to secure values and can be raised or lowered per route.
//
// # What it protects against
//
//   - Unbounded bodies on routes without a schema: a body over
//     MaxBodyBytes (1 MiB by default) is refused with 413, before a byte of
//     it is read when Content-Length announces it (and, with Expect:
//     100-continue, before the client sends it); one of unknown length
//     (chunked, or HTTP/2 without content-length) is read ahead, at most
//     MaxBodyBytes of it, and refused past it, so the handler never sees a
//     partial body.
//   - Compressed bodies that inflate past every limit: a Content-Encoding
//     other than identity is refused unless the route lists it.
//   - Content the route was not written for: with ContentTypes declared, a
//     body whose media type is missing, malformed, repeated or not listed
//     is refused with 415.
//   - Request smuggling and cache poisoning through bodies on GET, HEAD,
//     DELETE, CONNECT and TRACE, which RFC 9110 gives no meaning and which
//     a proxy may ignore while the server reads them: refused with 400
//     unless the route allows them.
//   - Methods a scanner probes first: TRACE (cross-site tracing), CONNECT
//     and extension methods (PROPFIND, DEBUG, TRACK) are refused with 405
//     and an Allow header; a route may narrow the list further.
//   - Oversized request targets and header blocks, which cost memory and
//     parsing in every layer behind: path, query and parameter count are
//     refused with 414; header count, total size and one value's size with
//     431.
//
// Each refusal is one problem written through apierrors.Write, and each
// request's decision (allow, or deny with its reason and the Rules field
// that refused it) goes to the request record for audit:
//
//	405 method_not_allowed      method not in Methods; Allow lists them
//	414 uri_too_long            MaxPathBytes, MaxQueryBytes, MaxQueryParams
//	431 headers_too_large       MaxHeaders, MaxHeaderBytes, MaxHeaderValueBytes
//	400 malformed_request       a body on GET/HEAD/DELETE/CONNECT/TRACE, or a
//	                            body that could not be read
//	415 unsupported_media_type  ContentTypes, ContentEncodings
//	413 payload_too_large       MaxBodyBytes
//
// [Guard.Check] is the decision alone, reading nothing, for use outside an
// HTTP stack; [Guard.Bound] adds the body; [Guard.Handler] is the
// middleware.
//
// # Defaults
//
// The zero [Config] is ready to use. Its numbers sit above what browsers
// and API clients send and at or below what the proxies and CDNs in front
// of an API pass on, so a request refused here would have been at risk in
// transit anyway:
//
//	MaxBodyBytes         1 MiB   validate's default, and nginx's
//	                             client_max_body_size; JSON payloads are
//	                             kilobytes, and uploads raise it per route
//	MaxPathBytes         2 KiB   REST paths are rarely 200 bytes; about 2,000
//	                             characters is the URL length every client
//	                             and proxy carries
//	MaxQueryBytes        4 KiB   twice that, for filters and cursors, and
//	                             half the 8 KiB request line of nginx's
//	                             default buffers
//	MaxQueryParams       100     clients send a handful; batch selectors
//	                             (?id=1&id=2…) fit; net/url parses up to
//	                             10000
//	MaxHeaders           100     browsers send 10 to 20 fields; Apache's
//	                             LimitRequestFields and Tomcat's
//	                             maxHeaderCount are 100
//	MaxHeaderBytes       32 KiB  Cloudflare's limit on request headers
//	MaxHeaderValueBytes  16 KiB  Cloudflare's limit on one header; a JWT at
//	                             auth's 8 KiB limit, with "Bearer ", fits
//	Methods              GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS
//	ContentTypes         any (nil); declare them to get 415s
//	ContentEncodings     identity only
//
// # Per-route rules
//
// Config.Routes maps route patterns, as package route reports them
// ("POST /v1/uploads", or "/v1/uploads" for every method), to [Rules]
// whose zero fields take Config.Default's. The rules are looked up before
// the body is read, so a route may raise a limit as well as lower it:
//
//	g, err := limits.New(limits.Config{
//		Default: limits.Rules{ContentTypes: []string{"application/json"}},
//		Routes: map[string]limits.Rules{
//			"POST /v1/uploads": {MaxBodyBytes: 100 << 20, Stream: true,
//				ContentTypes: []string{"application/octet-stream"}},
//			"GET /v1/search":   {BodyOnAnyMethod: true},
//		},
//	})
//
// A request whose route is unknown (no route middleware, or no route
// matches) gets Config.Default, so the default should be the strict side.
// validate.BodyLimit, by contrast, can only lower the cap of an outer one.
//
// # Wiring
//
// Put the Guard outside authentication, so nothing is verified for a
// request that is refused anyway, and inside package route's middleware,
// so per-route rules see the pattern. A CORS middleware goes outside it,
// or OPTIONS must stay in every route's Methods for preflights. On a
// standard library ServeMux:
//
//	handler := apierrors.Recover(route.Mux(mux)(g.Handler(authn.Handler(mux))))
//
// On chi:
//
//	r := chi.NewRouter()
//	r.Use(apierrors.Recover, route.Chi(r), g.Handler, authn.Handler)
//
// On gorilla/mux, wrap the router (its own middleware runs only after a
// match) inside a route.Func that asks it with Match, as package route
// shows:
//
//	handler := apierrors.Recover(route.Func(match)(g.Handler(router)))
//
// # The server's own header limit
//
// net/http reads the request line and header block before any handler
// runs, up to http.Server.MaxHeaderBytes (1 MiB if zero) plus 4 KiB of
// slack; past that it answers 431 itself, in plain text, closes the
// connection, and no middleware (nor audit) sees the request. Over HTTP/2
// the same setting becomes SETTINGS_MAX_HEADER_LIST_SIZE. tlsconfig's
// NewHTTPServer sets MaxHeaderBytes to 64 KiB. The Guard's
// MaxHeaderBytes (32 KiB) is therefore the one a client meets first: a
// header block between the two gets a 431 problem from the Guard, with a
// request ID and an audit record; only one past the server's limit gets
// net/http's bare 431. Keep the Guard's limits below the server's; a
// route that raises them above it is still cut off by the server. The
// request line counts toward the server's limit, and Host is not in
// r.Header, so neither counts toward MaxHeaders or MaxHeaderBytes.
//
// # Monitoring
//
// The Handler reports through the OpenTelemetry API to Config.MeterProvider
// (the global provider if nil), under the scope
// github.com/apishield/apishield/limits; nothing is recorded until the
// application installs an SDK. apishield.limits.decisions counts requests
// by outcome and reason: allow with reason ok, or deny with the refusal's
// problem reason (method_not_allowed, uri_too_long, headers_too_large,
// malformed_request, unsupported_media_type, payload_too_large). A body
// over the limit that a Stream route's handler meets while reading was
// allowed by the Guard and is not counted again. Check and Bound count
// nothing. Each refusal also adds the event apishield.limits.decision,
// with its attributes, to the request context's span when it is
// recording; an allowed request is only counted, so the allow path stays
// one atomic add. Attributes never hold a path, header or route.
//
// # Security
//
// The Guard bounds requests; it does not:
//
//   - parse bodies: JSON depth, keys and numbers are package validate's,
//     multipart forms are bounded by MaxBodyBytes only as raw bytes;
//   - decode compressed bodies: a route that lists a coding must bound
//     what it inflates (for example with http.MaxBytesReader on the
//     decoder's output);
//   - bound trailers, which arrive after the body, nor time: slow clients
//     (slowloris, slow bodies) are the server's timeouts, which tlsconfig's
//     NewHTTPServer sets;
//   - count or throttle requests: that is package ratelimit;
//   - check Host or Origin: those are their own packages.
//
// A body read ahead is held in memory, up to MaxBodyBytes per request in
// flight: set Stream on a route with a large limit. A Content-Length body
// is handed on as is: net/http's servers never deliver more than it says,
// and a request from elsewhere gets a reader that fails past the limit.
//
// A Guard is read-only after New and safe for concurrent use.
package limits
