package redisstore

import (
	"context"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/apishield/apishield/internal/redisbreaker"
	"github.com/apishield/apishield/internal/telemetry"
)

// Breaker states as reported by apishield.ratelimit.breaker.state.
const (
	breakerClosed   = redisbreaker.Closed
	breakerHalfOpen = redisbreaker.HalfOpen
	breakerOpen     = redisbreaker.Open
)

var (
	attrsOK      = telemetry.NewAttrs(attribute.String("store", "redis"), attribute.String("outcome", "ok"))
	attrsError   = telemetry.NewAttrs(attribute.String("store", "redis"), attribute.String("outcome", "error"))
	attrsBreaker = telemetry.NewAttrs(attribute.String("store", "redis"))
)

// storeMetrics are a store's instruments.
type storeMetrics struct {
	duration telemetry.Histogram
}

func newStoreMetrics(mp metric.MeterProvider, s *Store) storeMetrics {
	meter := telemetry.Meter(mp, "ratelimit/redisstore")
	telemetry.Gauge(meter, "apishield.ratelimit.breaker.state",
		"The Redis store's circuit breaker: 0 closed, 1 half-open (probing), 2 open.", "{state}",
		s, func(s *Store, observe func(float64, *telemetry.Attrs)) {
			observe(float64(s.breakerState()), attrsBreaker)
		})
	return storeMetrics{duration: telemetry.NewHistogram(meter, "apishield.ratelimit.store.duration",
		"Duration of the Redis store's round trips for decisions.", "s", telemetry.LatencyBounds...)}
}

// roundTrip records one round trip of duration d that ended with err.
func (m *storeMetrics) roundTrip(ctx context.Context, d time.Duration, err error) {
	a := attrsOK
	if err != nil {
		a = attrsError
	}
	m.duration.Record(ctx, d.Seconds(), a)
}

// breakerState returns the breaker's state for the gauge.
func (s *Store) breakerState() int { return s.breaker.State() }
