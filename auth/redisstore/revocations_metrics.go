package redisstore

import (
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/apishield/apishield/internal/telemetry"
)

// The attribute sets of the revocations' counters: index 0 success, 1
// failure.
var (
	syncSets = []*telemetry.Attrs{
		telemetry.NewAttrs(attribute.String("outcome", "success")),
		telemetry.NewAttrs(attribute.String("outcome", "failure")),
	}
	messageSets = []*telemetry.Attrs{
		telemetry.NewAttrs(attribute.String("outcome", "applied")),
		telemetry.NewAttrs(attribute.String("outcome", "failure")),
	}
)

// revocationMetrics are a Revocations store's instruments.
type revocationMetrics struct {
	syncs    *telemetry.Counter
	messages *telemetry.Counter
}

func newRevocationMetrics(mp metric.MeterProvider, s *Revocations) revocationMetrics {
	meter := telemetry.Meter(mp, "auth/redisstore")
	telemetry.SharedGauge(mp, "auth/redisstore", "apishield.auth.revocations.age",
		"Age of the oldest revocations view: the time since its last full read from Redis.", "s",
		telemetry.Max, s, func(s *Revocations, observe func(float64, *telemetry.Attrs)) {
			observe(time.Since(time.Unix(0, s.lastSync.Load())).Seconds(), nil)
		})
	return revocationMetrics{
		syncs: telemetry.NewCounter(meter, "apishield.auth.revocations.syncs",
			"Full reads of the revocations from Redis, by outcome.", "{sync}", syncSets),
		messages: telemetry.NewCounter(meter, "apishield.auth.revocations.messages",
			"Revocations received on the channel, by outcome; failure counts lost subscriptions and invalid announcements.", "{message}", messageSets),
	}
}

func (m *revocationMetrics) synced(ok bool) {
	if ok {
		m.syncs.Inc(0)
		return
	}
	m.syncs.Inc(1)
}

func (m *revocationMetrics) received(ok bool) {
	if ok {
		m.messages.Inc(0)
		return
	}
	m.messages.Inc(1)
}
