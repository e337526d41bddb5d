package openapi

import (
	"net/http"
	"strings"

	apierrors "github.com/apishield/apishield/errors"
	"github.com/apishield/apishield/internal/bodylimit"
	"github.com/apishield/apishield/validate"
)

// A bodyCheck is an operation's request body, ready to check: which media
// types it takes and their schemas. An operation that declares no body
// has one too, which refuses any body.
type bodyCheck struct {
	none     bool // the operation declares no body
	required bool
	media    *mediaTable
	maxBody  int64
}

func newBodyCheck(op *operation, cfg *Config) (*bodyCheck, error) {
	b := &bodyCheck{maxBody: cfg.MaxBodyBytes}
	if b.maxBody == 0 {
		b.maxBody = validate.DefaultMaxBodyBytes
	}
	if op.body == nil || len(op.body.content) == 0 {
		b.none = true
		return b, nil
	}
	b.required = op.body.required
	var err error
	if b.media, err = newMediaTable(op.body.content); err != nil {
		return nil, err
	}
	for _, e := range b.allEntries() {
		if e.key == mediaForm || (e.typ == "" && e.key != "*/*" && strings.HasSuffix(e.key, "/*") && strings.HasPrefix(mediaForm, strings.TrimSuffix(e.key, "*"))) {
			// form bodies are decoded from the properties of their schema
			if e.form, err = newFormDecoder(e.schema); err != nil {
				return nil, errorf("request body %s: %v", e.key, err)
			}
		}
	}
	return b, nil
}

// allEntries returns every entry of the table.
func (b *bodyCheck) allEntries() []*mediaEntry {
	t := b.media
	es := make([]*mediaEntry, 0, len(t.exact)+len(t.suffixes)+len(t.ranges)+1)
	for _, e := range t.exact {
		es = append(es, e)
	}
	es = append(es, t.suffixes...)
	for _, e := range t.ranges {
		es = append(es, e)
	}
	if t.any != nil {
		es = append(es, t.any)
	}
	return es
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

// problemCompressed refuses a compressed body the contract would have to
// decompress past its bounds to check.
var problemCompressed = apierrors.New(http.StatusUnsupportedMediaType, apierrors.ReasonUnsupportedMediaType,
	"Compressed request bodies are not accepted.")

// check checks the request's body and returns the request for next: with
// the body bounded by Config.MaxBodyBytes, and for JSON and form bodies
// the decoded value in the context.
func (b *bodyCheck) check(w http.ResponseWriter, r *http.Request, d *checked) (*http.Request, error) {
	if r.Body == nil || r.Body == http.NoBody {
		r.ContentLength = 0
	}
	var err error
	if r.ContentLength < 0 {
		// unknown length: read ahead, bounded, to learn whether there is one
		if r, err = bodylimit.Check(w, r, b.maxBody); err != nil {
			return r, err
		}
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
	e, mt, ok := b.media.find(r.Header.Get("Content-Type"))
	if !ok {
		return r, apierrors.New(http.StatusUnsupportedMediaType, apierrors.ReasonUnsupportedMediaType,
			"The request body must be one of: "+b.media.declared+".")
	}
	switch {
	case isJSON(mt):
		if compressed(r) {
			return r, problemCompressed
		}
		return checkJSON(w, r, e.schema, b.maxBody, d)
	case mt == mediaForm && e.form != nil:
		if compressed(r) {
			return r, problemCompressed
		}
		return e.form.check(w, r, e.schema, b.maxBody, d)
	}
	// Any other declared type is the handler's to read, bounded.
	return bodylimit.Check(w, r, b.maxBody)
}

// compressed reports whether the body has a content coding.
func compressed(r *http.Request) bool {
	ce := r.Header.Get("Content-Encoding")
	return ce != "" && !strings.EqualFold(ce, "identity")
}
