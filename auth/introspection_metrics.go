package auth

import (
	"context"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/apishield/apishield/internal/telemetry"
)

// The outcomes of an introspection call, indexes into introspectionSets.
const (
	outcomeActive   = iota // an active token, accepted
	outcomeInactive        // active: false
	outcomeInvalid         // active, but refused here (audience, type, times…)
	outcomeFailure         // no usable answer
)

// The results of an answer cache lookup, indexes into answerLookupSets.
const (
	lookupHit = iota
	lookupNegativeHit
	lookupMiss
)

var (
	introspectionSets = []*telemetry.Attrs{
		telemetry.NewAttrs(attribute.String("outcome", "active")),
		telemetry.NewAttrs(attribute.String("outcome", "inactive")),
		telemetry.NewAttrs(attribute.String("outcome", "invalid")),
		telemetry.NewAttrs(attribute.String("outcome", "failure")),
	}
	answerLookupSets = []*telemetry.Attrs{
		telemetry.NewAttrs(attribute.String("result", "hit")),
		telemetry.NewAttrs(attribute.String("result", "negative_hit")),
		telemetry.NewAttrs(attribute.String("result", "miss")),
	}
)

// introspectionMetrics are an Introspection's instruments.
type introspectionMetrics struct {
	calls    *telemetry.Counter
	duration telemetry.Histogram
	lookups  *telemetry.Counter
}

func newIntrospectionMetrics(mp metric.MeterProvider) introspectionMetrics {
	meter := telemetry.Meter(mp, "auth")
	return introspectionMetrics{
		calls: telemetry.NewCounter(meter, "apishield.auth.introspection.calls",
			"Token introspection calls by outcome.", "{call}", introspectionSets),
		duration: telemetry.NewHistogram(meter, "apishield.auth.introspection.duration",
			"Duration of token introspection calls by outcome.", "s", telemetry.LatencyBounds...),
		lookups: telemetry.NewCounter(meter, "apishield.auth.introspection.cache.lookups",
			"Introspection answer cache lookups by result.", "{lookup}", answerLookupSets),
	}
}

// called counts an introspection call and records its duration.
func (m *introspectionMetrics) called(ctx context.Context, outcome int, d time.Duration) {
	m.calls.Inc(outcome)
	m.duration.Record(ctx, d.Seconds(), introspectionSets[outcome])
}

// looked counts a cache lookup.
func (m *introspectionMetrics) looked(result int) { m.lookups.Inc(result) }
