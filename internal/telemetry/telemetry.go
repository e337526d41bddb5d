// Package telemetry is the shared machinery through which apishield's
// packages report metrics and span events through the OpenTelemetry API.
//
// It imports only the API (go.opentelemetry.io/otel, /metric, /trace,
// /attribute): until the application installs an SDK, every instrument is
// the API's no-op and recording costs a call that returns at once. A nil
// metric.MeterProvider means the global one, obtained when the package's
// component is built; the global provider delegates, so an SDK installed
// later is used from then on.
//
// Attribute sets are built once, at construction, from bounded values
// (outcomes, reasons from the errors registry, rule kinds, limiter and
// policy names from the configuration), never from request data. Recording
// then passes a precomputed option and allocates nothing.
package telemetry

import (
	"context"
	"runtime"
	"sync/atomic"
	"weak"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
)

// ScopePrefix is the instrumentation scope of every apishield meter; a
// package's scope is ScopePrefix followed by its import path within the
// module, e.g. "github.com/apishield/apishield/auth".
const ScopePrefix = "github.com/apishield/apishield/"

// Meter returns the meter of package pkg (a path within the module, e.g.
// "auth" or "ratelimit/redisstore") from mp, or from the global provider
// when mp is nil.
func Meter(mp metric.MeterProvider, pkg string) metric.Meter {
	if mp == nil {
		mp = otel.GetMeterProvider()
	}
	return mp.Meter(ScopePrefix + pkg)
}

// Attrs is an attribute set fixed at construction, with the options that
// record it, so that recording allocates nothing. An Attrs is immutable and
// safe for concurrent use.
type Attrs struct {
	kvs []attribute.KeyValue
	add []metric.AddOption
	rec []metric.RecordOption
	obs []metric.ObserveOption
	ev  []trace.EventOption
}

// NewAttrs returns the set of kvs. Keys and values must be bounded: never a
// subject, key, token, address, path or user agent.
func NewAttrs(kvs ...attribute.KeyValue) *Attrs {
	set := attribute.NewSet(kvs...)
	opt := metric.WithAttributeSet(set)
	sorted := set.ToSlice()
	return &Attrs{
		kvs: sorted,
		add: []metric.AddOption{opt},
		rec: []metric.RecordOption{opt},
		obs: []metric.ObserveOption{opt},
		ev:  []trace.EventOption{trace.WithAttributes(sorted...)},
	}
}

// KeyValues returns a copy of the set's attributes, sorted by key.
func (a *Attrs) KeyValues() []attribute.KeyValue {
	return append([]attribute.KeyValue(nil), a.kvs...)
}

// Counter counts events per attribute set from a fixed table of sets. The
// counts are atomic integers in the process; an observable counter reports
// them when the SDK collects. Counting is then an atomic add whatever the
// SDK, where a synchronous counter would resolve its attribute set on every
// call (a few hundred nanoseconds in the SDK this module is tested with).
// The price is that counts carry no exemplars.
//
// The callback holds the table weakly: once the component that owns the
// Counter is unreachable, its registration is removed, so components built
// at run time do not accumulate. Counts of components with equal attribute
// sets add up, as the SDK sums observations of one set.
//
// A Counter is safe for concurrent use.
type Counter struct {
	counts []atomic.Int64
	sets   []*Attrs
}

// NewCounter makes an observable counter name on m reporting one count per
// set of sets; Inc(i) counts for sets[i]. Errors from the meter leave the
// counts unreported, never a request path broken: the API's instruments
// are never nil.
func NewCounter(m metric.Meter, name, desc, unit string, sets []*Attrs) *Counter {
	c := &Counter{counts: make([]atomic.Int64, len(sets)), sets: sets}
	inst, err := m.Int64ObservableCounter(name, metric.WithDescription(desc), metric.WithUnit(unit))
	if err != nil {
		return c
	}
	wc := weak.Make(c)
	reg, err := m.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		c := wc.Value()
		if c == nil {
			return nil
		}
		for i := range c.counts {
			if n := c.counts[i].Load(); n != 0 {
				o.ObserveInt64(inst, n, c.sets[i].obs...)
			}
		}
		return nil
	}, inst)
	if err == nil {
		runtime.AddCleanup(c, func(r metric.Registration) { _ = r.Unregister() }, reg)
	}
	return c
}

// Inc counts one for sets[i]. A nil Counter counts nothing.
func (c *Counter) Inc(i int) {
	if c != nil {
		c.counts[i].Add(1)
	}
}

// Attrs returns sets[i].
func (c *Counter) Attrs(i int) *Attrs { return c.sets[i] }

// Decision counts one for sets[i] and adds the event name with that set to
// the recording span of ctx. A nil Counter does nothing.
func (c *Counter) Decision(ctx context.Context, i int, event string) {
	if c == nil {
		return
	}
	c.counts[i].Add(1)
	Event(ctx, event, c.sets[i])
}

// Count counts one decision with the attribute set at index i, adding no
// span event: for the allow path of a perimeter middleware, which runs on
// every request and whose budget an event's context walk would exceed.
func (c *Counter) Count(i int) {
	if c == nil {
		return
	}
	c.counts[i].Add(1)
}

// Histogram is a Float64Histogram recorded with a fixed set.
type Histogram struct{ h metric.Float64Histogram }

// NewHistogram makes a histogram on m (see NewCounter for errors).
func NewHistogram(m metric.Meter, name, desc, unit string, bounds ...float64) Histogram {
	opts := []metric.Float64HistogramOption{metric.WithDescription(desc), metric.WithUnit(unit)}
	if len(bounds) > 0 {
		opts = append(opts, metric.WithExplicitBucketBoundaries(bounds...))
	}
	h, _ := m.Float64Histogram(name, opts...)
	return Histogram{h}
}

// Enabled reports whether a measurement would be kept, so that a caller can
// skip reading the clock when no SDK is installed.
func (h Histogram) Enabled(ctx context.Context) bool { return h.h.Enabled(ctx) }

// Record records v with the attributes of a.
func (h Histogram) Record(ctx context.Context, v float64, a *Attrs) { h.h.Record(ctx, v, a.rec...) }

// LatencyBounds are the histogram boundaries, in seconds, of apishield's
// durations: from 50 µs (a memory decision, a local write) to 2.5 s (a
// store or writer that is failing), finer where healthy calls fall.
var LatencyBounds = []float64{0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5}

// AddOptions returns the options that add a measurement with the
// attributes of a to a synchronous counter.
func (a *Attrs) AddOptions() []metric.AddOption { return a.add }

// ObserveOptions returns the options that report an observation with the
// attributes of a, for an observable instrument's callback.
func (a *Attrs) ObserveOptions() []metric.ObserveOption { return a.obs }

// Event adds the event name with the attributes of a to the span of ctx
// when it is recording; it does nothing otherwise (no SDK, no span, or a
// span not sampled).
func Event(ctx context.Context, name string, a *Attrs) {
	span := trace.SpanFromContext(ctx)
	if !span.IsRecording() {
		return
	}
	span.AddEvent(name, a.ev...)
}

// Gauge makes an observable gauge name on m whose callback calls read with
// owner and a function reporting one value per attribute set (nil for
// none). The callback holds owner weakly and is removed once owner is
// unreachable; read must not capture owner itself.
func Gauge[T any](m metric.Meter, name, desc, unit string, owner *T, read func(owner *T, observe func(v float64, a *Attrs))) {
	inst, err := m.Float64ObservableGauge(name, metric.WithDescription(desc), metric.WithUnit(unit))
	if err != nil {
		return
	}
	wo := weak.Make(owner)
	reg, err := m.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		owner := wo.Value()
		if owner == nil {
			return nil
		}
		read(owner, func(v float64, a *Attrs) {
			if a == nil {
				o.ObserveFloat64(inst, v)
				return
			}
			o.ObserveFloat64(inst, v, a.obs...)
		})
		return nil
	}, inst)
	if err == nil {
		runtime.AddCleanup(owner, func(r metric.Registration) { _ = r.Unregister() }, reg)
	}
}

// CounterFunc makes an observable counter name on m that reports, with the
// attributes of a (nil for none), the count read returns from owner: for a
// component that already keeps the count. The callback holds owner weakly
// and is removed once owner is unreachable; read must not capture owner.
func CounterFunc[T any](m metric.Meter, name, desc, unit string, owner *T, a *Attrs, read func(owner *T) int64) {
	inst, err := m.Int64ObservableCounter(name, metric.WithDescription(desc), metric.WithUnit(unit))
	if err != nil {
		return
	}
	wo := weak.Make(owner)
	reg, err := m.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		owner := wo.Value()
		if owner == nil {
			return nil
		}
		if a == nil {
			o.ObserveInt64(inst, read(owner))
		} else {
			o.ObserveInt64(inst, read(owner), a.obs...)
		}
		return nil
	}, inst)
	if err == nil {
		runtime.AddCleanup(owner, func(r metric.Registration) { _ = r.Unregister() }, reg)
	}
}
