package schemacheck

import (
	"context"
	"errors"
	"net/http"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	apierrors "github.com/apishield/apishield/errors"
	"github.com/apishield/apishield/internal/telemetry"
)

// FailureEvent is the span event added per failure, with its kind, to the
// recording span of the request's context.
const FailureEvent = "apishield.validate.decision"

// A Kind is the kind attribute of apishield.validate.failures: where the
// request (or response) failed, or KindLimit for a size, depth or count
// bound exceeded anywhere.
type Kind int

// Kinds of apishield.validate.failures.
const (
	KindBody Kind = iota
	KindQuery
	KindPath
	KindHeader
	KindCookie
	KindResponse
	KindLimit
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

// Failures counts refusals in apishield.validate.failures, under the
// meter of package validate whichever package counts, so validate and
// openapi share one instrument. It is safe for concurrent use.
type Failures struct {
	c *telemetry.Counter
}

// NewFailures returns the counter from mp; if nil, the global provider
// of go.opentelemetry.io/otel.
func NewFailures(mp metric.MeterProvider) *Failures {
	return &Failures{c: telemetry.NewCounter(telemetry.Meter(mp, "validate"), "apishield.validate.failures",
		"Requests (and responses) refused by validation, by kind.", "{failure}", failureSets)}
}

// ErrQueryLimit marks the refusals of a query string over its bounds, so
// that they count as limits.
var ErrQueryLimit = errors.New("validate: query string over its limits")

// KindOf classifies err, a refusal at the stage stage: bounds first,
// whatever the stage.
func KindOf(stage Kind, err error) Kind {
	var se *ScanError
	if errors.As(err, &se) && se.Limit != "" {
		return KindLimit
	}
	var p *apierrors.Problem
	if errors.As(err, &p) && p.Status == http.StatusRequestEntityTooLarge {
		return KindLimit
	}
	if errors.Is(err, ErrQueryLimit) {
		return KindLimit
	}
	return stage
}

// Fail counts err, a refusal at stage, and returns it.
func (f *Failures) Fail(ctx context.Context, stage Kind, err error) error {
	f.c.Decision(ctx, int(KindOf(stage, err)), FailureEvent)
	return err
}

// Count counts one failure of kind k.
func (f *Failures) Count(ctx context.Context, k Kind) {
	f.c.Decision(ctx, int(k), FailureEvent)
}
