package redisstore_test

import (
	"context"
	"log"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/apishield/apishield/auth"
	"github.com/apishield/apishield/auth/redisstore"
)

// A replay cache shared by every instance through Redis, used to make
// access tokens one-time. On Redis Cluster, pass a *redis.ClusterClient
// instead: each key is one slot.
func ExampleNewReplayCache() {
	client := redis.NewClient(&redis.Options{
		Addr:                  "redis:6379",
		ContextTimeoutEnabled: true, // so the cache's 50ms deadline holds
		MaxRetries:            -1,   // never retried: a failure goes to OnError
	})
	defer client.Close()
	replay, err := redisstore.NewReplayCache(client, redisstore.ReplayConfig{
		OnError: redisstore.FailClosed, // the default: refuse while Redis is down
	})
	if err != nil {
		log.Fatal(err)
	}
	defer replay.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	jwt, err := auth.NewJWT(ctx, auth.JWTConfig{
		Issuer:   "https://login.example.com/",
		Audience: []string{"https://downloads.example.com"},
		OneTime:  replay,
	})
	if err != nil {
		log.Fatal(err)
	}
	_ = jwt
}
