package telemetry

import (
	"context"
	"reflect"
	"sync"
	"weak"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/metric"
)

// A Reduce combines the values several components report for one
// attribute set of a shared gauge, such as Max or Min.
type Reduce func(a, b float64) float64

// Max and Min are the usual Reduce functions: the oldest key set, the
// nearest certificate expiry.
var (
	Max Reduce = func(a, b float64) float64 { return max(a, b) }
	Min Reduce = func(a, b float64) float64 { return min(a, b) }
)

// A sharedGauge is one observable gauge per provider and name, to which
// every component of the kind reports; it observes, per attribute set, the
// reduction of their values. A gauge keeps one value per set per
// collection, so components reporting separately would overwrite each
// other.
type sharedGauge struct {
	mu      sync.Mutex
	members []func(observe func(float64, *Attrs)) bool // false once the member is gone
}

type sharedKey struct {
	mp   metric.MeterProvider
	name string
}

var (
	sharedMu     sync.Mutex
	sharedGauges = map[sharedKey]*sharedGauge{}
)

// SharedGauge adds owner to the gauge name of package pkg on mp (the
// global provider if nil), registering the gauge on first use: at each
// collection, read reports owner's values, and per attribute set the gauge
// observes reduce over all live owners. Owners are held weakly and leave
// the gauge once unreachable; read must not capture owner itself.
func SharedGauge[T any](mp metric.MeterProvider, pkg, name, desc, unit string, reduce Reduce, owner *T, read func(owner *T, observe func(v float64, a *Attrs))) {
	if mp == nil {
		mp = otel.GetMeterProvider()
	}
	wo := weak.Make(owner)
	member := func(observe func(float64, *Attrs)) bool {
		o := wo.Value()
		if o == nil {
			return false
		}
		read(o, observe)
		return true
	}
	if !reflect.TypeOf(mp).Comparable() {
		// Such a provider cannot key the table: the owner gets a gauge
		// of its own.
		Gauge(Meter(mp, pkg), name, desc, unit, owner, read)
		return
	}
	k := sharedKey{mp, name}
	sharedMu.Lock()
	g := sharedGauges[k]
	if g == nil {
		g = &sharedGauge{}
		if !g.register(Meter(mp, pkg), name, desc, unit, reduce) {
			sharedMu.Unlock()
			return
		}
		sharedGauges[k] = g
	}
	sharedMu.Unlock()
	g.mu.Lock()
	g.members = append(g.members, member)
	g.mu.Unlock()
}

func (g *sharedGauge) register(m metric.Meter, name, desc, unit string, reduce Reduce) bool {
	inst, err := m.Float64ObservableGauge(name, metric.WithDescription(desc), metric.WithUnit(unit))
	if err != nil {
		return false
	}
	_, err = m.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		vals := map[*Attrs]float64{}
		observe := func(v float64, a *Attrs) {
			if old, ok := vals[a]; ok {
				v = reduce(old, v)
			}
			vals[a] = v
		}
		g.mu.Lock()
		live := g.members[:0]
		for _, read := range g.members {
			if read(observe) {
				live = append(live, read)
			}
		}
		clear(g.members[len(live):])
		g.members = live
		g.mu.Unlock()
		for a, v := range vals {
			if a == nil {
				o.ObserveFloat64(inst, v)
			} else {
				o.ObserveFloat64(inst, v, a.obs...)
			}
		}
		return nil
	}, inst)
	return err == nil
}
