// Package redisstore keeps auth's shared state in Redis, so that every
// instance of a service sees it: revoked credentials ([Revocations]), on
// a single Redis, Redis Sentinel or Redis Cluster (any
// redis.UniversalClient).
//
// It is a package of its own so that importing auth does not link a Redis
// client: a service whose revocations live in memory
// (auth.RevocationList) never imports this one.
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
// # Redis unavailable
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
// Under the scope github.com/apishield/apishield/auth/redisstore:
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
// Anyone who can write to Redis or publish on its channel can revoke any
// credential (a denial of service) or, by deleting entries before an
// instance reads them, keep one from learning of a revocation; reach Redis
// over a private network or TLS with authentication. Redis holds subjects,
// issuers and token IDs, not tokens. What is read from Redis is bounded
// before it is parsed, and invalid entries are skipped and logged.
package redisstore
