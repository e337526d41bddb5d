package openapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/apishield/apishield/internal/oasparam"
	"github.com/apishield/apishield/internal/schemacheck"
	"github.com/apishield/apishield/validate"
)

// checks are the settings every check of a contract shares, from Config,
// with their defaults applied: the schema machinery is package validate's
// (internal/schemacheck), so a value or a body refused here gets the
// problem validate gives it.
type checks struct {
	limits    schemacheck.Limits
	maxBody   int64
	maxErrors int
	logger    *slog.Logger
	failures  *schemacheck.Failures
}

// maxResponseBytes bounds a held-back response, as validate's default
// MaxResponseBytes does.
const maxResponseBytes = 8 << 20

func newChecks(cfg *Config) (*checks, error) {
	if cfg.Undeclared < UndeclaredAuthenticated || cfg.Undeclared > UndeclaredPublic {
		return nil, fmt.Errorf("%w: Undeclared %d is not a known value", ErrInvalidConfig, cfg.Undeclared)
	}
	if cfg.Responses < ResponsesOff || cfg.Responses > ResponsesEnforce {
		return nil, fmt.Errorf("%w: Responses %d is not a known value", ErrInvalidConfig, cfg.Responses)
	}
	lim, err := schemacheck.CheckLimits(cfg.Limits, ErrInvalidConfig)
	if err != nil {
		return nil, err
	}
	c := &checks{limits: lim, maxBody: cfg.MaxBodyBytes, maxErrors: cfg.MaxErrors, logger: cfg.Logger,
		failures: schemacheck.NewFailures(cfg.MeterProvider)}
	switch {
	case c.maxBody < 0:
		return nil, fmt.Errorf("%w: MaxBodyBytes is negative", ErrInvalidConfig)
	case c.maxBody == 0:
		c.maxBody = validate.DefaultMaxBodyBytes
	}
	switch {
	case c.maxErrors < 0:
		return nil, fmt.Errorf("%w: MaxErrors is negative", ErrInvalidConfig)
	case c.maxErrors == 0:
		c.maxErrors = validate.DefaultMaxErrors
	}
	if c.logger == nil {
		c.logger = slog.Default()
	}
	return c, nil
}

// value checks one decoded value (a parameter's, or a form body) against
// its schema: a 422 whose field errors are in in, under the pointer token
// name when not empty.
func (c *checks) value(in, name string, v any, s *schema) error {
	if s == nil || s.compiled == nil {
		return nil
	}
	return schemacheck.Validate(s.compiled, v, in, name, c.maxErrors, c.logger)
}

// jsonBody returns the JSON body check for a media type's schema; a media
// type without one takes any JSON value, still bounded and scanned.
func (c *checks) jsonBody(s *schema) *schemacheck.Body {
	cs := anySchema()
	if s != nil && s.compiled != nil {
		cs = s.compiled
	}
	return schemacheck.NewBody(cs, c.limits, c.maxBody, c.maxErrors, c.logger)
}

// fail counts a refusal in apishield.validate.failures, by the stage that
// refused it (or limit, for a bound), and returns it.
func (c *checks) fail(ctx context.Context, stage schemacheck.Kind, err error) error {
	if errors.Is(err, oasparam.ErrLimit) {
		stage = schemacheck.KindLimit
	}
	return c.failures.Fail(ctx, stage, err)
}

// anySchema is the schema "true", which every JSON value meets.
var anySchema = sync.OnceValue(func() *jsonschema.Schema {
	s, err := schemacheck.NewCompiler(nil, false).Compile("any.json", []byte("true"), false)
	if err != nil {
		panic("openapi: the schema true does not compile: " + err.Error())
	}
	return s
})

// falseSchema is the schema "false", which no value meets: the schema of
// a response the document does not declare.
var falseSchema = sync.OnceValue(func() *jsonschema.Schema {
	s, err := schemacheck.NewCompiler(nil, false).Compile("none.json", []byte("false"), false)
	if err != nil {
		panic("openapi: the schema false does not compile: " + err.Error())
	}
	return s
})
