// Package redisstore keeps auth's shared state in Redis, so that every
// instance of a service sees the same answers: a replay cache
// ([NewReplayCache], an [auth.ReplayCache]) on a single Redis, Redis
// Sentinel or Redis Cluster (any redis.UniversalClient), for DPoP proofs'
// jti and one-time access tokens.
//
// It is a package of its own so that importing auth does not link a Redis
// client: a service whose caches are in memory never imports this one.
//
// # Replay cache
//
//	client := redis.NewClient(&redis.Options{
//		Addr:                  "redis:6379",
//		ContextTimeoutEnabled: true, // so the 50ms deadline holds
//		MaxRetries:            -1,   // never retried: a failure goes to the cache's mode
//	})
//	replay, err := redisstore.NewReplayCache(client, redisstore.ReplayConfig{})
//	if err != nil { … }
//	defer replay.Close()
//	jwt, err := auth.NewJWT(ctx, auth.JWTConfig{…, OneTime: replay})
//
// Each Remember is one round trip, SET key 1 NX PX ttl: Redis answers
// whether the key was new atomically, so exactly one instance gets a fresh
// answer for a key, however many ask at once. A single key lives in one
// Cluster slot, so it works on Redis Cluster unchanged. The key is the
// prefix and the base64url SHA-256 of the caller's key, 60 bytes with the
// default prefix, so a client choosing long identifiers cannot grow Redis's
// memory beyond the number of uses. The entry's time to live is computed
// from this instance's clock (exp − now, rounded up to a millisecond), so
// it expires when this instance would stop accepting the use, whatever
// Redis's clock says; instances' clocks must agree as closely as token
// validation already requires.
//
// # Failures
//
// Each call has a deadline ([DefaultReplayTimeout], 50ms) and no retry.
// Three consecutive failures open a circuit breaker that answers at once
// without Redis and probes Redis in the background every 100ms, closing
// within one probe of Redis's return. While Redis fails, ReplayConfig.OnError
// decides:
//
//   - FailClosed (the default): Remember returns an error wrapping
//     [ErrReplayUnavailable], and the caller refuses the use (auth answers
//     401 invalid_token, recorded as an error).
//   - FailOpen: every use is fresh; replays go undetected while Redis is
//     down.
//   - Local: a memory cache of this instance answers ([auth.MemoryReplayCache]).
//     It also records every key Redis found fresh, so this instance refuses
//     a replay of a use it saw before the outage, and a key this instance
//     saw during the outage stays a replay here after Redis returns. Replays
//     across instances go undetected while Redis is down.
//
// # Monitoring
//
// A replay cache reports through the OpenTelemetry API to
// ReplayConfig.MeterProvider (the global provider if nil), under the scope
// github.com/apishield/apishield/auth/redisstore, all with attribute store
// (redis):
//
//   - apishield.auth.replay_cache.duration, a histogram in seconds of each
//     round trip, with attribute outcome (ok, error). Refusals of the open
//     breaker make no round trip and are not recorded.
//   - apishield.auth.replay_cache.replays, a counter of the uses Redis
//     found were made before.
//   - apishield.auth.replay_cache.errors, a counter of the uses Redis could
//     not answer for, with attribute mode (fail_closed, fail_open, local):
//     how they were answered.
//   - apishield.auth.replay_cache.breaker.state, a gauge: 0 closed, 1
//     half-open (a probe is asking Redis), 2 open.
//
// The Local mode's memory cache reports as auth's memory caches do, with
// store (memory).
//
// # Security
//
// What it does not do:
//   - It does not protect Redis: anyone who can write to it can mark any
//     identifier used (refusing its use) or delete entries (allowing a
//     replay). Reach it over a private network or TLS with authentication,
//     as the client's options allow.
//   - It does not close the client it is given; the caller does, after
//     Close.
//   - While Redis is unavailable, FailOpen and Local accept replays that
//     Redis would have refused, by choice; FailClosed refuses every use
//     instead.
package redisstore
