package demo

import (
	"log/slog"
	"time"

	"github.com/apishield/apishield/ratelimit"
)

// RateLimits builds the demo API's two limiters: per client IP (placed
// before auth, so floods are refused before any cryptography) and per
// subject (placed after it). store keeps their state: nil gives each its own
// memory store; a redisstore.Store shares the limits between instances (see
// examples/gateway/limits.go).
func RateLimits(store ratelimit.Store, logger *slog.Logger) (perIP, perSubject *ratelimit.Limiter, err error) {
	// Behind a reverse proxy, list it: ratelimit.ParseTrustedProxies([]string{"10.0.0.0/8"}).
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
