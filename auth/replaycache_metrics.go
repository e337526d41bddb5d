package auth

import (
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/apishield/apishield/internal/telemetry"
)

// The attribute sets of a memory replay cache's instruments. The memory
// cache has one failure, being full, and it fails closed.
var (
	replayMemorySets      = []*telemetry.Attrs{telemetry.NewAttrs(attribute.String("store", "memory"))}
	replayMemoryErrorSets = []*telemetry.Attrs{telemetry.NewAttrs(attribute.String("store", "memory"), attribute.String("mode", "fail_closed"))}
	sumReduce             = telemetry.Reduce(func(a, b float64) float64 { return a + b })
)

// replayMetrics are a memory replay cache's counters.
type replayMetrics struct {
	replays *telemetry.Counter // replays refused
	errors  *telemetry.Counter // new keys refused because the cache is full
}

func newReplayMetrics(mp metric.MeterProvider, c *MemoryReplayCache) replayMetrics {
	meter := telemetry.Meter(mp, "auth")
	telemetry.SharedGauge(mp, "auth", "apishield.auth.replay_cache.entries",
		"Keys held by the memory replay caches, expired ones not yet dropped included.", "{entry}",
		sumReduce, c, func(c *MemoryReplayCache, observe func(float64, *telemetry.Attrs)) {
			observe(float64(c.Len()), replayMemorySets[0])
		})
	return replayMetrics{
		replays: telemetry.NewCounter(meter, "apishield.auth.replay_cache.replays",
			"Uses refused by the replay cache because their key was used before.", "{replay}", replayMemorySets),
		errors: telemetry.NewCounter(meter, "apishield.auth.replay_cache.errors",
			"Uses the replay cache could not answer for, by store and failure mode.", "{error}", replayMemoryErrorSets),
	}
}
