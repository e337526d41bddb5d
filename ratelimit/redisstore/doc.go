// Package redisstore keeps ratelimit's state in Redis, so that every
// instance of a service shares one limit: a [ratelimit.Store] on a single
// Redis, Redis Sentinel or Redis Cluster (any redis.UniversalClient).
//
// It is a package of its own so that importing ratelimit does not link a
// Redis client: a service whose limits are in memory never imports this
// one.
//
// # Use
//
//	client := redis.NewClient(&redis.Options{
//		Addr:                  "redis:6379",
//		ContextTimeoutEnabled: true, // so the 50ms deadline holds
//		MaxRetries:            -1,   // the store never retries: it fails over to the limiter's mode
//	})
//	store, err := redisstore.New(client, redisstore.Config{Secret: secret})
//	if err != nil { … }
//	defer store.Close()
//	if err := store.Prepare(ctx); err != nil { … } // at start-up: Redis reachable, script loaded
//	perIP, err := ratelimit.New(ratelimit.Config{Name: "ip", Store: store, …})
//	perSubject, err := ratelimit.New(ratelimit.Config{Name: "subject", Store: store, …})
//
// Limiters that share a store keep their state apart by their names.
//
// # Decisions
//
// Each decision is one EVALSHA of one script that decides every policy of
// the key atomically on Redis's clock, so instances admit exactly the
// limit together whatever their clock skew; a Redis that lost the script (a
// restart, a Sentinel failover to a replica, SCRIPT FLUSH) is sent it once
// with EVAL. The script replies how far each policy's state runs ahead of
// Redis's clock, and the store decides on that reply with
// [ratelimit.Decision.Decide], the memory store's own arithmetic, so both
// stores give the same answers. Concurrent decisions share round trips: one
// that finds Redis idle goes out at once, and those that arrive meanwhile
// ride the next pipeline.
//
// After Redis denies a client, the same client asking for at least the
// same cost is refused locally until its retry time, so a flood of
// rejected requests costs no round trips. This is exact: other instances
// can only tighten the state in the meantime.
//
// # Defaults
//
// Each call has a deadline ([DefaultTimeout], 50ms) and no retry;
// [DefaultBreakerFailures] consecutive failures open a circuit breaker
// that answers at once without Redis ([ErrCircuitOpen]) and probes Redis in
// the background every [DefaultProbeInterval] (100ms), closing within one
// probe of Redis's return. While the store fails, the limiter's
// ratelimit.FailureMode decides (FailClosed, the default, answers 503).
//
// # Monitoring
//
// A store reports through the OpenTelemetry API to Config.MeterProvider
// (the global provider if nil), under the scope
// github.com/apishield/apishield/ratelimit/redisstore:
//
//   - apishield.ratelimit.store.duration, a histogram in seconds of each
//     decision's round trip to Redis, with attributes store (redis) and
//     outcome (ok, error). Answers from the deny cache and refusals of the
//     open breaker make no round trip and are not recorded. The clock is
//     read only when an SDK keeps the measurement.
//   - apishield.ratelimit.breaker.state, a gauge with attribute store
//     (redis): 0 closed, 1 half-open (a probe is asking Redis), 2 open.
//
// The limiter counts the fallbacks its failure mode decides
// (apishield.ratelimit.fallbacks).
//
// # Security
//
// Keys carry a hash tag, so all policies of one client share a Cluster
// slot, and the tag is an HMAC of the limiter's name and the client's key
// under Config.Secret, so Redis never holds a raw address, subject or API
// key, and a reader of Redis cannot test guesses without the secret. Keys
// expire exactly when their buckets are full again.
//
// What it does not do:
//   - It does not protect Redis: anyone who can write to it can reset or
//     exhaust any client's budget. Reach it over a private network or TLS
//     with authentication, as the client's options allow.
//   - It does not close the client it is given; the caller does, after
//     Close.
//   - While Redis is unavailable the limit is the limiter's failure mode's:
//     FailOpen and Local admit more than the limit, by choice.
package redisstore
