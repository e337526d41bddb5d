package ipfilter

import (
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/apishield/apishield/internal/telemetry"
)

// The span event added per decision, with its outcome, to the recording
// span of the request's context.
const decisionEvent = "apishield.ipfilter.decision"

// Outcomes of apishield.ipfilter.decisions. A request let through without
// a client address to check (a unix-socket peer, no allow-list) is allow.
const (
	outcomeAllow = iota
	outcomeDeny
	numOutcomes
)

var decisionSets = []*telemetry.Attrs{
	outcomeAllow: telemetry.NewAttrs(attribute.String("outcome", "allow")),
	outcomeDeny:  telemetry.NewAttrs(attribute.String("outcome", "deny")),
}

func newDecisionCounter(mp metric.MeterProvider) *telemetry.Counter {
	return telemetry.NewCounter(telemetry.Meter(mp, "ipfilter"), "apishield.ipfilter.decisions",
		"Requests allowed or refused by the address filter.", "{decision}", decisionSets)
}
