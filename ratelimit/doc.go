// Package ratelimit limits how much each client may do: exact GCRA rate
// limits kept in memory for one instance or in Redis for many, and
// concurrency limits, fixed or adaptive, that shed load when the service
// slows down.
//
// # What it protects against
//
// Request floods and brute force per client address, per authenticated
// subject, per API key and per route, across every instance of a service;
// and overload, when too many requests run at once for the service to
// answer them in time.
//
// # Rate limits
//
// A [Policy] is a rate with a burst: Limit units per Period, of which Burst
// may be spent at once (a token bucket). A [Limiter] enforces up to four
// policies together, such as 10 per second with bursts of 20 and 1000 per
// hour, all-or-nothing: a denied request consumes nothing from any policy.
// Requests may cost more than one unit; a cost larger than a policy's burst
// is refused with its own detail and no Retry-After, since waiting cannot
// help. Decisions are GCRA (the generic cell rate algorithm) in integer
// microseconds: one timestamp per key and policy, no floats, no drift.
//
//	byIP, err := ratelimit.ByIP(ratelimit.IPConfig{TrustedProxies: proxies})
//	perIP, err := ratelimit.New(ratelimit.Config{
//		Name:     "ip",
//		Key:      byIP,
//		Policies: []ratelimit.Policy{{Name: "ip", Limit: 600, Period: time.Minute, Burst: 100}},
//	})
//	perSubject, err := ratelimit.New(ratelimit.Config{
//		Name:     "subject",
//		Key:      ratelimit.BySubject(),
//		Policies: []ratelimit.Policy{{Name: "subject", Limit: 1000, Period: time.Hour, Burst: 20}},
//	})
//
// In the recommended stack a per-IP limiter runs before authentication, so
// floods are refused before any signature is checked, and a per-subject
// limiter after it:
//
//	// net/http
//	handler := apierrors.Recover(perIP.Handler(authn.Handler(perSubject.Handler(mux))))
//	// chi and gorilla/mux
//	r.Use(perIP.Handler, authn.Handler, perSubject.Handler)
//
// [Limiter.Allow] is the same decision outside HTTP.
//
// # Keys
//
// [ByIP] is the client address through the configured trusted proxies only
// (X-Forwarded-For or RFC 7239 Forwarded, walked right to left, or one of
// the single-address headers X-Real-IP, CF-Connecting-IP, True-Client-IP
// and Fastly-Client-IP), with IPv6 grouped by /64; it is the resolver audit
// and ipfilter use too. [BySubject] is the
// authenticated principal, [ByAPIKey] a hashed API key header, [ByRoute]
// (or [ByRouteFunc] for gorilla/mux) adds the route pattern, and [Join] and
// [First] combine key functions. A request without a key of the kind (an
// anonymous request for BySubject) passes undecided and is recorded as a
// skip.
//
// One rule for key functions: a key function built from configuration
// that can be wrong (ByIP's IPConfig, ByAPIKey's header name,
// ByRouteFunc's route function, the functions Join and First combine)
// checks it when it is built and returns (KeyFunc, error), the error
// wrapping [ErrInvalidConfig]; a key function built from nothing that can
// be wrong (BySubject, and ByRoute, whose inner function may be nil)
// returns the KeyFunc alone. So a mistake shows at start-up, never as a
// limiter that fails or limits nothing on every request. Like every
// secondary constructor in apishield, none has a Must form: check the
// error where the limiters are built.
//
//	byKey, err := ratelimit.ByAPIKey("X-API-Key")
//	if err != nil {
//		return err
//	}
//	perKey, err := ratelimit.New(ratelimit.Config{Name: "key", Key: byKey, Policies: policies})
//
// ByAPIKey keys the credential exactly as auth verifies it, so one
// credential has one budget however its header is spelled: for
// Authorization, the credential [auth.ParseAuthorization] returns ("Bearer
// k", "bearer k" and "ApiKey k" are one key). A key header that auth would
// refuse (unparseable, empty, repeated, over 16 KiB), or for other headers
// one holding anything but visible ASCII, where verifiers differ on
// trimming, is answered 400 malformed_request ([ErrMalformedKey]) rather
// than given a bucket of its own. In shadow mode these refusals, like
// denials, are only recorded.
//
// BySubject keys a principal by its subject within its authority (the
// issuer, or for API keys and mTLS certificates, which have none, the
// authentication method), and a principal without a subject, such as a
// client-credentials token, by its client ID under a prefix of its own. A
// principal with neither is refused with 403 forbidden ([ErrUnidentified])
// rather than let through uncounted. A request with no principal at all is
// anonymous and passes it undecided, which is why BySubject belongs after
// auth's middleware and a per-IP limiter before it.
//
// # Stores
//
// By default each limiter keeps its state in a [MemoryStore] of its own:
// no allocation per decision, keys forgotten as soon as their buckets are
// full again, and at most MemoryConfig.MaxKeys keys. A key that still owes
// time is never forgotten, since that would give its client its budget
// back: when the store is full of such keys, a new client that would be
// admitted is refused instead ([ErrStoreFull]), with 503 overloaded and a
// Retry-After of when a sixteenth of the full shard's keys will have
// refilled, whatever the failure mode. Known clients are decided as
// always. The refusal costs no scan of the store, so a flood of new keys
// stays cheap; it is recorded as a denial with rule "store_full".
//
// The package github.com/apishield/apishield/ratelimit/redisstore shares
// the limits between instances through Redis, Redis Sentinel or Redis
// Cluster, exactly and in one round trip per decision. It is a package of
// its own so that a service whose limits are in memory does not link a
// Redis client. While a store is unavailable the
// limiter's [FailureMode] decides: FailClosed (503 overloaded, the
// default), FailOpen, or Local (an in-memory limit at a share of each
// policy). Other stores implement [Store]; [Decision.Decide] gives them
// the memory store's arithmetic.
//
// # Responses
//
// Every decided response carries the fields of
// draft-ietf-httpapi-ratelimit-headers-11 ("RateLimit header fields for
// HTTP"), structured-field lists with one item per policy of every limiter
// that decided the request, in the order they ran: a per-IP limiter's
// items, then a per-subject limiter's. For the recommended stack, after
// 21 requests of one subject:
//
//	RateLimit-Policy: "ip";q=700;w=60, "subject";q=1020;w=3600, "daily";q=20000;w=86400
//	RateLimit: "ip";r=79;t=1, "subject";r=0;t=4, "daily";r=9980;t=9
//
// In RateLimit-Policy, w is the Period in whole seconds, rounded up, and q
// is what the policy admits within any w seconds: the Burst at once and
// then one unit per interval, so 600 per minute with a burst of 100 is
// q=700;w=60. In RateLimit, r is the units the policy admits now and t the
// seconds until it admits one more: within t seconds the client can use no
// more than r. Like Retry-After, t is rounded up, so for a policy that
// refills faster than once a second, one second may bring more than one
// unit. Item names are the policies' names, unless an earlier limiter on
// the request used them: then the later limiter's are "limiter/policy",
// so the names in a response are distinct.
//
// A denied request gets 429 rate_limited through apierrors.Write, with
// the draft's quota-exceeded problem type and its violated-policies member,
// the names of the refusing policies as in the fields:
//
//	{"type":"https://iana.org/assignments/http-problem-types#quota-exceeded",
//	 "title":"Too Many Requests","status":429,…,"reason":"rate_limited",
//	 "violated-policies":["subject"]}
//
// Its Retry-After is in whole seconds, rounded up, so never early, and
// never earlier than the t of a refusing policy or of any item on the
// response with nothing available (r=0), such as a per-IP policy that this
// request exhausted before the per-subject limiter refused it. A cost
// larger than a policy's burst gets no Retry-After and no RateLimit items
// (the store was not asked), only RateLimit-Policy. Under the Local failure
// mode the fields describe the local, smaller policies.
//
// Config.LegacyHeaders adds X-RateLimit-Limit, -Remaining and -Reset
// (seconds until the bucket is full) for the tightest policy of all the
// limiters on the request. Config.Shadow decides and records without
// enforcing or sending fields. Every decision, allow, deny, skip or error,
// is written to apishield's request record for audit.
//
// # Concurrency and adaptive limits
//
// [Concurrency] bounds the requests in flight, in total and per key.
// [Adaptive] moves its bound with the service's health, AIMD style: it grows
// while requests finish in time and shrinks when they are slow (above a
// latency learned from the service's own fastest responses, or a configured
// one) or fail with 5xx. Both answer excess requests at once with 503
// overloaded and Retry-After.
//
// # Monitoring
//
// Limiters report through the OpenTelemetry API to Config.MeterProvider
// (the global provider if nil), under the scope
// github.com/apishield/apishield/ratelimit; nothing is recorded until the
// application installs an SDK:
//
//   - apishield.ratelimit.decisions, a counter of decisions with attributes
//     limiter (Config.Name), policy (the deciding policy's name, or "none"
//     for a store failure, a full store or a malformed key) and outcome
//     (allow, deny, error). Allow counts as the handler does; shadow-mode
//     denials count as denials. Requests without a key are not counted.
//   - apishield.ratelimit.fallbacks, a counter of decisions made by the
//     failure mode, with attribute mode (fail_closed, fail_open, local).
//
// Each decision also adds the event apishield.ratelimit.decision, with the
// same attributes, to the request context's span when it is recording.
//
// Concurrency and Adaptive limiters report, with attributes limiter (their
// Name) and kind (concurrency, adaptive):
//   - apishield.ratelimit.concurrency.decisions, a counter with attribute
//     outcome (allow, deny, error); a shed request also adds the span event
//     apishield.ratelimit.shed.
//   - apishield.ratelimit.concurrency.in_flight and
//     apishield.ratelimit.concurrency.limit, gauges read at collection:
//     the requests in flight and the concurrency allowed now (an adaptive
//     limiter's current limit, a concurrency limiter's Max).
//
// The redisstore package reports its round trips and its breaker's state.
// The memory store records no latency: its decision is the limiter's own
// work, a few hundred nanoseconds, visible in the request's span.
// Attributes never hold a key, address or subject. A decision costs an
// atomic add to record, with or without an SDK.
//
// # Security
//
// What this package does not do:
//   - It cannot tell clients apart better than its key: behind a proxy that
//     is not listed in IPConfig.TrustedProxies every client shares the
//     proxy's bucket, and listing a network that clients can reach lets them
//     choose their address. Many IPv4 addresses or /64s can still share out
//     a flood; pair per-IP limits with per-subject ones.
//   - BySubject counts only authenticated requests; anonymous ones pass it
//     undecided, so keep a per-IP limiter in front. Placed before auth's
//     middleware it sees only anonymous requests and limits nothing.
//   - ByAPIKey counts credentials, not owners: a client holding many valid
//     keys has a budget per key. BySubject after auth counts the owner.
//   - FailOpen and Local admit more than the limit while Redis is down, by
//     choice. FailClosed refuses everyone instead.
//   - A memory store at MaxKeys refuses new clients until keys refill, so
//     a flood of distinct keys (random API keys before authentication, many
//     IPv6 /64s) can keep new clients out of that limiter for up to a
//     period: size MaxKeys above the clients you expect, and put a per-IP
//     limiter, whose keys are scarcer, in front of per-key ones. A memory
//     store is per instance, so N instances with memory stores admit up to
//     N times the limit.
//   - The memory store holds 64-bit keyed hashes of keys, not the keys: two
//     clients share a bucket only if their hashes collide (about 3 in 10⁸
//     for a million keys, under a per-process random seed).
//   - The adaptive limiter sheds load; it does not find which clients cause
//     it. Rate limits do that.
//   - Rates that do not divide a Period into whole microseconds are rounded
//     to a slightly slower rate, never a faster one.
package ratelimit
