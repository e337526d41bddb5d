package main

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/apishield/apishield/ratelimit"
)

// rateLimits builds the API's per-IP and per-subject limiters
// (newRateLimits, items.go). They keep their state in memory, or in Redis when
// redisURL is set: a URL such as
// "redis://localhost:6379/0", or a comma list "h1:p1,h2:p2,h3:p3" of Redis
// Cluster nodes. With Redis, secret (at least 16 bytes, the same on every
// instance) keys the HMAC that keeps raw IPs and subjects out of Redis.
func rateLimits(redisURL string, secret []byte, logger *slog.Logger) (perIP, perSubject *ratelimit.Limiter, err error) {
	var store ratelimit.Store // nil: each limiter keeps its own memory store
	if redisURL != "" {
		var client redis.UniversalClient
		if strings.Contains(redisURL, "://") {
			opt, err := redis.ParseURL(redisURL)
			if err != nil {
				return nil, nil, err
			}
			opt.ContextTimeoutEnabled = true // so the store's 50ms deadline holds
			opt.MaxRetries = -1              // the store never retries: it fails over to its mode
			client = redis.NewClient(opt)
		} else {
			client = redis.NewClusterClient(&redis.ClusterOptions{
				Addrs: strings.Split(redisURL, ","), ContextTimeoutEnabled: true, MaxRetries: -1,
			})
		}
		rs, err := ratelimit.NewRedisStore(client, ratelimit.RedisConfig{Secret: secret})
		if err != nil {
			client.Close()
			return nil, nil, err
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := rs.Prepare(ctx); err != nil { // fail at start-up, not on the first requests
			rs.Close()
			client.Close()
			return nil, nil, err
		}
		store = rs
	}
	return newRateLimits(store, logger)
}
