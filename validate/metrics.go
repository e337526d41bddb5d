package validate

import (
	"go.opentelemetry.io/otel/metric"

	"github.com/apishield/apishield/internal/schemacheck"
)

// newFailureCounter returns apishield.validate.failures, the counter
// package openapi shares (see the package documentation, Monitoring).
func newFailureCounter(mp metric.MeterProvider) *schemacheck.Failures {
	return schemacheck.NewFailures(mp)
}
