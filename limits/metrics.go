package limits

import (
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	apierrors "github.com/apishield/apishield/errors"
	"github.com/apishield/apishield/internal/telemetry"
)

// The span event added per decision, with its attributes, to the
// recording span of the request's context.
const decisionEvent = "apishield.limits.decision"

// decisionSets are the attribute sets of apishield.limits.decisions:
// allow with reason ok at index allowIndex, then deny with each reason of the
// errors registry, so the reason attribute stays a bounded set whatever
// problem a refusal carries.
var decisionSets, denyIndex = func() ([]*telemetry.Attrs, map[string]int) {
	sets := []*telemetry.Attrs{telemetry.NewAttrs(attribute.String("outcome", "allow"), attribute.String("reason", "ok"))}
	index := map[string]int{}
	for _, ri := range apierrors.Reasons() {
		index[ri.Reason] = len(sets)
		sets = append(sets, telemetry.NewAttrs(attribute.String("outcome", "deny"), attribute.String("reason", ri.Reason)))
	}
	return sets, index
}()

// allowIndex is the index of an allowed request.
const allowIndex = 0

// denyReason is the index of a refusal with the problem reason reason.
func denyReason(reason string) int {
	if i, ok := denyIndex[reason]; ok {
		return i
	}
	return denyIndex[apierrors.ReasonMalformedRequest] // a reason outside the registry
}

func newDecisionCounter(mp metric.MeterProvider) *telemetry.Counter {
	return telemetry.NewCounter(telemetry.Meter(mp, "limits"), "apishield.limits.decisions",
		"Requests allowed or refused by the request limits, by outcome and problem reason.", "{decision}", decisionSets)
}
