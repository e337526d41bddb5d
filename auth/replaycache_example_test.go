package auth_test

import (
	"context"
	"fmt"
	"time"

	"github.com/apishield/apishield/auth"
)

// A replay cache answers fresh once per key until the key's expiry; a
// second use is a replay.
func ExampleMemoryReplayCache() {
	cache, err := auth.NewMemoryReplayCache(auth.MemoryReplayConfig{MaxEntries: 100_000})
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	exp := time.Now().Add(5 * time.Minute)
	for range 2 {
		fresh, err := cache.Remember(ctx, "issuer|jti-1", exp)
		fmt.Println(fresh, err)
	}
	// Output:
	// true <nil>
	// false <nil>
}

// One-time access tokens: each token's jti is spent on its first
// successful verification, so a copy presented again, to this instance or
// another sharing the cache, is refused as invalid_token. Share the cache
// between instances through auth/redisstore.
func ExampleJWTConfig_oneTime() {
	replay, err := auth.NewMemoryReplayCache(auth.MemoryReplayConfig{})
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	jwt, err := auth.NewJWT(ctx, auth.JWTConfig{
		Issuer:   "https://login.example.com/",
		Audience: []string{"https://downloads.example.com"},
		OneTime:  replay,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	_ = jwt
}
