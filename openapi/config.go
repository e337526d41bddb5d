package openapi

import (
	"errors"
	"log/slog"
	"time"

	"go.opentelemetry.io/otel/metric"

	"github.com/apishield/apishield/authz"
	"github.com/apishield/apishield/ratelimit"
	"github.com/apishield/apishield/validate"
)

// ErrInvalidDocument is wrapped by every error the loaders return for a
// document that cannot be enforced as written; the error lists every
// problem found, each naming its operation or location.
var ErrInvalidDocument = errors.New("openapi: invalid document")

// ErrInvalidConfig is wrapped by every error the loaders return for a
// Config that does not fit the document (an extension naming a limiter or
// rule the Config does not have) or is invalid on its own.
var ErrInvalidConfig = errors.New("openapi: invalid config")

// Undeclared says what an operation requires when neither it nor the
// document declares security.
type Undeclared int

const (
	// UndeclaredAuthenticated requires an authenticated caller, by any
	// method, with no scope. It is the default: an operation someone
	// forgot to describe is not public.
	UndeclaredAuthenticated Undeclared = iota
	// UndeclaredDeny refuses every request to such an operation with 403.
	UndeclaredDeny
	// UndeclaredPublic lets anyone in, as OpenAPI itself reads a missing
	// requirement. Choose it only for a document whose every public
	// operation says so anyway.
	UndeclaredPublic
)

// Responses says what happens to responses that break the document.
type Responses int

const (
	// ResponsesOff checks no response. It is the default.
	ResponsesOff Responses = iota
	// ResponsesReport lets every response through and records and logs
	// each one the document does not allow.
	ResponsesReport
	// ResponsesEnforce replaces a response the document does not allow
	// with a 500 problem, so a handler cannot leak what the contract
	// leaves out (OWASP API3).
	ResponsesEnforce
)

// Config configures how a document is enforced. The zero Config is
// strict: undeclared security requires authentication, unknown fields
// are refused only where the document says additionalProperties: false,
// responses are not checked.
type Config struct {
	// Undeclared is what an operation without any declared security
	// requires. See [Undeclared].
	Undeclared Undeclared

	// RateLimiters are the limiters x-apishield-rate-limit names. A name
	// the document uses that is not here is a load error, and so is a
	// document that names none while this is set. The limiter runs for
	// its operations after authentication, so it may key by subject; its
	// Config.Cost may be [Cost], which reads x-apishield-cost.
	RateLimiters map[string]*ratelimit.Limiter

	// Rules are the authorization rules x-apishield-owner names, typically
	// authz.Owner rules. They run after the document's security holds. A
	// name the document uses that is not here is a load error.
	Rules map[string]authz.Rule

	// DeprecatedSince is the Deprecation date of a "deprecated: true"
	// operation that has no x-apishield-deprecation of its own. If zero,
	// such an operation is a load error: RFC 9745 needs a date.
	DeprecatedSince time.Time

	// Responses says whether responses are checked. See [Responses].
	Responses Responses

	// MaxBodyBytes bounds every request body; a larger one is refused
	// with 413. If 0, validate.DefaultMaxBodyBytes (1 MiB).
	MaxBodyBytes int64
	// Limits bound the shape of JSON bodies before they are decoded. Zero
	// fields take their defaults; see validate.Limits.
	Limits validate.Limits
	// MaxErrors caps the field errors in a 422 response. If 0,
	// validate.DefaultMaxErrors.
	MaxErrors int
	// MaxDocumentBytes bounds each file the loader reads. If 0, 32 MiB.
	MaxDocumentBytes int64

	// Now returns the current time, for deprecation sunsets. If nil,
	// time.Now.
	Now func() time.Time
	// MeterProvider receives the validation failures (see the package
	// documentation, Monitoring). If nil, the global provider of
	// go.opentelemetry.io/otel when the document is loaded.
	MeterProvider metric.MeterProvider
	// Logger receives response violations in ResponsesReport mode. If
	// nil, slog.Default().
	Logger *slog.Logger
}
