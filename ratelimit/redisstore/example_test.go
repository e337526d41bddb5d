package redisstore_test

import (
	"context"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/apishield/apishield/ratelimit"
	"github.com/apishield/apishield/ratelimit/redisstore"
)

// newStore connects to Redis and returns a store that every instance of a
// service shares: redisURL is a URL such as "redis://localhost:6379/0" for
// one server, or a comma list of "host:port" nodes for a Redis Cluster.
// secret keys the HMAC of the identities stored in Redis (at least 16
// bytes, the same on every instance). closeFn closes the store and then
// its client, which belongs to the caller.
func newStore(redisURL string, secret []byte) (store *redisstore.Store, closeFn func(), err error) {
	return newStoreConfig(redisURL, redisstore.Config{Secret: secret})
}

// newStoreConfig is newStore with the rest of the store's Config.
func newStoreConfig(redisURL string, cfg redisstore.Config) (store *redisstore.Store, closeFn func(), err error) {
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
			Addrs:                 strings.Split(redisURL, ","),
			ContextTimeoutEnabled: true,
			MaxRetries:            -1,
		})
	}
	store, err = redisstore.New(client, cfg)
	if err != nil {
		client.Close()
		return nil, nil, err
	}
	closeFn = func() { store.Close(); client.Close() }
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := store.Prepare(ctx); err != nil { // fail at start-up, not on the first requests
		closeFn()
		return nil, nil, err
	}
	return store, closeFn, nil
}

// rateLimits builds a service's per-IP limiter (before authentication) and
// per-subject limiter (after it) on one shared store: limiters that share a
// store keep their state apart by their names.
func rateLimits(store ratelimit.Store, logger *slog.Logger) (perIP, perSubject *ratelimit.Limiter, err error) {
	byIP, err := ratelimit.ByIP(ratelimit.IPConfig{})
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
		Policies: []ratelimit.Policy{
			{Name: "subject", Limit: 1000, Period: time.Hour, Burst: 20},
			{Name: "daily", Limit: 10000, Period: 24 * time.Hour},
		},
	})
	if err != nil {
		return nil, nil, err
	}
	return perIP, perSubject, nil
}

// Example shares a service's limits between its instances through Redis.
// The URL and the secret come from the environment, never from code.
func Example() {
	store, closeFn, err := newStore(os.Getenv("REDIS_URL"), []byte(os.Getenv("RATELIMIT_SECRET")))
	if err != nil {
		panic(err) // at start-up: Redis unreachable, or a bad URL or secret
	}
	defer closeFn()
	perIP, perSubject, err := rateLimits(store, slog.Default())
	if err != nil {
		panic(err)
	}
	_, _ = perIP, perSubject // perIP.Handler(authn.Handler(perSubject.Handler(mux)))
}
