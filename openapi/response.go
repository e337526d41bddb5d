package openapi

import (
	"fmt"
	"strconv"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/apishield/apishield/internal/schemacheck"
)

// A respCheck is an operation's declared responses, ready to look up by
// status code and media type.
type respCheck struct {
	byCode  map[int]*respEntry // "200"
	byClass [6]*respEntry      // "2XX" at index 2
	dflt    *respEntry         // "default"
}

// A respEntry is one declared response: its media types, or none for a
// response without a body.
type respEntry struct {
	key   string
	media *mediaTable // nil when the response declares no content
}

// newRespCheck returns the hold-back of op's responses, or nil when
// Config.Responses is off.
func newRespCheck(op *operation, cfg *Config, c *checks) (*schemacheck.Responses, error) {
	var mode schemacheck.ResponseMode
	switch cfg.Responses {
	case ResponsesOff:
		return nil, nil
	case ResponsesReport:
		mode = schemacheck.ResponseReport
	case ResponsesEnforce:
		mode = schemacheck.ResponseEnforce
	default:
		return nil, fmt.Errorf("%w: Responses %d is not a known value", ErrInvalidConfig, cfg.Responses)
	}
	rc := &respCheck{byCode: map[int]*respEntry{}}
	for key, resp := range op.responses {
		e := &respEntry{key: key}
		if resp != nil && len(resp.content) > 0 {
			var err error
			if e.media, err = newMediaTable(resp.content); err != nil {
				return nil, errorf("response %s: %v", key, err)
			}
		}
		switch {
		case key == "default":
			rc.dflt = e
		case len(key) == 3 && key[1] == 'X' && key[2] == 'X' && key[0] >= '1' && key[0] <= '5':
			rc.byClass[key[0]-'0'] = e
		default:
			code, err := strconv.Atoi(key)
			if err != nil || code < 100 || code > 599 {
				return nil, errorf("response %q is not a status code, a range such as 2XX, or default", key)
			}
			rc.byCode[code] = e
		}
	}
	return &schemacheck.Responses{Package: pkg, Mode: mode, MaxBytes: maxResponseBytes,
		Limits: schemacheck.ResponseLimits(c.limits), MaxErrors: c.maxErrors, Logger: c.logger,
		Failures: c.failures, Schema: rc.schema}, nil
}

// schema chooses the schema of a response from its status and
// Content-Type: the declared response for the status (see lookup), then
// its media type (as for request bodies; an unset Content-Type is taken
// as application/json, the common case of a handler that forgot it).
// A status, or a media type, the document does not declare is a
// violation whatever the body, and so is a body where the response
// declares none; a declared JSON type is checked against its schema; a
// declared type of another kind passes unchecked.
func (rc *respCheck) schema(status int, contentType string) (*jsonschema.Schema, bool) {
	e, ok := rc.lookup(status)
	if !ok {
		return schemacheck.Undeclared, true
	}
	if e.media == nil {
		// No content declared: an empty body passes, any body is a
		// violation (schema false, which every value breaks).
		return falseSchema(), true
	}
	if contentType == "" {
		contentType = "application/json"
	}
	me, mt, ok := e.media.find(contentType)
	switch {
	case !ok:
		return schemacheck.Undeclared, true
	case !isJSON(mt):
		return nil, false
	case me.schema == nil || me.schema.compiled == nil:
		return anySchema(), true
	}
	return me.schema.compiled, true
}

// lookup returns the declared response for a status code: the code
// itself, then its class ("2XX"), then "default". ok is false when the
// document declares none of them.
func (rc *respCheck) lookup(status int) (*respEntry, bool) {
	if e := rc.byCode[status]; e != nil {
		return e, true
	}
	if status >= 100 && status < 600 {
		if e := rc.byClass[status/100]; e != nil {
			return e, true
		}
	}
	if rc.dflt != nil {
		return rc.dflt, true
	}
	return nil, false
}
