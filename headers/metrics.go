package headers

import (
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/apishield/apishield/internal/telemetry"
)

// The span event added per Host decision, with its outcome, to the
// recording span of the request's context.
const decisionEvent = "apishield.headers.decision"

// Outcomes of apishield.headers.host_decisions.
const (
	outcomeAllow = iota
	outcomeDeny
)

var hostSets = []*telemetry.Attrs{
	outcomeAllow: telemetry.NewAttrs(attribute.String("outcome", "allow")),
	outcomeDeny:  telemetry.NewAttrs(attribute.String("outcome", "deny")),
}

func newHostCounter(mp metric.MeterProvider) *telemetry.Counter {
	return telemetry.NewCounter(telemetry.Meter(mp, "headers"), "apishield.headers.host_decisions",
		"Requests allowed or refused by the Host allow-list.", "{decision}", hostSets)
}
