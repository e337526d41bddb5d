// Package headers puts the security headers an API needs on every
// response, and refuses requests for hosts the API does not serve.
//
// # What it protects against
//
// [Middleware] sends the headers a security scanner checks first and a
// browser acts on even for JSON: X-Content-Type-Options stops MIME
// sniffing a response into HTML or script; a Content-Security-Policy that
// loads nothing and frame-ancestors 'none' (with the legacy
// X-Frame-Options for old browsers) stop a response from running script or
// being framed for clickjacking; Referrer-Policy keeps URLs, and tokens in
// them, from leaking to other sites; Cross-Origin-Resource-Policy stops
// other sites from loading responses as images or scripts (and reading
// them through side channels). Authenticated responses get Cache-Control:
// no-store, so no shared or browser cache keeps one caller's data for the
// next. Server and X-Powered-By, set by handlers or copied from upstreams,
// are removed (and any others [Policy].Remove names, such as
// X-AspNet-Version): they tell an attacker which exploits to try.
//
// [Hosts] is a Host allow-list against host-header injection: apps build
// password-reset links, redirects and cache keys from the Host, and an
// attacker who chooses it poisons them; DNS rebinding reaches an API
// through a name it never served.
//
// # Wiring
//
// Put both outermost, right inside errors' Responder (and audit), the
// headers first, so every response carries them (other packages' problems,
// the router's 404 and 405, and the 421 for a refused host), and nothing
// runs for a refused host. On a standard library ServeMux:
//
//	sec, err := headers.New(headers.Config{})
//	hosts, err := headers.NewHosts(headers.HostsConfig{Allow: []string{"api.example.com"}})
//	handler := apierrors.Recover(sec.Handler(hosts.Handler(apierrors.Mux(mux))))
//
// On chi:
//
//	r := chi.NewRouter()
//	r.Use(apierrors.Recover, sec.Handler, hosts.Handler)
//
// On gorilla/mux, whose middleware runs only on matched routes, wrap the
// router instead of calling r.Use, so 404s and 405s get the headers too:
//
//	handler := apierrors.Recover(sec.Handler(hosts.Handler(router)))
//
// Per-route policies ([Config].Routes) need the route pattern before the
// router runs: put package route's middleware outside headers
// (route.Mux(mux), r.Use(route.Chi(r)) first, or route.Func for gorilla).
//
// # Defaults
//
// The zero [Config] is the API profile:
//
//	X-Content-Type-Options: nosniff
//	Content-Security-Policy: default-src 'none'; frame-ancestors 'none'
//	Referrer-Policy: no-referrer
//	Cross-Origin-Resource-Policy: same-origin
//	X-Frame-Options: DENY
//	Cache-Control: no-store    (authenticated responses without their own)
//	Server, X-Powered-By: removed
//
// This is the OWASP REST Security Cheat Sheet's list for API responses
// (less Strict-Transport-Security, below, and with no-store only where a
// caller's data is at stake, so public responses stay cacheable), plus
// Referrer-Policy and CORP from the OWASP Secure Headers Project.
// Each value can be replaced, and each header disabled by name
// ([Policy].Disable), for the whole API or one route. The Secure Headers
// Project's other headers are left out of the profile, and can be added
// with [Policy].Set: Cross-Origin-Opener-Policy and
// Cross-Origin-Embedder-Policy govern documents that open windows or load
// subresources, and Permissions-Policy the features scripts may use, none
// of which a JSON response under default-src 'none' does; X-XSS-Protection
// is deprecated (OWASP advises against enabling it). Strict-Transport-Security
// belongs to the transport and lives in package tlsconfig (NewHSTS): it is
// only meaningful over HTTPS and its max-age is a deployment decision.
//
// A response is authenticated, for Cache-Control, when auth has recorded a
// principal in the request record by the time the header is written, or
// when the request carries Authorization, Cookie or X-API-Key (or a
// [Config].CredentialHeaders name) whether or not apishield checked it: a
// response may depend on a session cookie the application verifies itself,
// and HTTP's rule against caching responses to requests with Authorization
// (RFC 9111 §3.5) binds shared caches only, and not for Cookie. A handler
// that sets its own Cache-Control (a public, cacheable download) keeps it.
//
// The profile headers are set before the next handler runs, with no
// wrapper; the write-time decisions (Cache-Control, removals) ride on the
// request record's ResponseWriter, through a hook run just before the
// header is written, so Flush, Hijack and http.ResponseController work
// unchanged and the allow path allocates nothing.
//
// # Host allow-list
//
// [HostsConfig].Allow is required: a check that names no hosts cannot know
// them, so an empty list is a config error, and not building a Hosts is
// how an API goes without the check. Entries are exact names, one-label
// wildcards ("*.example.com"), IPv4 addresses and bracketed IPv6 addresses,
// each with an optional port; names match case-insensitively with a
// trailing dot folded away. An entry without a port matches any port; one
// with a port matches only that port. A request whose host is not listed,
// that names no host, or whose absolute-form target disagrees with its
// Host header is answered 421 host_not_allowed (RFC 9110 §15.5.20:
// "this server is not the one for that host"); a malformed Host, 400
// malformed_request. Either way the decision is recorded for audit.
// Behind a proxy that rewrites Host, list the names the proxy sends.
//
// # Monitoring
//
// The Hosts Handler reports through the OpenTelemetry API to
// HostsConfig.MeterProvider (the global provider if nil), under the scope
// github.com/apishield/apishield/headers; nothing is recorded until the
// application installs an SDK. apishield.headers.host_decisions counts
// requests by outcome, allow or deny (a malformed Host included). Each
// refusal also adds the event apishield.headers.decision, with its
// outcome, to the request context's span when it is recording; an
// allowed request is only counted, so the allow path stays one atomic
// add. Hosts.Check and Hosts.Allowed count nothing. Attributes never hold the
// Host. The security headers Middleware decides nothing and counts
// nothing.
//
// # Security
//
// Headers are set before the handler runs, so a handler can change or
// delete them; that is its choice, and the package does not undo it
// (except the removals, which happen at write time). A response written
// past the request record's ResponseWriter (on a hijacked connection, or by
// middleware outside this one) gets none of the write-time part. The
// package sends no Strict-Transport-Security (package tlsconfig does) and
// no CORS headers (package cors does); it does not make HTML safe: an API
// that serves HTML needs a CSP written for it, per route. Cache-Control on
// unauthenticated responses is left to the handler.
//
// Hosts does not consult X-Forwarded-Host or Forwarded's host parameter:
// they are the client's word unless a trusted proxy set them, and an
// application must not build URLs from them either. It checks the Host,
// not who sent it: DNS and TLS still decide which clients reach the API.
// Host values longer than 300 bytes are refused before they are parsed.
//
// Both types are safe for concurrent use and read-only after New.
package headers
