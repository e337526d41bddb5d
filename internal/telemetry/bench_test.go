package telemetry_test

import (
	"context"
	"sync/atomic"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric/noop"

	"github.com/apishield/apishield/internal/telemetry"
	"github.com/apishield/apishield/internal/telemetry/telemetrytest"
)

// BenchmarkDecision is the cost of recording one decision (the count and
// the span-event check) with the SDK installed and read by a manual
// reader, with the no-op provider and the unset global, beside an atomic
// add as the floor, and beside the SDK's own synchronous counter with a
// precomputed attribute set (what the Counter avoids). Budget: <= 50 ns
// and 0 allocs with the SDK.
func BenchmarkDecision(b *testing.B) {
	deny := telemetry.NewAttrs(attribute.String("outcome", "deny"), attribute.String("reason", "token_expired"), attribute.String("method", "jwt"))
	sets := []*telemetry.Attrs{deny}
	ctx := context.Background()
	b.Run("floor=atomic-add", func(b *testing.B) {
		b.ReportAllocs()
		var n atomic.Int64
		for b.Loop() {
			n.Add(1)
		}
	})
	b.Run("sdk", func(b *testing.B) {
		b.ReportAllocs()
		m := telemetrytest.NewMetrics(b)
		c := telemetry.NewCounter(telemetry.Meter(m, "bench"), "apishield.bench.decisions", "bench", "{decision}", sets)
		for b.Loop() {
			c.Decision(ctx, 0, "apishield.bench.decision")
		}
		m.Collect()
	})
	b.Run("noop", func(b *testing.B) {
		b.ReportAllocs()
		c := telemetry.NewCounter(telemetry.Meter(noop.NewMeterProvider(), "bench"), "apishield.bench.decisions", "bench", "{decision}", sets)
		for b.Loop() {
			c.Decision(ctx, 0, "apishield.bench.decision")
		}
	})
	b.Run("global-unset", func(b *testing.B) {
		b.ReportAllocs()
		c := telemetry.NewCounter(telemetry.Meter(nil, "bench"), "apishield.bench.decisions", "bench", "{decision}", sets)
		for b.Loop() {
			c.Decision(ctx, 0, "apishield.bench.decision")
		}
	})
	b.Run("sdk-sync-counter", func(b *testing.B) {
		b.ReportAllocs()
		m := telemetrytest.NewMetrics(b)
		c, _ := telemetry.Meter(m, "bench").Int64Counter("apishield.bench.sync")
		opts := deny.AddOptions()
		for b.Loop() {
			c.Add(ctx, 1, opts...)
		}
	})
}
