package telemetry_test

import (
	"context"
	"runtime"
	"slices"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric/noop"

	"github.com/apishield/apishield/internal/telemetry"
	"github.com/apishield/apishield/internal/telemetry/telemetrytest"
)

func TestCounterCountsAndAddsEvent(t *testing.T) {
	t.Parallel()
	m := telemetrytest.NewMetrics(t)
	spans := telemetrytest.NewSpans(t)
	sets := []*telemetry.Attrs{
		telemetry.NewAttrs(attribute.String("outcome", "allow")),
		telemetry.NewAttrs(attribute.String("outcome", "deny"), attribute.String("reason", "forbidden")),
		telemetry.NewAttrs(attribute.String("outcome", "error")),
	}
	c := telemetry.NewCounter(telemetry.Meter(m, "pkg"), "apishield.test.decisions", "test", "{decision}", sets)

	ctx, span := spans.Start(context.Background(), "request")
	c.Decision(ctx, 0, "apishield.test.decision")
	c.Decision(ctx, 1, "apishield.test.decision")
	c.Decision(ctx, 1, "apishield.test.decision")
	span.End()
	// Without a span, the count still goes up and no event is added.
	c.Decision(context.Background(), 0, "apishield.test.decision")

	got := m.Series("apishield.test.decisions")
	// A set never counted is not reported.
	want := map[string]float64{"outcome=allow": 2, "outcome=deny,reason=forbidden": 2}
	if !mapsEqual(got, want) {
		t.Fatalf("series = %v, want %v", got, want)
	}
	md := m.Collect()["apishield.test.decisions"]
	if md.Scope != "github.com/apishield/apishield/pkg" || md.Unit != "{decision}" {
		t.Errorf("scope, unit = %q, %q; want github.com/apishield/apishield/pkg, {decision}", md.Scope, md.Unit)
	}
	events := spans.Events("apishield.test.decision")
	wantEv := []string{"outcome=allow", "outcome=deny,reason=forbidden", "outcome=deny,reason=forbidden"}
	if !slices.Equal(events, wantEv) {
		t.Errorf("events = %v, want %v", events, wantEv)
	}
}

// Two components with the same sets add up, as one series.
func TestCountersOfEqualSetsAddUp(t *testing.T) {
	t.Parallel()
	m := telemetrytest.NewMetrics(t)
	a := telemetry.NewAttrs(attribute.String("outcome", "allow"))
	c1 := telemetry.NewCounter(telemetry.Meter(m, "pkg"), "apishield.test.decisions", "test", "{decision}", []*telemetry.Attrs{a})
	c2 := telemetry.NewCounter(telemetry.Meter(m, "pkg"), "apishield.test.decisions", "test", "{decision}", []*telemetry.Attrs{a})
	c1.Inc(0)
	c2.Inc(0)
	c2.Inc(0)
	if n, _ := m.Value("apishield.test.decisions", attribute.String("outcome", "allow")); n != 3 {
		t.Errorf("count = %v, want 3", n)
	}
	// Counts are cumulative across collections.
	c1.Inc(0)
	if n, _ := m.Value("apishield.test.decisions", attribute.String("outcome", "allow")); n != 4 {
		t.Errorf("count after another = %v, want 4", n)
	}
	runtime.KeepAlive(c1)
	runtime.KeepAlive(c2)
}

// A component that is gone stops being reported (its callback removed).
func TestCounterOfUnreachableOwnerIsDropped(t *testing.T) {
	m := telemetrytest.NewMetrics(t)
	a := telemetry.NewAttrs(attribute.String("outcome", "allow"))
	func() {
		c := telemetry.NewCounter(telemetry.Meter(m, "pkg"), "apishield.test.gone", "test", "{decision}", []*telemetry.Attrs{a})
		c.Inc(0)
	}()
	for range 5 {
		runtime.GC()
	}
	if n, ok := m.Value("apishield.test.gone", attribute.String("outcome", "allow")); ok {
		t.Errorf("a collected counter still reports %v", n)
	}
}

func TestGauge(t *testing.T) {
	t.Parallel()
	m := telemetrytest.NewMetrics(t)
	type owner struct{ depth float64 }
	o := &owner{depth: 7}
	leaf := telemetry.NewAttrs(attribute.String("certificate", "leaf"))
	telemetry.Gauge(telemetry.Meter(m, "pkg"), "apishield.test.depth", "test", "{event}", o, func(o *owner, observe func(float64, *telemetry.Attrs)) {
		observe(o.depth, nil)
		observe(o.depth*2, leaf)
	})
	got := m.Series("apishield.test.depth")
	want := map[string]float64{"": 7, "certificate=leaf": 14}
	if !mapsEqual(got, want) {
		t.Errorf("gauge = %v, want %v", got, want)
	}
	o.depth = 3
	if n, _ := m.Value("apishield.test.depth"); n != 3 {
		t.Errorf("gauge after change = %v, want 3", n)
	}
}

func TestHistogramEnabledOnlyWithSDK(t *testing.T) {
	t.Parallel()
	off := telemetry.NewHistogram(noop.NewMeterProvider().Meter("x"), "apishield.test.duration", "test", "s")
	if off.Enabled(context.Background()) {
		t.Error("a no-op histogram reports enabled: callers would read the clock for nothing")
	}
	m := telemetrytest.NewMetrics(t)
	on := telemetry.NewHistogram(telemetry.Meter(m, "pkg"), "apishield.test.duration", "test", "s", telemetry.LatencyBounds...)
	if !on.Enabled(context.Background()) {
		t.Fatal("an SDK histogram reports disabled")
	}
	a := telemetry.NewAttrs(attribute.String("store", "redis"))
	on.Record(context.Background(), 0.001, a)
	on.Record(context.Background(), 0.002, a)
	if n, ok := m.Value("apishield.test.duration", attribute.String("store", "redis")); !ok || n != 2 {
		t.Errorf("histogram count = %v, %v; want 2, true", n, ok)
	}
}

func TestAttrsAreSortedCopies(t *testing.T) {
	t.Parallel()
	a := telemetry.NewAttrs(attribute.String("z", "1"), attribute.String("a", "2"))
	kvs := a.KeyValues()
	if len(kvs) != 2 || kvs[0].Key != "a" || kvs[1].Key != "z" {
		t.Fatalf("KeyValues = %v, want a then z", kvs)
	}
	kvs[0] = attribute.String("a", "changed")
	if a.KeyValues()[0].Value.AsString() != "2" {
		t.Error("KeyValues returned the set's own slice")
	}
}

func mapsEqual(a, b map[string]float64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// Components sharing a gauge are reduced per attribute set, and leave it
// when they are gone.
func TestSharedGauge(t *testing.T) {
	t.Parallel()
	m := telemetrytest.NewMetrics(t)
	// Big enough, with pointers, to stay out of the tiny allocator, whose
	// blocks are freed only with all they hold (owners in the library
	// are large structs).
	type src struct {
		age float64
		_   [3]*int
	}
	leaf := telemetry.NewAttrs(attribute.String("certificate", "leaf"))
	read := func(s *src, observe func(float64, *telemetry.Attrs)) {
		observe(s.age, nil)
		observe(-s.age, leaf)
	}
	a, b := &src{age: 10}, &src{age: 30}
	telemetry.SharedGauge(m, "pkg", "apishield.test.age", "test", "s", telemetry.Max, a, read)
	telemetry.SharedGauge(m, "pkg", "apishield.test.age", "test", "s", telemetry.Max, b, read)
	func() {
		c := &src{age: 99}
		telemetry.SharedGauge(m, "pkg", "apishield.test.age", "test", "s", telemetry.Max, c, read)
	}()
	for range 5 {
		runtime.GC()
	}
	got := m.Series("apishield.test.age")
	want := map[string]float64{"": 30, "certificate=leaf": -10}
	if !mapsEqual(got, want) {
		t.Errorf("shared gauge = %v, want %v", got, want)
	}
	runtime.KeepAlive(a)
	runtime.KeepAlive(b)
}

func TestCounterFunc(t *testing.T) {
	t.Parallel()
	m := telemetrytest.NewMetrics(t)
	type owner struct{ n int64 }
	o := &owner{n: 4}
	telemetry.CounterFunc(telemetry.Meter(m, "pkg"), "apishield.test.dropped", "test", "{event}", o, nil, func(o *owner) int64 { return o.n })
	if v, ok := m.Value("apishield.test.dropped"); !ok || v != 4 {
		t.Errorf("counter = %v, %v; want 4", v, ok)
	}
	o.n = 9
	if v, _ := m.Value("apishield.test.dropped"); v != 9 {
		t.Errorf("counter after change = %v, want 9", v)
	}
	runtime.KeepAlive(o)
}
