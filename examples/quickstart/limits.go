package main

import (
	"log/slog"

	"github.com/apishield/apishield/ratelimit"
)

// rateLimits builds the API's per-IP and per-subject limiters
// (newRateLimits, items.go). They keep their state in this process's
// memory, so the quickstart links no Redis client. To share the limits
// between instances, give both limiters a store from the
// ratelimit/redisstore package, as the gateway example does with -redis.
func rateLimits(logger *slog.Logger) (perIP, perSubject *ratelimit.Limiter, err error) {
	return newRateLimits(nil, logger)
}
