package redisstore_test

import (
	"context"
	"log"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/apishield/apishield/audit"
	"github.com/apishield/apishield/auth"
	"github.com/apishield/apishield/auth/redisstore"
)

// Every instance of the service builds the same store and gives it to
// auth; a revocation made through any of them is refused by all within
// milliseconds, and the instance that made it writes the audit event.
func ExampleNewRevocations() {
	ctx := context.Background()
	auditor, err := audit.New(audit.Config{Handlers: nil /* the service's sinks */})
	if err != nil {
		log.Fatal(err)
	}
	client := redis.NewClient(&redis.Options{Addr: "redis:6379", ContextTimeoutEnabled: true})
	revs, err := redisstore.NewRevocations(ctx, client, redisstore.RevocationsConfig{
		OnRevoke: func(ctx context.Context, r auth.Revocation) {
			auditor.Log(ctx, audit.Event{Action: audit.ActionAuthnTokenRevoked, Outcome: audit.Success, User: r.Subject})
		},
	})
	if err != nil {
		log.Fatal(err) // Redis unreachable at start: better found now
	}
	defer revs.Close()

	var jwt *auth.JWT // auth.NewJWT(ctx, …)
	m, err := auth.New(auth.Config{Authenticators: []auth.Authenticator{jwt}, Revocations: revs})
	if err != nil {
		log.Fatal(err)
	}
	_ = m // r.Use(m.Handler)

	// An administrator signs alice out everywhere: her tokens issued until
	// now are refused, those she gets afterwards work.
	now := time.Now()
	err = revs.Revoke(ctx, auth.Revocation{
		Subject:      "alice",
		Issuer:       "https://login.example.com/",
		IssuedBefore: now,
		Expires:      now.Add(time.Hour), // the longest token lifetime
	})
	if err != nil {
		log.Print(err) // not written to Redis: retry
	}
}
