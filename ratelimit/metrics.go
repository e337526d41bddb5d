package ratelimit

import (
	"context"
	"errors"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/apishield/apishield/internal/telemetry"
)

// The span event added per decision, with the decision's attributes, to
// the recording span of the request's context.
const decisionEvent = "apishield.ratelimit.decision"

// Decision outcomes as counted by apishield.ratelimit.decisions.
const (
	outcomeAllow = iota
	outcomeDeny
	outcomeError
	numOutcomes
)

var outcomeNames = [numOutcomes]string{"allow", "deny", "error"}

// noPolicy is the policy attribute of a decision no policy made: a store
// failure, a full store, a malformed or missing key.
const noPolicy = "none"

// limiterMetrics are one limiter's instruments. Its attribute sets are all
// fixed when the limiter is built, from its name, its policies' names and
// its failure mode, so recording costs an atomic add.
type limiterMetrics struct {
	decisions *telemetry.Counter // index: policy (len(policies) for none) * numOutcomes + outcome
	fallbacks *telemetry.Counter // one set: this limiter's mode
	none      int
}

func newLimiterMetrics(mp metric.MeterProvider, name string, policies []Policy, mode FailureMode) *limiterMetrics {
	meter := telemetry.Meter(mp, "ratelimit")
	names := make([]string, 0, len(policies)+1)
	for _, p := range policies {
		names = append(names, p.Name)
	}
	names = append(names, noPolicy)
	sets := make([]*telemetry.Attrs, 0, len(names)*numOutcomes)
	for _, pn := range names {
		for _, o := range outcomeNames {
			sets = append(sets, telemetry.NewAttrs(attribute.String("limiter", name),
				attribute.String("policy", pn), attribute.String("outcome", o)))
		}
	}
	return &limiterMetrics{
		decisions: telemetry.NewCounter(meter, "apishield.ratelimit.decisions",
			"Rate-limit decisions by limiter, deciding policy and outcome.", "{decision}", sets),
		fallbacks: telemetry.NewCounter(meter, "apishield.ratelimit.fallbacks",
			"Decisions made by the failure mode while the store was unavailable.", "{decision}",
			[]*telemetry.Attrs{telemetry.NewAttrs(attribute.String("mode", mode.String()))}),
		none: len(policies),
	}
}

// decided records the decision allow made: d and the error it returned.
func (m *limiterMetrics) decided(ctx context.Context, d *Decision, err error) {
	if m == nil {
		return
	}
	switch {
	case err == nil:
		pi := d.Deciding()
		if pi < 0 || pi >= m.none {
			pi = m.none
		}
		o := outcomeDeny
		if d.Allowed {
			o = outcomeAllow
		}
		m.decisions.Decision(ctx, pi*numOutcomes+o, decisionEvent)
	case errors.Is(err, ErrStoreFull):
		m.refused(ctx, outcomeDeny)
	case errors.Is(err, ErrUnavailable):
		m.fallbacks.Inc(0)
		m.refused(ctx, outcomeError)
	default:
		m.refused(ctx, outcomeError)
	}
}

// refused records a decision of no policy with outcome o.
func (m *limiterMetrics) refused(ctx context.Context, o int) {
	if m == nil {
		return
	}
	m.decisions.Decision(ctx, m.none*numOutcomes+o, decisionEvent)
}

// The span event added when a Concurrency or Adaptive limiter sheds a
// request.
const shedEvent = "apishield.ratelimit.shed"

// loadMetrics are a Concurrency's or an Adaptive's instruments: decisions
// by outcome, and, read at each collection, the requests in flight and the
// limit in force. Attributes: the limiter's name and kind.
type loadMetrics struct {
	decisions *telemetry.Counter // index: outcome
}

func newLoadMetrics[T any](mp metric.MeterProvider, kind, name string, owner *T, read func(*T) (inflight, limit int)) *loadMetrics {
	meter := telemetry.Meter(mp, "ratelimit")
	sets := make([]*telemetry.Attrs, numOutcomes)
	for o, on := range outcomeNames {
		sets[o] = telemetry.NewAttrs(attribute.String("limiter", name), attribute.String("kind", kind), attribute.String("outcome", on))
	}
	set := telemetry.NewAttrs(attribute.String("limiter", name), attribute.String("kind", kind))
	telemetry.SharedGauge(mp, "ratelimit", "apishield.ratelimit.concurrency.in_flight",
		"Requests in flight through a concurrency or adaptive limiter.", "{request}", telemetry.Max, owner,
		func(o *T, observe func(float64, *telemetry.Attrs)) {
			n, _ := read(o)
			observe(float64(n), set)
		})
	telemetry.SharedGauge(mp, "ratelimit", "apishield.ratelimit.concurrency.limit",
		"The concurrency a limiter allows now: an adaptive limiter's current limit, a concurrency limiter's Max.", "{request}", telemetry.Max, owner,
		func(o *T, observe func(float64, *telemetry.Attrs)) {
			if _, l := read(o); l > 0 {
				observe(float64(l), set)
			}
		})
	return &loadMetrics{decisions: telemetry.NewCounter(meter, "apishield.ratelimit.concurrency.decisions",
		"Decisions of concurrency and adaptive limiters by limiter, kind and outcome.", "{decision}", sets)}
}

// allowed counts an admitted request, without a span event (the allow path
// runs on every request).
func (m *loadMetrics) allowed() { m.decisions.Count(outcomeAllow) }

// shed counts a refused request (outcome deny) or one the limiter could not
// decide (error), with a span event.
func (m *loadMetrics) shed(ctx context.Context, o int) { m.decisions.Decision(ctx, o, shedEvent) }
