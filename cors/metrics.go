package cors

import (
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	apierrors "github.com/apishield/apishield/errors"
	"github.com/apishield/apishield/internal/telemetry"
)

// The span event added per decision, with its attributes, to the
// recording span of the request's context.
const decisionEvent = "apishield.cors.decision"

// Outcomes of apishield.cors.decisions, each with its one reason: every
// refusal is origin_not_allowed, whatever its cause, as the client sees.
const (
	outcomeAllow     = iota // a cross-origin or same-origin request let through
	outcomePreflight        // a preflight answered 204
	outcomeDeny             // a request or preflight refused
)

var decisionSets = []*telemetry.Attrs{
	outcomeAllow:     telemetry.NewAttrs(attribute.String("outcome", "allow"), attribute.String("reason", "ok")),
	outcomePreflight: telemetry.NewAttrs(attribute.String("outcome", "preflight"), attribute.String("reason", "ok")),
	outcomeDeny:      telemetry.NewAttrs(attribute.String("outcome", "deny"), attribute.String("reason", apierrors.ReasonOriginNotAllowed)),
}

func newDecisionCounter(mp metric.MeterProvider) *telemetry.Counter {
	return telemetry.NewCounter(telemetry.Meter(mp, "cors"), "apishield.cors.decisions",
		"Requests with an Origin allowed, answered as preflights or refused by CORS.", "{decision}", decisionSets)
}
