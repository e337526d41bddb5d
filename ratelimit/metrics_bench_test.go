package ratelimit

import (
	"context"
	"testing"
	"time"

	"go.opentelemetry.io/otel/metric/noop"

	"github.com/apishield/apishield/internal/telemetry/telemetrytest"
)

// BenchmarkAllowMetrics is one decision in memory with the decision
// recorded by an installed SDK (manual reader), beside the same decision
// with the no-op provider as the floor: the difference is the cost of
// recording. Budget: <= 50 ns over the floor, 0 allocs.
func BenchmarkAllowMetrics(b *testing.B) {
	ps := []Policy{{Name: "p", Limit: 1_000_000, Period: time.Second, Burst: 1 << 30}}
	ctx := context.Background()
	run := func(b *testing.B, l *Limiter) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := l.Allow(ctx, "k", 1); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("floor=noop", func(b *testing.B) {
		run(b, MustNew(Config{Key: BySubject(), Policies: ps, MeterProvider: noop.NewMeterProvider()}))
	})
	b.Run("sdk", func(b *testing.B) {
		run(b, MustNew(Config{Key: BySubject(), Policies: ps, MeterProvider: telemetrytest.NewMetrics(b)}))
	})
}
