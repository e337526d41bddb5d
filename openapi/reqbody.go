package openapi

import (
	"net/http"
	"strings"

	apierrors "github.com/apishield/apishield/errors"
	"github.com/apishield/apishield/internal/bodylimit"
)

// A bodyCheck is an operation's request body, ready to check: which media
// types it takes and their checks. An operation that declares no body
// has one too, which refuses any body.
type bodyCheck struct {
	none     bool // the operation declares no body
	required bool
	media    *mediaTable
	maxBody  int64
}

func newBodyCheck(op *operation, c *checks) (*bodyCheck, error) {
	b := &bodyCheck{maxBody: c.maxBody}
	if op.body == nil || len(op.body.content) == 0 {
		b.none = true
		return b, nil
	}
	b.required = op.body.required
	var err error
	if b.media, err = newMediaTable(op.body.content); err != nil {
		return nil, err
	}
	for _, e := range b.media.entries() {
		ranged := e.key == "*/*" || e.key == "application/*"
		e.structured = strings.HasSuffix(e.key, "/*") && !anyBytes(e.schema)
		if ranged || isJSON(e.key) || e.suffix != "" && isJSON("application/x"+e.suffix) {
			e.json = c.jsonBody(e.schema)
		}
		if e.key == formMediaType || ranged {
			f, err := newFormDecoder(e.schema)
			switch {
			case err == nil:
				e.form = f
			case !ranged:
				return nil, errorf("request body %s: %v", e.key, err)
			}
			// A range whose schema has no form encoding: form bodies
			// under it pass unread, as any other type would.
		}
	}
	return b, nil
}

// problemNoBody refuses a body sent to an operation that declares none:
// 415, as for a body of a type the operation does not take, since no type
// is taken.
var problemNoBody = apierrors.New(http.StatusUnsupportedMediaType, apierrors.ReasonUnsupportedMediaType,
	"The operation takes no request body.")

// problemBodyRequired refuses a request without the body its operation
// requires.
var problemBodyRequired = apierrors.New(http.StatusBadRequest, apierrors.ReasonMalformedRequest,
	"The request body is required.")

// problemCompressed refuses a compressed body, which would have to be
// decompressed past every bound to be checked: validate's problem.
var problemCompressed = apierrors.New(http.StatusUnsupportedMediaType, apierrors.ReasonUnsupportedMediaType,
	"Compressed request bodies are not accepted.")

// problemContentTypes refuses a body with two Content-Type lines: the
// contract would check it as one type, and something behind it might
// read the other.
var problemContentTypes = apierrors.New(http.StatusBadRequest, apierrors.ReasonMalformedRequest,
	"The request has more than one Content-Type.")

// problemUncheckable refuses a body the contract cannot decode under a
// media range whose schema gives it a structure.
var problemUncheckable = apierrors.New(http.StatusUnsupportedMediaType, apierrors.ReasonUnsupportedMediaType,
	"The request body must be JSON or form-encoded, so that its schema can be checked.")

// check checks the request's body and returns the request for next, with
// the body bounded by Config.MaxBodyBytes; a JSON or form body is read,
// and its bytes and decoded value go to d.
func (b *bodyCheck) check(w http.ResponseWriter, r *http.Request, c *checks, d *checked) (*http.Request, error) {
	if r.Body == nil || r.Body == http.NoBody {
		r.ContentLength = 0
	}
	var err error
	if r.ContentLength < 0 {
		// unknown length: read ahead, bounded, to learn whether there is one
		r2, err := bodylimit.Check(w, r, b.maxBody)
		if err != nil {
			return r, err
		}
		r = r2
	}
	if r.ContentLength == 0 {
		if b.required {
			return r, problemBodyRequired
		}
		return r, nil
	}
	if b.none {
		return r, problemNoBody
	}
	cts := r.Header.Values("Content-Type")
	if len(cts) > 1 {
		return r, problemContentTypes
	}
	var ct string
	if len(cts) == 1 {
		ct = cts[0]
	}
	e, mt, ok := b.media.find(ct)
	if !ok {
		return r, apierrors.New(http.StatusUnsupportedMediaType, apierrors.ReasonUnsupportedMediaType,
			"The request body must be one of: "+b.media.declared+".")
	}
	switch {
	case isJSON(mt) && e.json != nil:
		if compressed(r) {
			return r, problemCompressed
		}
		if d.raw, d.body, err = e.json.Check(w, r); err != nil {
			return r, err
		}
		d.hasBody, d.json = true, e.json
		return r, nil
	case mt == formMediaType && e.form != nil:
		if compressed(r) {
			return r, problemCompressed
		}
		return r, e.form.check(w, r, e.schema, c, d)
	}
	if e.structured {
		return r, problemUncheckable
	}
	// Any other declared type is the handler's to read, bounded.
	r2, err := bodylimit.Check(w, r, b.maxBody)
	if err != nil {
		return r, err
	}
	return r2, nil
}

// compressed reports whether the body has a content coding, in any of
// its Content-Encoding lines (the field is a list).
func compressed(r *http.Request) bool {
	for _, line := range r.Header.Values("Content-Encoding") {
		for ce := range strings.SplitSeq(line, ",") {
			if ce = strings.TrimSpace(ce); ce != "" && !strings.EqualFold(ce, "identity") {
				return true
			}
		}
	}
	return false
}
