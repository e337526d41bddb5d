package validate

import (
	"fmt"
	"net/http"

	"go.opentelemetry.io/otel/metric"

	apierrors "github.com/apishield/apishield/errors"
	"github.com/apishield/apishield/internal/bodylimit"
	"github.com/apishield/apishield/internal/record"
	"github.com/apishield/apishield/internal/schemacheck"
)

// BodyLimitConfig configures a [BodyLimit].
type BodyLimitConfig struct {
	// MaxBytes bounds the body of every request, whatever its method,
	// route or content type. If 0, DefaultMaxBodyBytes (1 MiB). Negative
	// is an error.
	MaxBytes int64
	// MeterProvider receives the refusals, counted in
	// apishield.validate.failures with kind limit (body for a body that
	// cannot be read). If nil, the global
	// provider of go.opentelemetry.io/otel when NewBodyLimit runs.
	MeterProvider metric.MeterProvider
}

// A BodyLimit bounds the request body of every request it sees, with no
// schema: the routes a [Validator] with a Body schema does not guard (a
// GET, a route with no validator, an unknown path) would otherwise have
// their bodies bounded by nothing but the server's timeouts.
//
// A body whose Content-Length is over the limit is refused with 413
// before a byte of it is read. A body without one (chunked, or HTTP/2
// without content-length) is read ahead, through http.MaxBytesReader, up to
// the limit: one that goes past it is refused with 413, and one within it
// reaches next from memory, with its length set. A body within the limit
// is never parsed here.
//
// It is safe for concurrent use.
type BodyLimit struct {
	max      int64
	failures *schemacheck.Failures
}

// NewBodyLimit returns a BodyLimit. Errors wrap ErrInvalidConfig.
func NewBodyLimit(cfg BodyLimitConfig) (*BodyLimit, error) {
	switch {
	case cfg.MaxBytes < 0:
		return nil, fmt.Errorf("%w: BodyLimitConfig.MaxBytes is negative", ErrInvalidConfig)
	case cfg.MaxBytes == 0:
		cfg.MaxBytes = DefaultMaxBodyBytes
	}
	return &BodyLimit{max: cfg.MaxBytes, failures: newFailureCounter(cfg.MeterProvider)}, nil
}

// Handler bounds each request's body before next sees it; one over the
// limit gets a 413 payload_too_large problem through apierrors.Write and
// never reaches next, and one that cannot be read a 400.
//
// Put one around the whole router, so every route, known or not, is
// bounded, and a tighter one (or a Validator's MaxBodyBytes) around a
// route that takes less. A BodyLimit inside another can only lower the
// bound, since the outer one has refused what is over its own: a route
// that needs more than the rest (an upload) goes outside it, with a
// BodyLimit of its own.
func (l *BodyLimit) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r2, err := l.Check(w, r)
		if err != nil {
			w, r, rec := record.Install(w, r)
			p := schemacheck.AsProblem(err)
			rec.AddDecision(record.Decision{Package: "validate", Outcome: record.Deny, Reason: p.Reason, Rule: "BodyLimit"})
			apierrors.Write(w, r, p)
			return
		}
		next.ServeHTTP(w, r2)
	})
}

// Check bounds r's body and returns r, or a copy of r whose body is
// bounded, or an error: a *apierrors.Problem with status 413 for a body
// over the limit, 400 for one that cannot be read. w is used only to tell
// the server, through http.MaxBytesReader, to close the connection after
// an oversized body; it may be nil.
//
// Check is the decision behind Handler, for callers outside an HTTP stack.
func (l *BodyLimit) Check(w http.ResponseWriter, r *http.Request) (*http.Request, error) {
	r2, err := bodylimit.Check(w, r, l.max)
	if err != nil {
		return nil, l.failures.Fail(r.Context(), schemacheck.KindBody, err)
	}
	return r2, nil
}
