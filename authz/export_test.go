package authz

import "go.opentelemetry.io/otel/metric"

// SetGlobalMeterProvider makes the decisions of Require and Check, from
// now on, count on mp (the global provider if nil) with fresh counts, so
// that a test reads back exactly its own.
func SetGlobalMeterProvider(mp metric.MeterProvider) {
	globalCounter.Store(newDecisionCounter(mp))
}
