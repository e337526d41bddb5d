package validate

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"

	apierrors "github.com/apishield/apishield/errors"
	"github.com/apishield/apishield/internal/record"
)

// BodyLimitConfig configures a [BodyLimit].
type BodyLimitConfig struct {
	// MaxBytes bounds the body of every request, whatever its method,
	// route or content type. If 0, DefaultMaxBodyBytes (1 MiB). Negative
	// is an error.
	MaxBytes int64
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
	max int64
}

// NewBodyLimit returns a BodyLimit. Errors wrap ErrInvalidConfig.
func NewBodyLimit(cfg BodyLimitConfig) (*BodyLimit, error) {
	switch {
	case cfg.MaxBytes < 0:
		return nil, fmt.Errorf("%w: BodyLimitConfig.MaxBytes is negative", ErrInvalidConfig)
	case cfg.MaxBytes == 0:
		cfg.MaxBytes = DefaultMaxBodyBytes
	}
	return &BodyLimit{max: cfg.MaxBytes}, nil
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
			p := asProblem(err)
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
	switch {
	case r.ContentLength > l.max:
		return nil, tooLarge(l.max)
	case r.Body == nil || r.Body == http.NoBody:
		return r, nil
	case r.ContentLength >= 0:
		// The server reads no more than Content-Length; the bound is for
		// a request made elsewhere that says less than it holds.
		r2 := *r
		r2.Body = http.MaxBytesReader(rootWriter(w), r.Body, l.max)
		return &r2, nil
	}
	// No length announced: read ahead, so an oversized body is refused
	// before next runs rather than halfway through it.
	b, err := readAll(w, r, l.max)
	if err != nil {
		return nil, err
	}
	r2 := *r
	r2.ContentLength = int64(len(b))
	r2.TransferEncoding = nil
	r2.Body = http.NoBody
	if len(b) > 0 {
		rb := &rawBody{}
		rb.Reset(b)
		r2.Body = rb
	}
	return &r2, nil
}

// readAll reads r's whole body, refusing with 413 past max whether or not
// Content-Length announced it.
func readAll(w http.ResponseWriter, r *http.Request, max int64) ([]byte, error) {
	if r.ContentLength > max {
		return nil, tooLarge(max)
	}
	if r.Body == nil || r.Body == http.NoBody {
		return nil, nil
	}
	size := int64(512)
	if r.ContentLength > 0 {
		size = r.ContentLength + 1 // +1 so a body longer than announced is seen
	}
	buf := make([]byte, 0, min(size, max+1))
	body := r.Body
	if w != nil {
		body = http.MaxBytesReader(rootWriter(w), r.Body, max)
	}
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := body.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if int64(len(buf)) > max {
			return nil, tooLarge(max)
		}
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return nil, tooLarge(max).WithCause(err)
			}
			return nil, apierrors.New(http.StatusBadRequest, apierrors.ReasonMalformedRequest,
				"The request body could not be read.").WithCause(err)
		}
	}
}

func tooLarge(max int64) *apierrors.Problem {
	return apierrors.New(http.StatusRequestEntityTooLarge, apierrors.ReasonPayloadTooLarge,
		"The request body is larger than the limit of "+strconv.FormatInt(max, 10)+" bytes.")
}

// rootWriter unwraps w to the server's own ResponseWriter, which is the one
// http.MaxBytesReader can tell to close the connection once a body is over
// its limit, instead of the server reading on to drain it.
func rootWriter(w http.ResponseWriter) http.ResponseWriter {
	for range 16 { // wrappers are few; a cycle must not loop forever
		u, ok := w.(interface{ Unwrap() http.ResponseWriter })
		if !ok {
			return w
		}
		w = u.Unwrap()
	}
	return w
}
