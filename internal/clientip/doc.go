// Package clientip is apishield's one answer to "who is the client of this
// request". ratelimit keys its per-IP limits with it and audit fills
// source.ip with it, so the two can never disagree about who sent a request.
//
// # What it protects against
//
// A client can put anything in X-Forwarded-For or Forwarded. A service that
// believes those headers from anyone lets a client pick its own address:
// a fresh rate-limit bucket per request, or someone else's address in the
// audit trail. A Resolver believes a header only when the connection comes
// from a configured trusted proxy, and then only the entries that trusted
// proxies wrote: it walks the header from the right (where each proxy
// appends what it saw) and stops at the first address that is not a
// trusted proxy. Whatever the client wrote sits left of that and is never
// reached.
//
//	r, err := clientip.New(clientip.Config{
//		TrustedProxies: prefixes, // from clientip.ParsePrefixes([]string{"10.0.0.0/8"})
//		Header:         clientip.HeaderXForwardedFor,
//	})
//	ip := r.ClientIP(req) // netip.Addr; !ip.IsValid() for unix-socket peers
//
// # Defaults
//
// No trusted proxies: the socket peer is the client and no header is read;
// naming a Header without trusted proxies is a configuration error, so a
// forgotten trust list is found at start-up. Header: X-Forwarded-For. At most 16 entries (MaxHops) and 8 KiB of header
// (MaxHeaderBytes) are examined. Addresses come back unmapped
// (::ffff:192.0.2.1 is 192.0.2.1) and without zones; ports, brackets and
// RFC 7239 quoting are removed. For rate limiting, Bucket groups IPv6 by /64
// and AppendKey renders the bucket as a compact key without allocating.
//
// # Single-address headers
//
// X-Real-IP and the CDN headers CF-Connecting-IP (Cloudflare),
// True-Client-IP (Akamai, Cloudflare Enterprise) and Fastly-Client-IP
// (Fastly) hold one address that the edge writes over whatever the client
// sent. There is no chain to walk: from a trusted peer, the header is
// believed when it is exactly one line holding exactly one bare address.
// Two lines, a list, a port, brackets, a CIDR or garbage mean the edge did
// not write it alone (or is misconfigured), and the socket peer is the
// answer, the rule an unparsable X-Forwarded-For entry follows. Trust the
// CDN's published ranges only if the service can be reached from nowhere
// else.
//
// # One header only
//
// A proxy appends to or overwrites the forwarding header it knows and passes
// every other header through as the client sent it. A resolver that looked
// at both X-Forwarded-For and Forwarded would therefore read one header the
// client wrote alone. Configure the one your proxies set; the other is never
// read.
//
// # When the peer is not an IP address
//
// A unix-socket peer has RemoteAddr "@" or "", as do requests built by hand
// in tests. ClientIP then returns the zero netip.Addr (IsValid false) and
// believes no header. ratelimit should count all such requests in one shared
// bucket (AppendKey writes UnknownKey for them) so they cannot escape the
// limit; audit should omit source.ip rather than invent one.
//
// # Security
//
// What this package does not do:
//   - It cannot detect a wrong trust list. Trusting a network that clients
//     can connect from (a shared load balancer subnet, 0.0.0.0/0, a CDN's
//     whole range when the CDN forwards anyone's requests) hands every such
//     client the choice of its own address.
//   - It relies on the trusted proxies. A trusted proxy that passes the
//     client's header through without appending the address it saw, that
//     sets a different header from the configured one, or that can be
//     reached around (the service also listening publicly) defeats it.
//   - If every entry is trusted, or the walk stops early at an unparsable
//     entry or a bound, the answer is a proxy address: every client behind
//     it then shares one rate-limit bucket. That is the fail-closed choice;
//     the alternative would be to believe text no trusted proxy vouched for.
//   - With a single-address header, only one proxy tier can be seen: each
//     proxy that overwrites the header replaces what the tier before it
//     wrote. A value naming a trusted proxy is still the answer.
//   - RFC 7239 obfuscated identifiers ("_hidden") and "unknown" are not
//     addresses and stop the walk; quoted values with escapes are refused.
package clientip
