package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/apishield/apishield/ratelimit"
	"github.com/apishield/apishield/ratelimit/redisstore"
)

// rateLimits builds the per-IP limiter (before auth, so floods are refused
// before any cryptography) and the per-subject limiter (after it). store
// keeps their state: nil gives each limiter a memory store of its own, for
// one gateway instance; a store from newRedisStore (-redis) shares the
// limits between every instance that uses the same Redis and secret.
// trusted are the proxies in front of the gateway (-trusted-proxies):
// behind a load balancer, list it, or every client shares its address's
// limit.
func rateLimits(logger *slog.Logger, trusted []netip.Prefix, store ratelimit.Store) (perIP, perSubject *ratelimit.Limiter, err error) {
	byIP, err := ratelimit.ByIP(ratelimit.IPConfig{TrustedProxies: trusted})
	if err != nil {
		return nil, nil, err
	}
	perIP, err = ratelimit.New(ratelimit.Config{
		Name: "ip", Store: store, Logger: logger, Key: byIP,
		Policies: []ratelimit.Policy{{Name: "ip", Limit: 600, Period: time.Minute, Burst: 100}},
	})
	if err != nil {
		return nil, nil, err
	}
	perSubject, err = ratelimit.New(ratelimit.Config{
		Name: "subject", Store: store, Logger: logger, Key: ratelimit.BySubject(),
		Policies: []ratelimit.Policy{{Name: "subject", Limit: 1000, Period: time.Hour, Burst: 20}},
	})
	if err != nil {
		return nil, nil, err
	}
	return perIP, perSubject, nil
}

// newRedisStore connects to the Redis of -redis: a URL such as
// "redis://10.0.0.5:6379/0" (rediss:// for TLS) for one server or a
// Sentinel-managed master's address, or a comma list "h1:p1,h2:p2,h3:p3"
// of Redis Cluster nodes. secret, from RATELIMIT_SECRET, keys the HMAC that
// keeps raw addresses and subjects out of Redis: at least 16 bytes, the
// same on every instance. It checks at start-up that Redis answers, rather
// than on the first requests. closeFn closes the store, then its client.
func newRedisStore(ctx context.Context, redisURL string, secret []byte) (store *redisstore.Store, closeFn func(), err error) {
	if len(secret) == 0 {
		return nil, nil, errors.New("-redis needs RATELIMIT_SECRET in the environment: at least 16 bytes, the same on every instance")
	}
	var client redis.UniversalClient
	if strings.Contains(redisURL, "://") {
		opt, err := redis.ParseURL(redisURL)
		if err != nil {
			return nil, nil, fmt.Errorf("-redis: %w", err)
		}
		opt.ContextTimeoutEnabled = true // so the store's 50ms deadline holds
		opt.MaxRetries = -1              // the store never retries: it fails over to its mode
		client = redis.NewClient(opt)
	} else {
		client = redis.NewClusterClient(&redis.ClusterOptions{
			Addrs: strings.Split(redisURL, ","), ContextTimeoutEnabled: true, MaxRetries: -1,
		})
	}
	store, err = redisstore.New(client, redisstore.Config{Secret: secret})
	if err != nil {
		client.Close()
		return nil, nil, fmt.Errorf("-redis with RATELIMIT_SECRET: %w", err)
	}
	closeFn = func() { store.Close(); client.Close() }
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := store.Prepare(ctx); err != nil {
		closeFn()
		return nil, nil, fmt.Errorf("-redis: Redis does not answer: %w", err)
	}
	return store, closeFn, nil
}
