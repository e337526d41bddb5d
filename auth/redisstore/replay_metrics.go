package redisstore

import (
	"context"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/apishield/apishield/internal/telemetry"
)

// The attribute sets of a replay cache's instruments. Error sets are
// indexed by FailMode.
var (
	replayStore      = attribute.String("store", "redis")
	replayAttrsOK    = telemetry.NewAttrs(replayStore, attribute.String("outcome", "ok"))
	replayAttrsError = telemetry.NewAttrs(replayStore, attribute.String("outcome", "error"))
	replayAttrs      = []*telemetry.Attrs{telemetry.NewAttrs(replayStore)}
	replayErrorAttrs = []*telemetry.Attrs{
		telemetry.NewAttrs(replayStore, attribute.String("mode", FailClosed.String())),
		telemetry.NewAttrs(replayStore, attribute.String("mode", FailOpen.String())),
		telemetry.NewAttrs(replayStore, attribute.String("mode", Local.String())),
	}
)

// replayMetrics are a replay cache's instruments.
type replayMetrics struct {
	duration telemetry.Histogram
	replays  *telemetry.Counter
	errors   *telemetry.Counter // indexed by FailMode
}

func newReplayMetrics(mp metric.MeterProvider, c *ReplayCache) replayMetrics {
	meter := telemetry.Meter(mp, "auth/redisstore")
	telemetry.Gauge(meter, "apishield.auth.replay_cache.breaker.state",
		"The Redis replay cache's circuit breaker: 0 closed, 1 half-open (probing), 2 open.", "{state}",
		c, func(c *ReplayCache, observe func(float64, *telemetry.Attrs)) {
			observe(float64(c.breaker.State()), replayAttrs[0])
		})
	return replayMetrics{
		duration: telemetry.NewHistogram(meter, "apishield.auth.replay_cache.duration",
			"Duration of the Redis replay cache's round trips.", "s", telemetry.LatencyBounds...),
		replays: telemetry.NewCounter(meter, "apishield.auth.replay_cache.replays",
			"Uses refused by the replay cache because their key was used before.", "{replay}", replayAttrs),
		errors: telemetry.NewCounter(meter, "apishield.auth.replay_cache.errors",
			"Uses the replay cache could not answer for, by store and failure mode.", "{error}", replayErrorAttrs),
	}
}

// roundTrip records one round trip of duration d that ended with err.
func (m *replayMetrics) roundTrip(ctx context.Context, d time.Duration, err error) {
	a := replayAttrsOK
	if err != nil {
		a = replayAttrsError
	}
	m.duration.Record(ctx, d.Seconds(), a)
}
