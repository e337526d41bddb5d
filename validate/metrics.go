package validate

import (
	"context"
	"errors"
	"net/http"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	apierrors "github.com/apishield/apishield/errors"
	"github.com/apishield/apishield/internal/telemetry"
)

// The span event added per failure, with its kind, to the recording span
// of the request's context.
const failureEvent = "apishield.validate.decision"

// Kinds of apishield.validate.failures: where the request (or response)
// failed, or "limit" for a size, depth or count bound exceeded anywhere.
const (
	kindBody = iota
	kindQuery
	kindPath
	kindHeader
	kindCookie
	kindResponse
	kindLimit
	numKinds
)

var kindNames = [numKinds]string{"body", "query", "path", "header", "cookie", "response", "limit"}

var failureSets = func() []*telemetry.Attrs {
	sets := make([]*telemetry.Attrs, numKinds)
	for i, k := range kindNames {
		sets[i] = telemetry.NewAttrs(attribute.String("kind", k))
	}
	return sets
}()

func newFailureCounter(mp metric.MeterProvider) *telemetry.Counter {
	return telemetry.NewCounter(telemetry.Meter(mp, "validate"), "apishield.validate.failures",
		"Requests (and responses) refused by validation, by kind.", "{failure}", failureSets)
}

// errQueryLimit marks the refusals of a query string over its bounds, so
// that they count as limits.
var errQueryLimit = errors.New("validate: query string over its limits")

// failureKind classifies err, a refusal at the stage stage: bounds first,
// whatever the stage.
func failureKind(stage int, err error) int {
	var se *ScanError
	if errors.As(err, &se) && se.Limit != "" {
		return kindLimit
	}
	var p *apierrors.Problem
	if errors.As(err, &p) && p.Status == http.StatusRequestEntityTooLarge {
		return kindLimit
	}
	if errors.Is(err, errQueryLimit) {
		return kindLimit
	}
	return stage
}

// failed counts err, a refusal at stage, and returns it.
func failed(ctx context.Context, c *telemetry.Counter, stage int, err error) error {
	c.Decision(ctx, failureKind(stage, err), failureEvent)
	return err
}
