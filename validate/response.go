package validate

import (
	"errors"
	"log/slog"
	"net/http"
	"strings"

	apierrors "github.com/apishield/apishield/errors"
	"github.com/apishield/apishield/internal/record"
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

// serveChecked runs next with a writer that holds 2xx JSON responses back,
// then checks and sends (or replaces) them.
func (v *Validator) serveChecked(w http.ResponseWriter, r *http.Request, rec *record.Record, next http.Handler) {
	cw := &checkedWriter{w: w, max: v.maxResp, report: v.respMode == ResponseReport}
	next.ServeHTTP(cw, r)
	switch {
	case cw.over:
		v.responseViolation(r, rec, errResponseTooLarge, nil)
		if !cw.report {
			w.Header().Del("Location")
			apierrors.Write(w, r, apierrors.Internal(errResponseTooLarge))
		}
		return
	case !cw.holding():
		return
	}
	if len(cw.buf) == 0 {
		cw.send()
		return
	}
	err := v.checkResponse(cw.buf)
	if err == nil {
		cw.send()
		return
	}
	var fe []apierrors.FieldError
	var p *apierrors.Problem
	if errors.As(err, &p) {
		fe = p.Errors
	}
	v.responseViolation(r, rec, err, fe)
	if v.respMode == ResponseReport {
		cw.send()
		return
	}
	w.Header().Del("Location")
	apierrors.Write(w, r, apierrors.Internal(err))
}

// inResponse is the In of a response's field errors. They go to the log
// and the audit record, never to a client.
const inResponse = "response"

// checkResponse scans, decodes and validates a held-back response.
func (v *Validator) checkResponse(b []byte) error {
	if err := newScanner(v.respLimits, nil).scan(b); err != nil {
		return err
	}
	return v.validate(v.response, decodeScanned(b, nil), inResponse)
}

func (v *Validator) responseViolation(r *http.Request, rec *record.Record, err error, fe []apierrors.FieldError) {
	v.failures.Decision(r.Context(), kindResponse, failureEvent)
	outcome, reason := record.Deny, apierrors.ReasonInternal
	if v.respMode == ResponseReport {
		outcome, reason = record.Skip, apierrors.ReasonValidationFailed
	}
	rec.AddDecision(record.Decision{Package: "validate", Outcome: outcome, Reason: reason, Rule: "response"})
	if len(fe) > 0 {
		rfe := make([]record.FieldError, len(fe))
		for i, e := range fe {
			rfe[i] = record.FieldError(e)
		}
		rec.AddFieldErrors(rfe...)
	}
	if v.logger != nil {
		ptrs := make([]string, len(fe))
		for i, e := range fe {
			ptrs[i] = e.Pointer + " " + e.Detail // all in the response
		}
		v.logger.LogAttrs(r.Context(), slog.LevelWarn, "validate: response breaks its schema",
			slog.String("request_id", rec.ID()), slog.String("path", r.URL.Path),
			slog.Bool("enforced", v.respMode == ResponseEnforce),
			slog.String("error", err.Error()), slog.Any("fields", ptrs))
	}
}

// checkedWriter holds back a 2xx response whose Content-Type is JSON (or
// unset) and passes anything else straight through.
type checkedWriter struct {
	w           http.ResponseWriter
	max         int64
	status      int
	wroteHeader bool
	report      bool // ResponseReport: a response too large to hold is sent
	pass        bool // not checked: written straight through
	over        bool // was held, grew past max
	buf         []byte
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
	if code < 200 || code > 299 || code == http.StatusNoContent || !jsonOrUnset(cw.w.Header().Get("Content-Type")) {
		cw.pass = true
		cw.w.WriteHeader(code)
	}
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

func jsonOrUnset(ct string) bool {
	if ct == "" {
		return true
	}
	mt, _, _ := strings.Cut(ct, ";")
	mt = strings.ToLower(strings.TrimSpace(mt))
	return mt == "application/json" || (strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json"))
}
