package schemacheck

import (
	"errors"
	"log/slog"
	"net/http"
	"strings"

	apierrors "github.com/apishield/apishield/errors"
	"github.com/apishield/apishield/internal/record"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// ResponseMode says what a response that breaks the Response schema causes.
// Checking responses stops excessive data exposure (OWASP API3): a handler
// that serializes a whole database row cannot leak the fields the contract
// leaves out.
type ResponseMode int

const (
	// ResponseEnforce holds each 2xx JSON response back until it is checked;
	// one that breaks the schema is never sent, and the client gets a 500
	// problem instead. The violation is logged and recorded.
	ResponseEnforce ResponseMode = iota
	// ResponseReport sends every response as the handler wrote it, and logs
	// and records the violations: a dry run before enforcing.
	ResponseReport
)

// Responses holds back the responses a schema covers, checks them, and
// sends them, or replaces them, or records them, as its Mode says. Set
// every field; it is safe for concurrent use once set.
type Responses struct {
	// Package names the middleware in the audit record's decisions and
	// in log messages: "validate" or "openapi".
	Package string
	// Mode says what a violation causes.
	Mode ResponseMode
	// MaxBytes bounds a held-back response; a larger one is a violation.
	MaxBytes int64
	// Limits bound the held-back response's JSON ([ResponseLimits]).
	Limits Limits
	// MaxErrors caps the field errors recorded.
	MaxErrors int
	// Logger, if not nil, receives violations and panics.
	Logger *slog.Logger
	// Failures counts violations, with kind response.
	Failures *Failures
	// Schema chooses the schema of a response when the handler writes its
	// status, from the status and Content-Type: ok false means the
	// response is not checked and passes straight through. It is not
	// called for informational (1xx) statuses.
	Schema func(status int, contentType string) (s *jsonschema.Schema, ok bool)
}

// Undeclared is the schema [Responses.Schema] returns for a response that
// breaks the contract whatever its body, even an empty one: a status code
// or media type an OpenAPI document does not declare. It is a marker,
// never validated against.
var Undeclared = &jsonschema.Schema{}

// ErrUndeclaredResponse is the violation of a response whose schema is
// [Undeclared].
var ErrUndeclaredResponse = errors.New("openapi: response status or media type not declared")

// Serve runs next with a writer that holds back the responses rs.Schema
// chooses a schema for, then checks and sends (or replaces) them. rec is
// the request's record.
func (rs *Responses) Serve(w http.ResponseWriter, r *http.Request, rec *record.Record, next http.Handler) {
	cw := &checkedWriter{w: w, max: rs.MaxBytes, report: rs.Mode == ResponseReport, choose: rs.Schema}
	next.ServeHTTP(cw, r)
	switch {
	case cw.over:
		rs.violation(r, rec, errResponseTooLarge, nil)
		if !cw.report {
			w.Header().Del("Location")
			apierrors.Write(w, r, apierrors.Internal(errResponseTooLarge))
		}
		return
	case !cw.holding():
		return
	}
	var err error
	switch {
	case cw.schema == Undeclared:
		err = ErrUndeclaredResponse
	case len(cw.buf) == 0:
		cw.send()
		return
	default:
		if err = rs.check(cw.schema, cw.buf); err == nil {
			cw.send()
			return
		}
	}
	var fe []apierrors.FieldError
	var p *apierrors.Problem
	if errors.As(err, &p) {
		fe = p.Errors
	}
	rs.violation(r, rec, err, fe)
	if rs.Mode == ResponseReport {
		cw.send()
		return
	}
	w.Header().Del("Location")
	apierrors.Write(w, r, apierrors.Internal(err))
}

// inResponse is the In of a response's field errors. They go to the log
// and the audit record, never to a client.
const inResponse = "response"

// check scans, decodes and validates a held-back response.
func (rs *Responses) check(s *jsonschema.Schema, b []byte) error {
	if err := NewScanner(rs.Limits, nil).Scan(b); err != nil {
		return err
	}
	return Validate(s, DecodeScanned(b, nil), inResponse, "", rs.MaxErrors, rs.Logger)
}

func (rs *Responses) violation(r *http.Request, rec *record.Record, err error, fe []apierrors.FieldError) {
	rs.Failures.Count(r.Context(), KindResponse)
	outcome, reason := record.Deny, apierrors.ReasonInternal
	if rs.Mode == ResponseReport {
		outcome, reason = record.Skip, apierrors.ReasonValidationFailed
	}
	rec.AddDecision(record.Decision{Package: rs.Package, Outcome: outcome, Reason: reason, Rule: "response"})
	if len(fe) > 0 {
		rfe := make([]record.FieldError, len(fe))
		for i, e := range fe {
			rfe[i] = record.FieldError(e)
		}
		rec.AddFieldErrors(rfe...)
	}
	if rs.Logger != nil {
		ptrs := make([]string, len(fe))
		for i, e := range fe {
			ptrs[i] = e.Pointer + " " + e.Detail // all in the response
		}
		rs.Logger.LogAttrs(r.Context(), slog.LevelWarn, rs.Package+": response breaks its schema",
			slog.String("request_id", rec.ID()), slog.String("path", r.URL.Path),
			slog.Bool("enforced", rs.Mode == ResponseEnforce),
			slog.String("error", err.Error()), slog.Any("fields", ptrs))
	}
}

// checkedWriter holds back a response its choose func gives a schema
// (for validate: a 2xx one whose Content-Type is JSON or unset) and
// passes anything else straight through.
type checkedWriter struct {
	w           http.ResponseWriter
	max         int64
	status      int
	wroteHeader bool
	report      bool // ResponseReport: a response too large to hold is sent
	pass        bool // not checked: written straight through
	over        bool // was held, grew past max
	buf         []byte
	choose      func(int, string) (*jsonschema.Schema, bool)
	schema      *jsonschema.Schema // chosen when the status was written
}

func (cw *checkedWriter) Header() http.Header { return cw.w.Header() }

func (cw *checkedWriter) WriteHeader(code int) {
	if cw.wroteHeader {
		return
	}
	if code >= 100 && code < 200 {
		cw.w.WriteHeader(code) // informational: not the response
		return
	}
	cw.status, cw.wroteHeader = code, true
	sch, ok := cw.choose(code, cw.w.Header().Get("Content-Type"))
	if !ok {
		cw.pass = true
		cw.w.WriteHeader(code)
		return
	}
	cw.schema = sch
}

func (cw *checkedWriter) Write(p []byte) (int, error) {
	if !cw.wroteHeader {
		cw.WriteHeader(http.StatusOK)
	}
	if cw.pass {
		return cw.w.Write(p)
	}
	if cw.over {
		return 0, errResponseTooLarge
	}
	if int64(len(cw.buf)+len(p)) > cw.max {
		// Too large to hold, so it cannot be checked: a violation. Report
		// sends it on; enforce drops it, and serveChecked sends a 500.
		cw.over = true
		if cw.report {
			cw.pass = true
			cw.send()
			cw.buf = nil
			return cw.w.Write(p)
		}
		cw.buf = nil
		return 0, errResponseTooLarge
	}
	cw.buf = append(cw.buf, p...)
	return len(p), nil
}

var errResponseTooLarge = errors.New("validate: response larger than MaxResponseBytes")

// FlushError sends nothing while the response is held: flushing would send
// it unchecked.
func (cw *checkedWriter) FlushError() error {
	if cw.pass {
		return http.NewResponseController(cw.w).Flush()
	}
	return nil
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (cw *checkedWriter) Unwrap() http.ResponseWriter { return cw.w }

func (cw *checkedWriter) holding() bool { return cw.wroteHeader && !cw.pass && !cw.over }

func (cw *checkedWriter) send() {
	cw.w.WriteHeader(cw.status)
	if len(cw.buf) > 0 {
		_, _ = cw.w.Write(cw.buf)
	}
}

// JSONOrUnset reports whether the Content-Type ct is empty, application/json
// or an application/...+json type: the responses validate checks.
func JSONOrUnset(ct string) bool {
	if ct == "" {
		return true
	}
	mt, _, _ := strings.Cut(ct, ";")
	mt = strings.ToLower(strings.TrimSpace(mt))
	return mt == "application/json" || (strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json"))
}
