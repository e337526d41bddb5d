// Package ipfilter allows or refuses requests by the client's network
// address: allow- and deny-lists of CIDRs and bare addresses, global and
// per route, in the manner of an API gateway's IP restriction.
//
// # What it protects against
//
// Admin, internal and partner routes that should be reachable only from
// known networks (an office, a VPN, a partner's egress range, the cluster
// itself), and addresses known to abuse the API. A refused request gets a
// 403 address_not_allowed problem (RFC 9457) before authentication or any
// other work, and its decision is recorded for audit.
//
// The client address is the one ratelimit.ByIP counts and audit logs:
// all three use apishield's one resolver, which believes a forwarding
// header only from a configured trusted proxy and walks it right to left,
// so a client cannot talk its way into an allow-list by writing
// X-Forwarded-For. Give the three packages the same TrustedProxies and
// Header.
//
//	f, err := ipfilter.New(ipfilter.Config{
//		Allow: []string{"10.0.0.0/8", "2001:db8:1::/48"},
//		Deny:  []string{"10.66.0.0/16"},
//		Routes: map[string]ipfilter.Rules{
//			"/admin/": {Allow: []string{"192.0.2.0/24"}}, // the office only
//		},
//		TrustedProxies: lb, // the load balancer's network
//	})
//
// # Decisions
//
//   - Deny wins over allow: an address in both lists is refused. A deny
//     entry inside an allowed network carves out a hole; an allow entry
//     wholly inside a deny entry could never match and is a config error.
//   - With an allow-list, every address outside it is refused. Without
//     one, every address not denied is allowed.
//   - A request whose client address cannot be told (a unix-socket peer,
//     whose RemoteAddr is "@" or "") is refused when an allow-list applies
//     and let through (recorded as a skip) when only deny-lists do.
//   - Addresses are compared whole: an IPv6 client is not grouped into its
//     /64 as ratelimit does; a rule that is a prefix covers what it covers.
//     IPv4-mapped IPv6 addresses and rules (::ffff:192.0.2.1) are compared
//     as IPv4, and zones (fe80::1%eth0) are dropped. An IPv4 client matches
//     only IPv4 rules: "::/0" is every IPv6 address, not every address.
//   - Per route, [Rules.Allow] replaces the global allow-list and
//     [Rules.Deny] adds to the global deny-list, which no route can lift.
//     Routes are keyed by the pattern package route reports ("GET
//     /admin/users/{id}", or "/admin/" for every method); a request with
//     no pattern or no entry gets the global lists.
//
// Lists are sorted and pruned once in New, so a lookup is a binary search
// whatever their length, and the allow path allocates nothing.
//
// # Wiring
//
// Place the filter early: after errors' Responder, the route middleware
// (only needed for per-route rules) and audit, before rate limiting and
// authentication, so a refused address costs as little as possible.
//
// On a standard library ServeMux:
//
//	handler := responder.Handler(route.Mux(mux)(auditor.Handler(f.Handler(perIP.Handler(mux)))))
//
// On chi:
//
//	r := chi.NewRouter()
//	r.Use(responder.Handler, route.Chi(r), auditor.Handler, f.Handler, perIP.Handler)
//
// On gorilla/mux, whose middleware runs only after a match: global lists
// work with router.Use(f.Handler); for per-route rules wrap the router in
// route.Func (see package route) and f.Handler, so the pattern is known
// before the filter runs.
//
// Behind a proxy or CDN, list its networks in TrustedProxies and name the
// header it sets. The single-address CDN headers (CF-Connecting-IP,
// True-Client-IP, Fastly-Client-IP) and X-Real-IP are believed only as one
// line holding one bare address; anything else, like garbage in
// X-Forwarded-For, leaves the proxy's own address as the client, which an
// allow-list of client networks then refuses.
//
// Handlers and proxies read the decided address back with [ClientIP]; the
// decision itself is [Filter.Check] for a request and [Filter.CheckAddr]
// for an address outside HTTP.
//
// # Defaults
//
// A Config must name at least one rule: a filter without any is a list
// that failed to load. No trusted proxies: the socket peer is the client,
// and naming a Header without trusted proxies is a config error. Header:
// X-Forwarded-For, at most 16 entries examined.
//
// # Monitoring
//
// The Handler reports through the OpenTelemetry API to Config.MeterProvider
// (the global provider if nil), under the scope
// github.com/apishield/apishield/ipfilter; nothing is recorded until the
// application installs an SDK. apishield.ipfilter.decisions counts
// requests by outcome: allow (a request without an address to check,
// let through because no allow-list applies, included) or deny. Each
// refusal also adds the event apishield.ipfilter.decision, with its
// outcome, to the request context's span when it is recording; an
// allowed request is only counted, so the allow path stays one atomic
// add. Check and CheckAddr count nothing. Attributes never hold an address, a rule or a
// route.
//
// # Security
//
// What this package does not do:
//   - It cannot detect a wrong trust list. Trusting a network that clients
//     can connect from, or a CDN's ranges when the service can also be
//     reached directly or through another customer's configuration of the
//     same CDN, lets such clients choose their own address, and with it
//     their way past the lists.
//   - Behind a proxy that is not listed in TrustedProxies, every request
//     comes from the proxy's address: the lists then filter the proxy.
//   - It does not follow translated addresses: NAT64 (64:ff9b::/96),
//     6to4, Teredo and IPv4-compatible forms are ordinary IPv6 addresses
//     here. List them if clients reach you that way.
//   - An address is not an identity. Shared NATs, VPNs, mobile carriers
//     and cloud egress put many callers behind one address; use the lists
//     to narrow who can reach a route, and auth to decide who is calling.
//   - The refusal says only that the address is not allowed, never which
//     rule matched (that goes to the request record and the audit log).
//   - Lists are fixed at New. To change them, build a new Filter and swap
//     the handler.
package ipfilter
