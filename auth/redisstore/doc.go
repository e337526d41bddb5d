// Package redisstore keeps auth's shared state in Redis, so that every
// instance of a service sees the same answers: a replay cache
// ([NewReplayCache], an [auth.ReplayCache]) for DPoP proofs' jti and
// one-time access tokens, and revoked credentials ([NewRevocations], an
// [auth.Revocations]), on a single Redis, Redis Sentinel or Redis Cluster
// (any redis.UniversalClient).
//
// It is a package of its own so that importing auth does not link a Redis
// client: a service whose caches and revocations live in memory
// (auth.MemoryReplayCache, auth.RevocationList) never imports this one.
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
// # Replay cache failures
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
// # Revocations
//
//	client := redis.NewClient(&redis.Options{Addr: "redis:6379", ContextTimeoutEnabled: true})
//	revs, err := redisstore.NewRevocations(ctx, client, redisstore.RevocationsConfig{
//		OnRevoke: func(ctx context.Context, r auth.Revocation) {
//			auditor.Log(ctx, audit.Event{Action: audit.ActionAuthnTokenRevoked, Outcome: audit.Success, User: r.Subject})
//		},
//	})
//	if err != nil { … }
//	defer revs.Close()
//	m, err := auth.New(auth.Config{Authenticators: …, Revocations: revs})
//	…
//	// the admin's "sign out everywhere":
//	err = revs.Revoke(ctx, auth.Revocation{Subject: sub, Issuer: iss,
//		IssuedBefore: time.Now(), Expires: time.Now().Add(maxTokenLifetime)})
//
// Each instance holds the revocations in memory (an auth.RevocationList),
// so the middleware's check makes no round trip: it costs a few map
// lookups and no allocation. Revoke runs one script on Redis that adds the
// revocation to one sorted set, scored by its expiry, drops the expired
// ones, and PUBLISHes it; every instance is subscribed and applies it to its
// view, in well under a second. A full read of the set when the store
// starts (NewRevocations fails if it cannot read), every SyncInterval (30
// s), and whenever the subscription is re-established after a lost
// connection, repairs any announcement an instance missed. Views only grow
// until entries expire, so a read and an announcement cannot undo each
// other.
//
// Keys carry the hash tag {Prefix}, so the set lives in one Cluster slot;
// the announcement goes on a classic pub/sub channel, which a Cluster
// delivers to subscribers on every node. Redis 6.2 or later is required
// (ZADD GT).
//
// # Revocations when Redis is unavailable
//
// A Revoke that cannot write returns the error and applies nothing, so the
// caller can retry and no instance silently lacks the revocation. Checks
// keep answering from the last view, which still holds every revocation it
// learned; failed reads are logged and counted. When no read has succeeded
// for MaxStale (5 min by default), the store refuses every credential
// (auth.ErrRevocationsStale: a 401 recorded as an error) until a read
// succeeds, since revocations made meanwhile through other instances would
// be unknown to it. A negative MaxStale keeps answering from the old view
// instead: available, at the price of accepting, during a long outage,
// credentials revoked elsewhere until they expire.
//
// A Redis that restarts without persistence has lost the revocations:
// running instances keep theirs until they expire, but an instance that
// starts afterwards does not learn them. Keep persistence on (AOF or RDB)
// or a replica, or revoke again.
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
// Revocations report under the same scope:
//
//   - apishield.auth.revocations.syncs, a counter of full reads, with
//     attribute outcome (success, failure);
//   - apishield.auth.revocations.messages, a counter of announcements
//     received, with attribute outcome (applied, failure: an invalid
//     announcement or a lost subscription);
//   - apishield.auth.revocations.age, a gauge in seconds since the oldest
//     view's last full read.
//
// The local view reports apishield.auth.revocations.applied (by selector:
// token_id, subject, issued_before) and apishield.auth.revocations.entries
// under auth's scope.
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
//
// For revocations, anyone who can write to Redis or publish on its channel
// can revoke any credential (a denial of service) or, by deleting entries
// before an instance reads them, keep one from learning of a revocation.
// Redis holds subjects, issuers and token IDs, not tokens. What is read
// from Redis is bounded before it is parsed, and invalid entries are
// skipped and logged.
package redisstore
