package validate

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"reflect"
	"strings"
	"sync"

	"go.opentelemetry.io/otel/metric"

	apierrors "github.com/apishield/apishield/errors"
	"github.com/apishield/apishield/internal/bodylimit"
	"github.com/apishield/apishield/internal/record"
	"github.com/apishield/apishield/internal/telemetry"
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
	body, query, path, header, response *jsonschema.Schema
	failures                            *telemetry.Counter

	queryParams, pathParams, headerParams []param

	maxBody    int64
	maxResp    int64
	respMode   ResponseMode
	limits     Limits
	maxErrors  int
	pathParam  func(*http.Request, string) string
	logger     *slog.Logger
	scanners   sync.Pool
	keys       *keySet // the Body schema's property names
	respLimits Limits
	bodyType   reflect.Type // Config.BodyType
	types      sync.Map     // reflect.Type → nil or the error of checkBodyType
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
	lim, err := cfg.Limits.withDefaults()
	if err != nil {
		return nil, err
	}
	v.limits = lim
	// Responses are ours, not an attacker's: only bound them generously
	// so a runaway handler cannot stall the check.
	v.respLimits = Limits{MaxDepth: max(lim.MaxDepth, 256), MaxObjectKeys: 1 << 20, MaxArrayLength: 1 << 24,
		MaxStringLength: 1 << 30, MaxNumberLength: 1 << 10, MaxExponent: lim.MaxExponent, MaxValues: 1 << 30}

	if cfg.Body == nil && cfg.Query == nil && cfg.Path == nil && cfg.Header == nil && cfg.Response == nil {
		return nil, fmt.Errorf("%w: no schema: set Body, Query, Path, Header or Response", ErrInvalidConfig)
	}
	cc, err := newCompiler(cfg.FS, !cfg.AllowUnknownProperties)
	if err != nil {
		return nil, err
	}
	compile := func(name string, src []byte, strict bool) (*jsonschema.Schema, error) {
		if src == nil {
			return nil, nil
		}
		sch, err := cc.compile(name, src, strict)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrInvalidConfig, err)
		}
		return sch, nil
	}
	// Path and Header read only declared names, so unknown ones cannot
	// arrive; strictness matters for Body and Query, and for Response,
	// where an open object would let the leak through that it is there to
	// catch.
	if v.body, err = compile("body", cfg.Body, true); err != nil {
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
	if v.body != nil {
		v.keys = newKeySet(declaredNames(v.body))
	}
	if err := v.newBodyType(cfg.BodyType); err != nil {
		return nil, err
	}
	v.scanners.New = func() any { return newScanner(v.limits, v.keys) }
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
			v.deny(w, r, rec, err)
			return
		}
		rec.AddDecision(record.Decision{Package: "validate", Outcome: record.Allow})
		if v.response == nil {
			next.ServeHTTP(w, r2)
			return
		}
		v.serveChecked(w, r2, rec, next)
	})
}

func (v *Validator) deny(w http.ResponseWriter, r *http.Request, rec *record.Record, err error) {
	p := asProblem(err)
	if len(p.Errors) > 0 {
		fe := make([]record.FieldError, len(p.Errors))
		for i, e := range p.Errors {
			fe[i] = record.FieldError(e)
		}
		rec.AddFieldErrors(fe...)
	}
	rec.AddDecision(record.Decision{Package: "validate", Outcome: record.Deny, Reason: p.Reason, Rule: ruleOf(err)})
	apierrors.Write(w, r, p)
}

// ruleOf names the check that refused a request, for the audit record.
func ruleOf(err error) string {
	var se *ScanError
	if errors.As(err, &se) {
		if se.Limit != "" {
			return se.Limit
		}
		return strings.TrimPrefix(se.Err.Error(), "validate: ")
	}
	return ""
}

func asProblem(err error) *apierrors.Problem {
	var p *apierrors.Problem
	if errors.As(err, &p) {
		return p
	}
	var se *ScanError
	if errors.As(err, &se) {
		return apierrors.New(http.StatusBadRequest, apierrors.ReasonMalformedRequest, "The body is not acceptable JSON: "+se.Error()+".").WithCause(err)
	}
	return apierrors.New(http.StatusBadRequest, apierrors.ReasonMalformedRequest, "The request could not be validated.").WithCause(err)
}

// Check validates r (its parameters, then its body) and returns r with the
// decoded values in its context, or an error: a *apierrors.Problem for the
// client (wrapping a *ScanError for a refused body). w is used only to
// bound the body with http.MaxBytesReader; it may be nil.
//
// Check is the decision behind Handler, for callers outside an HTTP stack.
func (v *Validator) Check(w http.ResponseWriter, r *http.Request) (*http.Request, error) {
	in := &input{}
	var err error
	if v.path != nil {
		if in.path, err = v.checkParams(v.path, apierrors.InPath, v.pathParams, v.pathValues(r)); err != nil {
			return nil, failed(r.Context(), v.failures, kindPath, err)
		}
	}
	if v.query != nil {
		vals, err := v.queryValues(r)
		if err != nil {
			return nil, failed(r.Context(), v.failures, kindQuery, err)
		}
		if in.query, err = v.checkParams(v.query, apierrors.InQuery, v.queryParams, vals); err != nil {
			return nil, failed(r.Context(), v.failures, kindQuery, err)
		}
	}
	if v.header != nil {
		if in.header, err = v.checkParams(v.header, apierrors.InHeader, v.headerParams, v.headerValues(r)); err != nil {
			return nil, failed(r.Context(), v.failures, kindHeader, err)
		}
	}
	if v.body != nil {
		if err := checkContentType(r); err != nil {
			return nil, failed(r.Context(), v.failures, kindBody, err)
		}
		raw, err := v.readBody(w, r)
		if err != nil {
			return nil, failed(r.Context(), v.failures, kindBody, err)
		}
		in.raw = raw
		if in.body, err = v.ValidateBody(raw); err != nil {
			return nil, failed(r.Context(), v.failures, kindBody, err)
		}
		if v.bodyType != nil {
			if in.typed, err = v.bindBody(in.body); err != nil {
				return nil, failed(r.Context(), v.failures, kindBody, err)
			}
		}
		in.hasBody, in.v = true, v
	}
	if prev := from(r.Context()); prev != nil {
		// An outer Validator (say, for a route group's query) already
		// passed the request: keep what it decoded that this one did not.
		if !in.hasBody {
			in.raw, in.body, in.hasBody, in.v, in.typed = prev.raw, prev.body, prev.hasBody, prev.v, prev.typed
		}
		if in.query == nil {
			in.query = prev.query
		}
		if in.path == nil {
			in.path = prev.path
		}
		if in.header == nil {
			in.header = prev.header
		}
	}
	r = r.WithContext(newContext(r.Context(), in))
	if in.hasBody {
		in.rd.Reset(in.raw)
		r.Body = &in.rd
	}
	return r, nil
}

// ValidateBody checks a body's bytes against the limits and the Body
// schema and returns the decoded value, with numbers as json.Number. Its
// errors are *apierrors.Problem values: 400 malformed_request (wrapping a
// *ScanError) or 422 validation_failed.
func (v *Validator) ValidateBody(raw []byte) (any, error) {
	if v.body == nil {
		return nil, fmt.Errorf("validate: no Body schema")
	}
	s := v.scanners.Get().(*scanner)
	err := s.scan(raw)
	v.scanners.Put(s)
	if err != nil {
		return nil, asProblem(err)
	}
	doc := decodeScanned(raw, v.keys)
	if err := v.validate(v.body, doc, apierrors.InBody); err != nil {
		return nil, err
	}
	return doc, nil
}

// errPanic is the cause recorded when the schema library panics.
var errPanic = errors.New("validate: the schema library panicked")

// validate runs the schema, turning a failure into a 422 problem whose
// field errors are in in, and a panic into a 400 one, so no input can
// crash the request.
func (v *Validator) validate(sch *jsonschema.Schema, doc any, in string) (err error) {
	defer func() {
		if p := recover(); p != nil {
			if v.logger != nil {
				v.logger.Error("validate: schema validation panicked", slog.Any("panic", p))
			}
			err = apierrors.New(http.StatusBadRequest, apierrors.ReasonMalformedRequest,
				"The request could not be validated.").WithCause(fmt.Errorf("%w: %v", errPanic, p))
		}
	}()
	if verr := sch.Validate(doc); verr != nil {
		return apierrors.New(http.StatusUnprocessableEntity, apierrors.ReasonValidationFailed,
			"The request does not match its schema.").WithErrors(fieldErrors(verr, in, v.maxErrors)...).WithCause(verr)
	}
	return nil
}

// readBody reads the whole body, refusing with 413 past maxBody whether or
// not Content-Length announced it.
func (v *Validator) readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	return bodylimit.ReadAll(w, r, v.maxBody)
}

// checkContentType accepts application/json and any +json type, with no
// charset or charset=utf-8, and no content coding: a compressed body would
// be decompressed past every limit here.
func checkContentType(r *http.Request) error {
	if ce := r.Header.Get("Content-Encoding"); ce != "" && !strings.EqualFold(ce, "identity") {
		return apierrors.New(http.StatusUnsupportedMediaType, apierrors.ReasonUnsupportedMediaType,
			"Compressed request bodies are not accepted.")
	}
	ct := r.Header.Get("Content-Type")
	if ct == "application/json" {
		return nil
	}
	mt, params, _ := strings.Cut(ct, ";")
	mt = strings.ToLower(strings.TrimSpace(mt))
	typ, sub, ok := strings.Cut(mt, "/")
	if !ok || typ != "application" || (sub != "json" && !strings.HasSuffix(sub, "+json")) || strings.ContainsAny(sub, " \t") {
		return apierrors.New(http.StatusUnsupportedMediaType, apierrors.ReasonUnsupportedMediaType,
			"The request body must be application/json.")
	}
	for p := range strings.SplitSeq(params, ";") {
		k, val, _ := strings.Cut(p, "=")
		if strings.EqualFold(strings.TrimSpace(k), "charset") {
			val = strings.Trim(strings.TrimSpace(val), `"`)
			if !strings.EqualFold(val, "utf-8") && !strings.EqualFold(val, "utf8") {
				return apierrors.New(http.StatusUnsupportedMediaType, apierrors.ReasonUnsupportedMediaType,
					"The request body must be UTF-8 JSON.")
			}
		}
	}
	return nil
}
