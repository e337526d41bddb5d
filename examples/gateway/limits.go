package main

import (
	"log/slog"
	"net/netip"
	"time"

	"github.com/apishield/apishield/ratelimit"
)

// rateLimits builds the per-IP limiter (before auth, so floods are refused
// before any cryptography) and the per-subject limiter (after it). They
// keep their state in memory; several gateway instances share one limit
// through ratelimit.NewRedisStore, wired as in the quickstart's limits.go.
// trusted are the proxies in front of the gateway (-trusted-proxies): behind
// a load balancer, list it, or every client shares its address's limit.
func rateLimits(logger *slog.Logger, trusted []netip.Prefix) (perIP, perSubject *ratelimit.Limiter, err error) {
	byIP, err := ratelimit.ByIP(ratelimit.IPConfig{TrustedProxies: trusted})
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
