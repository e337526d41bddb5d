package main

import (
	"log/slog"
	"time"

	"github.com/apishield/apishield/ratelimit"
)

// rateLimits builds the per-IP limiter (before auth, so floods are refused
// before any cryptography) and the per-subject limiter (after it). They
// keep their state in memory; several gateway instances share one limit
// through ratelimit.NewRedisStore, wired as in the quickstart's limits.go.
func rateLimits(logger *slog.Logger) (perIP, perSubject *ratelimit.Limiter, err error) {
	// Behind a load balancer, list it: ratelimit.ParseTrustedProxies([]string{"10.0.0.0/8"}).
	byIP, err := ratelimit.ByIP(ratelimit.IPConfig{})
	if err != nil {
		return nil, nil, err
	}
	perIP, err = ratelimit.New(ratelimit.Config{
		Name: "ip", Logger: logger, Key: byIP,
		Policies: []ratelimit.Policy{{Name: "ip", Limit: 600, Period: time.Minute, Burst: 100}},
	})
	if err != nil {
		return nil, nil, err
	}
	perSubject, err = ratelimit.New(ratelimit.Config{
		Name: "subject", Logger: logger, Key: ratelimit.BySubject(),
		Policies: []ratelimit.Policy{{Name: "subject", Limit: 1000, Period: time.Hour, Burst: 20}},
	})
	if err != nil {
		return nil, nil, err
	}
	return perIP, perSubject, nil
}
