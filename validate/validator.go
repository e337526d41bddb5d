package validate

import (
	"errors"
	"fmt"
	"github.com/apishield/apishield/internal/schemacheck"
	"io/fs"
	"log/slog"
	"net/http"
	"reflect"

	"go.opentelemetry.io/otel/metric"

	apierrors "github.com/apishield/apishield/errors"
	"github.com/apishield/apishield/internal/record"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// ErrInvalidConfig is wrapped by every error [New] returns.
var ErrInvalidConfig = errors.New("validate: invalid config")

// Defaults of [Config].
const (
	DefaultMaxBodyBytes = 1 << 20
	DefaultMaxErrors    = 20
)

// Config configures a [Validator]. Schemas are JSON Schema documents,
// draft 2020-12 unless they say otherwise with $schema. Config is copied by
// New; changing it afterwards has no effect.
type Config struct {
	// Body is the schema of the request body. If nil, the body is not
	// read or checked at all (bound it with a [BodyLimit]). When set, the body must be JSON
	// (Content-Type application/json or any +json type) and must match.
	Body []byte
	// Query is the schema of the query string, as an object whose
	// properties are parameter names. Values are strings coerced to the
	// type the parameter's schema declares (integer, number, boolean, or
	// an array of those for a repeated parameter), in a canonical form
	// that the typed methods of [Params] always read; an integer no int64
	// holds, or a number beyond float64, is refused. If nil, not checked.
	Query []byte
	// Path is the schema of the path parameters, as an object whose
	// properties are parameter names, coerced like Query. Only declared
	// parameters are read. If nil, not checked.
	Path []byte
	// Header is the schema of chosen request headers, as an object whose
	// properties are header names (matched case-insensitively, reported in
	// canonical form), coerced like Query. Only declared headers are read.
	// If nil, not checked.
	Header []byte
	// FS holds schema files that Body, Query, Path, Header and Response
	// may $ref by their path in FS, e.g. {"$ref": "item.json#/$defs/new"};
	// every *.json file in it is loaded once in New. Nothing else can be
	// referenced: remote $ref loading is always off. If nil, no files.
	FS fs.FS

	// MaxBodyBytes bounds the body; a larger one is refused with 413
	// before it is read past the limit, with or without Content-Length.
	// If 0, DefaultMaxBodyBytes (1 MiB).
	MaxBodyBytes int64
	// Limits bound the body's JSON shape before it is decoded. Zero fields
	// mean their defaults; see [Limits].
	Limits Limits
	// MaxErrors caps the field errors in a 422 response. If 0,
	// DefaultMaxErrors (20).
	MaxErrors int
	// AllowUnknownProperties turns strict mode off. In strict mode (the
	// default) New refuses a Body, Query or Response schema with an object
	// schema that lacks "additionalProperties": false or
	// "unevaluatedProperties": false, so unknown fields are always refused
	// (and, in responses, always caught).
	AllowUnknownProperties bool

	// PathParam returns the value of the named path parameter of r, or ""
	// if it has none. If nil, r.PathValue, which the standard library's
	// ServeMux fills. With chi, use
	//
	//	func(r *http.Request, name string) string { return chi.URLParam(r, name) }
	//
	// and with gorilla/mux, mux.Vars(r)[name].
	PathParam func(r *http.Request, name string) string

	// BodyType, if set, is the Go type handlers read the body as with
	// [Decode], say reflect.TypeFor[NewItem](). New checks that it holds
	// everything the Body schema allows (see Decode), so a mismatch is a
	// start-up error, not a failed request; then each request's body is
	// filled into a new value of it as part of the check, and a value it
	// cannot hold (300 for an int8) is refused with a 422 at its pointer
	// before the handler runs. If nil, Decode checks its type on first use.
	BodyType reflect.Type

	// Response is the schema of successful (2xx) JSON responses. If nil,
	// responses are not checked. See ResponseMode.
	Response []byte
	// ResponseMode says what a response that breaks Response causes. If
	// zero, ResponseEnforce.
	ResponseMode ResponseMode
	// MaxResponseBytes bounds the responses held back for checking; a
	// larger 2xx JSON response counts as a violation. If 0, 8 MiB.
	MaxResponseBytes int64

	// MeterProvider receives the failure counts (see the package
	// documentation, Monitoring). If nil, the global provider of
	// go.opentelemetry.io/otel when New runs, which does nothing until the
	// application installs an SDK.
	MeterProvider metric.MeterProvider
	// Logger receives response violations and recovered panics. If nil,
	// they are not logged (they are still recorded for audit).
	Logger *slog.Logger
}

// A Validator checks requests against their schemas and limits. It is safe
// for concurrent use.
type Validator struct {
	query, path, header, response *jsonschema.Schema
	body                          *schemacheck.Body // nil without a Body schema
	failures                      *schemacheck.Failures

	queryParams, pathParams, headerParams []param

	maxBody   int64
	maxResp   int64
	respMode  ResponseMode
	limits    Limits
	maxErrors int
	pathParam func(*http.Request, string) string
	logger    *slog.Logger
	responses *schemacheck.Responses // nil without a Response schema
	bodyType  reflect.Type           // Config.BodyType
}

// New compiles cfg's schemas, lints them, and returns a Validator. Errors
// wrap ErrInvalidConfig.
func New(cfg Config) (*Validator, error) {
	v := &Validator{
		failures:  newFailureCounter(cfg.MeterProvider),
		maxBody:   cfg.MaxBodyBytes,
		maxResp:   cfg.MaxResponseBytes,
		respMode:  cfg.ResponseMode,
		maxErrors: cfg.MaxErrors,
		pathParam: cfg.PathParam,
		logger:    cfg.Logger,
	}
	switch {
	case v.maxBody < 0:
		return nil, fmt.Errorf("%w: MaxBodyBytes is negative", ErrInvalidConfig)
	case v.maxBody == 0:
		v.maxBody = DefaultMaxBodyBytes
	}
	switch {
	case v.maxResp < 0:
		return nil, fmt.Errorf("%w: MaxResponseBytes is negative", ErrInvalidConfig)
	case v.maxResp == 0:
		v.maxResp = 8 << 20
	}
	switch {
	case v.maxErrors < 0:
		return nil, fmt.Errorf("%w: MaxErrors is negative", ErrInvalidConfig)
	case v.maxErrors == 0:
		v.maxErrors = DefaultMaxErrors
	}
	if v.respMode > ResponseReport {
		return nil, fmt.Errorf("%w: unknown ResponseMode %d", ErrInvalidConfig, v.respMode)
	}
	if v.pathParam == nil {
		v.pathParam = (*http.Request).PathValue
	}
	lim, err := schemacheck.CheckLimits(cfg.Limits, ErrInvalidConfig)
	if err != nil {
		return nil, err
	}
	v.limits = lim

	if cfg.Body == nil && cfg.Query == nil && cfg.Path == nil && cfg.Header == nil && cfg.Response == nil {
		return nil, fmt.Errorf("%w: no schema: set Body, Query, Path, Header or Response", ErrInvalidConfig)
	}
	cc := schemacheck.NewCompiler(nil, !cfg.AllowUnknownProperties)
	if cfg.FS != nil {
		if err := cc.AddFS(cfg.FS); err != nil {
			return nil, fmt.Errorf("%w: schemas in Config.FS: %w", ErrInvalidConfig, err)
		}
	}
	compile := func(name string, src []byte, strict bool) (*jsonschema.Schema, error) {
		if src == nil {
			return nil, nil
		}
		sch, err := cc.Compile(name, src, strict)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrInvalidConfig, err)
		}
		return sch, nil
	}
	// Path and Header read only declared names, so unknown ones cannot
	// arrive; strictness matters for Body and Query, and for Response,
	// where an open object would let the leak through that it is there to
	// catch.
	body, err := compile("body", cfg.Body, true)
	if err != nil {
		return nil, err
	}
	if v.query, err = compile("query", cfg.Query, true); err != nil {
		return nil, err
	}
	if v.path, err = compile("path", cfg.Path, false); err != nil {
		return nil, err
	}
	if v.header, err = compile("header", cfg.Header, false); err != nil {
		return nil, err
	}
	if v.response, err = compile("response", cfg.Response, true); err != nil {
		return nil, err
	}
	v.queryParams = paramsOf(v.query)
	v.pathParams = paramsOf(v.path)
	v.headerParams = paramsOf(v.header)
	if body != nil {
		v.body = schemacheck.NewBody(body, v.limits, v.maxBody, v.maxErrors, v.logger)
	}
	if err := v.newBodyType(cfg.BodyType); err != nil {
		return nil, err
	}
	if v.response != nil {
		v.responses = &schemacheck.Responses{Package: "validate", Mode: v.respMode, MaxBytes: v.maxResp,
			Limits: schemacheck.ResponseLimits(v.limits), MaxErrors: v.maxErrors, Logger: v.logger,
			Failures: v.failures, Schema: v.responseSchema}
	}
	return v, nil
}

// MustNew is New for start-up code: it panics on an invalid config.
func MustNew(cfg Config) *Validator {
	v, err := New(cfg)
	if err != nil {
		panic(err)
	}
	return v
}

// Handler validates each request before next sees it. A request that fails
// gets a problem response (415, 413, 400 or 422) through apierrors.Write and
// never reaches next. A request that passes reaches next with its decoded
// body, query, path and header values in the context (see [Body], [Query],
// [PathParams], [Headers]) and its raw body still readable from r.Body.
//
// With a Response schema, next's 2xx JSON responses are held back and
// checked before they are sent; see [ResponseMode].
func (v *Validator) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w, r, rec := record.Install(w, r)
		r2, err := v.Check(w, r)
		if err != nil {
			schemacheck.Deny(w, r, rec, "validate", err)
			return
		}
		rec.AddDecision(record.Decision{Package: "validate", Outcome: record.Allow})
		if v.response == nil {
			next.ServeHTTP(w, r2)
			return
		}
		v.responses.Serve(w, r2, rec, next)
	})
}

// responseSchema gives the Response schema to the 2xx responses whose
// Content-Type is JSON (or unset), but 204, and no schema to the rest.
func (v *Validator) responseSchema(code int, ct string) (*jsonschema.Schema, bool) {
	if code < 200 || code > 299 || code == http.StatusNoContent || !schemacheck.JSONOrUnset(ct) {
		return nil, false
	}
	return v.response, true
}

// Check validates r (its parameters, then its body) and returns r with the
// decoded values in its context, or an error: a *apierrors.Problem for the
// client (wrapping a *ScanError for a refused body). w is used only to
// bound the body with http.MaxBytesReader; it may be nil.
//
// Check is the decision behind Handler, for callers outside an HTTP stack.
func (v *Validator) Check(w http.ResponseWriter, r *http.Request) (*http.Request, error) {
	in := &schemacheck.Input{}
	var err error
	if v.path != nil {
		if in.Path, err = v.checkParams(v.path, apierrors.InPath, v.pathParams, v.pathValues(r)); err != nil {
			return nil, v.failures.Fail(r.Context(), schemacheck.KindPath, err)
		}
	}
	if v.query != nil {
		vals, err := v.queryValues(r)
		if err != nil {
			return nil, v.failures.Fail(r.Context(), schemacheck.KindQuery, err)
		}
		if in.Query, err = v.checkParams(v.query, apierrors.InQuery, v.queryParams, vals); err != nil {
			return nil, v.failures.Fail(r.Context(), schemacheck.KindQuery, err)
		}
	}
	if v.header != nil {
		if in.Header, err = v.checkParams(v.header, apierrors.InHeader, v.headerParams, v.headerValues(r)); err != nil {
			return nil, v.failures.Fail(r.Context(), schemacheck.KindHeader, err)
		}
	}
	if v.body != nil {
		if err := schemacheck.CheckContentType(r); err != nil {
			return nil, v.failures.Fail(r.Context(), schemacheck.KindBody, err)
		}
		raw, err := v.body.Read(w, r)
		if err != nil {
			return nil, v.failures.Fail(r.Context(), schemacheck.KindBody, err)
		}
		in.Raw = raw
		if in.Body, err = v.body.Validate(raw); err != nil {
			return nil, v.failures.Fail(r.Context(), schemacheck.KindBody, err)
		}
		if v.bodyType != nil {
			if in.Typed, err = v.bindBody(in.Body); err != nil {
				return nil, v.failures.Fail(r.Context(), schemacheck.KindBody, err)
			}
		}
		in.HasBody, in.Check = true, v.body
	}
	if prev := from(r.Context()); prev != nil {
		// An outer Validator (say, for a route group's query) already
		// passed the request: keep what it decoded that this one did not.
		if !in.HasBody {
			in.Raw, in.Body, in.HasBody, in.Check, in.Typed = prev.Raw, prev.Body, prev.HasBody, prev.Check, prev.Typed
		}
		if in.Query == nil {
			in.Query = prev.Query
		}
		if in.Path == nil {
			in.Path = prev.Path
		}
		if in.Header == nil {
			in.Header = prev.Header
		}
	}
	return in.Attach(r), nil
}

// ValidateBody checks a body's bytes against the limits and the Body
// schema and returns the decoded value, with numbers as json.Number. Its
// errors are *apierrors.Problem values: 400 malformed_request (wrapping a
// *ScanError) or 422 validation_failed.
func (v *Validator) ValidateBody(raw []byte) (any, error) {
	if v.body == nil {
		return nil, fmt.Errorf("validate: no Body schema")
	}
	return v.body.Validate(raw)
}
