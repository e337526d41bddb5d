package schemacheck

import (
	"errors"
	"log/slog"
	"net/http"
	"reflect"
	"strings"
	"sync"

	apierrors "github.com/apishield/apishield/errors"
	"github.com/apishield/apishield/internal/bodylimit"
	"github.com/apishield/apishield/internal/record"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// A Body checks JSON request bodies against one schema: bounded read,
// pre-schema scan, decode, validation. It is safe for concurrent use.
type Body struct {
	schema    *jsonschema.Schema
	limits    Limits
	maxBytes  int64
	maxErrors int
	logger    *slog.Logger
	keys      *KeySet // the schema's property names
	fast      *fastNode
	scanners  sync.Pool
	types     sync.Map // reflect.Type → nil or the error of a type check
}

// NewBody returns a Body for the schema s. lim must have its defaults
// applied ([CheckLimits]); maxBytes and maxErrors must be positive;
// logger, if not nil, receives panics of the schema library.
func NewBody(s *jsonschema.Schema, lim Limits, maxBytes int64, maxErrors int, logger *slog.Logger) *Body {
	b := &Body{schema: s, limits: lim, maxBytes: maxBytes, maxErrors: maxErrors, logger: logger,
		keys: NewKeySet(DeclaredNames(s)), fast: fastFor(s)}
	b.scanners.New = func() any { return NewScanner(b.limits, b.keys) }
	return b
}

// Schema returns the body's schema.
func (b *Body) Schema() *jsonschema.Schema { return b.schema }

// Keys returns the set of property names the schema declares, or nil.
func (b *Body) Keys() *KeySet { return b.keys }

// Read reads the whole body of r, refusing with 413 past the Body's
// maxBytes whether or not Content-Length announced it. w is used only by
// http.MaxBytesReader; it may be nil.
func (b *Body) Read(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	return bodylimit.ReadAll(w, r, b.maxBytes)
}

// Validate checks a body's bytes against the limits and the schema and
// returns the decoded value, with numbers as json.Number. Its errors are
// *apierrors.Problem values: 400 malformed_request (wrapping a
// *ScanError) or 422 validation_failed with field errors in the body.
func (b *Body) Validate(raw []byte) (any, error) {
	s := b.scanners.Get().(*Scanner)
	err := s.Scan(raw)
	b.scanners.Put(s)
	if err != nil {
		return nil, AsProblem(err)
	}
	doc := DecodeScanned(raw, b.keys)
	if err := validateWith(b.fast, b.schema, doc, apierrors.InBody, "", b.maxErrors, b.logger); err != nil {
		return nil, err
	}
	return doc, nil
}

// Check reads r's body with [Body.Read] and checks it with
// [Body.Validate], returning its bytes and decoded value. It does not look
// at Content-Type: call [CheckContentType] first, or choose the media
// type yourself.
func (b *Body) Check(w http.ResponseWriter, r *http.Request) (raw []byte, doc any, err error) {
	if raw, err = b.Read(w, r); err != nil {
		return nil, nil, err
	}
	if doc, err = b.Validate(raw); err != nil {
		return nil, nil, err
	}
	return raw, doc, nil
}

// CheckType reports whether the Go type t fits the schema, running check
// once per type and remembering its answer: validate.Decode's check,
// which lives beside its binder.
func (b *Body) CheckType(t reflect.Type, check func(*jsonschema.Schema, reflect.Type) error) error {
	if err, ok := b.types.Load(t); ok {
		if err == nil {
			return nil
		}
		return err.(error)
	}
	err := check(b.schema, t)
	if err == nil {
		b.types.Store(t, nil)
		return nil
	}
	b.types.Store(t, err)
	return err
}

// AsProblem turns a refusal into the problem the client sees: a
// *apierrors.Problem as it is, a *ScanError as a 400 whose detail says
// what is wrong with the JSON, anything else as a generic 400.
func AsProblem(err error) *apierrors.Problem {
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

// Deny answers a refused request: it records err's field errors and a
// deny decision of package pkg ("validate" or "openapi") with the
// problem's reason and the [Rule] in rec, and writes the problem
// ([AsProblem]) through apierrors.Write.
func Deny(w http.ResponseWriter, r *http.Request, rec *record.Record, pkg string, err error) {
	p := AsProblem(err)
	if len(p.Errors) > 0 {
		fe := make([]record.FieldError, len(p.Errors))
		for i, e := range p.Errors {
			fe[i] = record.FieldError(e)
		}
		rec.AddFieldErrors(fe...)
	}
	rec.AddDecision(record.Decision{Package: pkg, Outcome: record.Deny, Reason: p.Reason, Rule: Rule(err)})
	apierrors.Write(w, r, p)
}

// Rule names the check that refused a request, for the audit record: the
// Limits field broken, the scan's sentinel, or "".
func Rule(err error) string {
	var se *ScanError
	if errors.As(err, &se) {
		if se.Limit != "" {
			return se.Limit
		}
		return strings.TrimPrefix(se.Err.Error(), "validate: ")
	}
	return ""
}

// CheckContentType accepts application/json and any +json type, with no
// charset or charset=utf-8, and no content coding: a compressed body would
// be decompressed past every limit here. Otherwise it returns a 415
// problem.
func CheckContentType(r *http.Request) error {
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

// NumberLiteral reports whether s is one JSON number within lim, so a
// parameter cannot carry the numbers a body may not.
func NumberLiteral(lim Limits, s string) bool {
	if s == "" || (s[0] != '-' && (s[0] < '0' || s[0] > '9')) {
		return false
	}
	sc := Scanner{lim: lim, data: []byte(s)}
	end, err := sc.number(0)
	return err == nil && end == len(s)
}
