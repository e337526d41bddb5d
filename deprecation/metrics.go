package deprecation

import (
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/apishield/apishield/internal/telemetry"
)

// The span event added per call to a deprecated route, with its state, to
// the recording span of the request's context.
const callEvent = "apishield.deprecation.decision"

// States of apishield.deprecation.calls.
const (
	stateDeprecated = iota // served, with the deprecation headers
	stateSunset            // refused with 410 Gone, past the sunset
)

var callSets = []*telemetry.Attrs{
	stateDeprecated: telemetry.NewAttrs(attribute.String("state", "deprecated")),
	stateSunset:     telemetry.NewAttrs(attribute.String("state", "sunset")),
}

func newCallCounter(mp metric.MeterProvider) *telemetry.Counter {
	return telemetry.NewCounter(telemetry.Meter(mp, "deprecation"), "apishield.deprecation.calls",
		"Calls to deprecated routes, served or refused past their sunset.", "{call}", callSets)
}
