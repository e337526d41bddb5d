// Package telemetrytest reads back what apishield's packages record
// through OpenTelemetry, for their tests: an SDK MeterProvider with a
// manual reader, and a TracerProvider with a span recorder. Only tests
// import it; it is the one package of the module that links the SDK.
package telemetrytest

import (
	"context"
	"slices"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

// Metrics is an SDK MeterProvider whose measurements the test collects on
// demand.
type Metrics struct {
	*sdkmetric.MeterProvider
	reader *sdkmetric.ManualReader
	t      testing.TB
}

// NewMetrics returns a MeterProvider with a manual reader, shut down when
// the test ends.
func NewMetrics(t testing.TB) *Metrics {
	t.Helper()
	r := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(r))
	t.Cleanup(func() { _ = mp.Shutdown(context.Background()) })
	return &Metrics{MeterProvider: mp, reader: r, t: t}
}

// Collect returns every metric recorded so far, by name, with the scope
// that recorded it.
func (m *Metrics) Collect() map[string]Metric {
	m.t.Helper()
	var rm metricdata.ResourceMetrics
	if err := m.reader.Collect(context.Background(), &rm); err != nil {
		m.t.Fatalf("collect metrics: %v", err)
	}
	out := map[string]Metric{}
	for _, sm := range rm.ScopeMetrics {
		for _, md := range sm.Metrics {
			out[md.Name] = Metric{Scope: sm.Scope.Name, Unit: md.Unit, Data: md.Data}
		}
	}
	return out
}

// A Metric is one collected instrument.
type Metric struct {
	Scope string
	Unit  string
	Data  metricdata.Aggregation
}

// Points returns the metric's data points as attribute sets and values:
// sums and gauges by value, histograms by count.
func (m Metric) Points() []Point {
	var out []Point
	switch d := m.Data.(type) {
	case metricdata.Sum[int64]:
		for _, p := range d.DataPoints {
			out = append(out, Point{p.Attributes, float64(p.Value)})
		}
	case metricdata.Sum[float64]:
		for _, p := range d.DataPoints {
			out = append(out, Point{p.Attributes, p.Value})
		}
	case metricdata.Gauge[int64]:
		for _, p := range d.DataPoints {
			out = append(out, Point{p.Attributes, float64(p.Value)})
		}
	case metricdata.Gauge[float64]:
		for _, p := range d.DataPoints {
			out = append(out, Point{p.Attributes, p.Value})
		}
	case metricdata.Histogram[float64]:
		for _, p := range d.DataPoints {
			out = append(out, Point{p.Attributes, float64(p.Count)})
		}
	}
	return out
}

// A Point is one series of a metric: its attributes and its value (the
// count, for a histogram).
type Point struct {
	Attrs attribute.Set
	Value float64
}

// Value returns the value of the series of name whose attributes are
// exactly kvs, and whether it exists.
func (m *Metrics) Value(name string, kvs ...attribute.KeyValue) (float64, bool) {
	m.t.Helper()
	want := attribute.NewSet(kvs...)
	for _, p := range m.Collect()[name].Points() {
		if p.Attrs.Equals(&want) {
			return p.Value, true
		}
	}
	return 0, false
}

// Series returns the attribute sets of name's series, each as "k=v,k=v"
// sorted, for comparing whole sets in a test.
func (m *Metrics) Series(name string) map[string]float64 {
	m.t.Helper()
	out := map[string]float64{}
	for _, p := range m.Collect()[name].Points() {
		out[Key(p.Attrs.ToSlice()...)] = p.Value
	}
	return out
}

// Key spells kvs as "k=v,k=v" sorted by key, as Series does.
func Key(kvs ...attribute.KeyValue) string {
	set := attribute.NewSet(kvs...)
	s := ""
	for i, kv := range set.ToSlice() {
		if i > 0 {
			s += ","
		}
		s += string(kv.Key) + "=" + kv.Value.String()
	}
	return s
}

// Spans is an SDK TracerProvider that samples every span and keeps the
// ended ones.
type Spans struct {
	*sdktrace.TracerProvider
	rec *tracetest.SpanRecorder
}

// NewSpans returns a TracerProvider recording every span, shut down when
// the test ends.
func NewSpans(t testing.TB) *Spans {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec), sdktrace.WithSampler(sdktrace.AlwaysSample()))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	return &Spans{TracerProvider: tp, rec: rec}
}

// Start starts a span named name on ctx.
func (s *Spans) Start(ctx context.Context, name string) (context.Context, trace.Span) {
	return s.Tracer("telemetrytest").Start(ctx, name)
}

// Events returns the events named name on the ended spans, each as its
// attributes spelled by Key, in order.
func (s *Spans) Events(name string) []string {
	var out []string
	for _, sp := range s.rec.Ended() {
		for _, ev := range sp.Events() {
			if ev.Name == name {
				out = append(out, Key(ev.Attributes...))
			}
		}
	}
	return out
}

// Sorted returns a sorted copy of ss.
func Sorted(ss []string) []string {
	ss = slices.Clone(ss)
	slices.Sort(ss)
	return ss
}
