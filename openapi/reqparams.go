package openapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	apierrors "github.com/apishield/apishield/errors"
	"github.com/apishield/apishield/internal/oasparam"
	"github.com/apishield/apishield/internal/schemacheck"
)

// inputs are an operation's parameters, compiled at load: the decoders
// and, per location, the schemas each decoded value is checked against.
type inputs struct {
	params *oasparam.Params
	// by location, the parameters in declaration order.
	path, query, header, cookie []*parameter
}

func newInputs(op *operation) (*inputs, error) {
	if len(op.params) == 0 {
		return nil, nil
	}
	in := &inputs{}
	decls := make([]oasparam.Param, 0, len(op.params))
	for _, p := range op.params {
		decls = append(decls, p.decl)
		switch p.in {
		case oasparam.InPath:
			in.path = append(in.path, p)
		case oasparam.InQuery:
			in.query = append(in.query, p)
		case oasparam.InHeader:
			in.header = append(in.header, p)
		case oasparam.InCookie:
			in.cookie = append(in.cookie, p)
		default:
			return nil, fmt.Errorf("%w: parameter %q: unknown location %d", ErrInvalidDocument, p.name, p.in)
		}
	}
	var err error
	if in.params, err = oasparam.Compile(decls, oasparam.Limits{}); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidDocument, err)
	}
	return in, nil
}

// checked are a request's parameters, decoded and checked, by location;
// a location the operation declares nothing in is nil.
type checked struct {
	path, query, header, cookie map[string]any
	// The body, for JSON and form bodies: decoded and as sent, and the
	// check that read it.
	body    any
	hasBody bool
	raw     []byte
	json    *schemacheck.Body
}

// check decodes every parameter of the request and checks each value
// against its schema. It sets the path parameters on the request, decoded,
// for r.PathValue (so x-apishield-owner's rule and the handler read them
// as a router would give them). A refusal comes with the location it is
// counted under.
func (in *inputs) check(r *http.Request, m *match, c *checks) (d checked, stage schemacheck.Kind, err error) {
	if in == nil {
		return d, 0, nil
	}
	if len(in.path) > 0 {
		if d.path, err = in.params.Path(m.rawPath); err != nil {
			return d, schemacheck.KindPath, paramProblem(err)
		}
		if err = c.values(d.path, in.path); err != nil {
			return d, schemacheck.KindPath, err
		}
		for _, p := range m.path {
			r.SetPathValue(p.Name, pathValue(d.path[p.Name], p.Value))
		}
	}
	if len(in.query) > 0 {
		if d.query, err = in.params.Query(r.URL.RawQuery); err != nil {
			return d, schemacheck.KindQuery, paramProblem(err)
		}
		if err = c.values(d.query, in.query); err != nil {
			return d, schemacheck.KindQuery, err
		}
	}
	if len(in.header) > 0 {
		if d.header, err = in.params.Header(r.Header); err != nil {
			return d, schemacheck.KindHeader, paramProblem(err)
		}
		if err = c.values(d.header, in.header); err != nil {
			return d, schemacheck.KindHeader, err
		}
	}
	if len(in.cookie) > 0 {
		if d.cookie, err = in.params.Cookie(r.Header); err != nil {
			return d, schemacheck.KindCookie, paramProblem(err)
		}
		if err = c.values(d.cookie, in.cookie); err != nil {
			return d, schemacheck.KindCookie, err
		}
	}
	return d, 0, nil
}

// rawPath returns the escaped text of the path parameter name.
func (m *match) rawPath(name string) (string, bool) {
	for _, p := range m.path {
		if p.Name == name {
			return p.Value, true
		}
	}
	return "", false
}

// pathValue is the text r.PathValue gives for a path parameter: the
// decoded primitive, or the percent-decoded segment for a list or object.
func pathValue(v any, raw string) string {
	switch v := v.(type) {
	case string:
		return v
	case json.Number:
		return v.String()
	case bool:
		return strconv.FormatBool(v)
	}
	if s, err := url.PathUnescape(raw); err == nil {
		return s
	}
	return raw
}

// values checks each declared parameter's decoded value against its
// schema. An absent optional parameter has nothing to check.
func (c *checks) values(vals map[string]any, params []*parameter) error {
	for _, p := range params {
		v, ok := vals[p.name]
		if !ok {
			continue
		}
		if err := c.value(p.in.String(), p.name, v, p.schema); err != nil {
			return err
		}
	}
	return nil
}

// paramProblem turns a decoding error into its problem: a missing
// required parameter is the 422 package validate gives for one (its
// schema's "required" failing, at the parameter's pointer); any other
// *oasparam.Error a 400 with its detail.
func paramProblem(err error) error {
	var pe *oasparam.Error
	if !errors.As(err, &pe) {
		return apierrors.Internal(err)
	}
	if errors.Is(err, oasparam.ErrMissing) {
		return apierrors.New(http.StatusUnprocessableEntity, apierrors.ReasonValidationFailed,
			"The request does not match its schema.").WithErrors(apierrors.FieldError{
			In: pe.In.String(), Pointer: schemacheck.Pointer(nil, pe.Name), Detail: "is required", Keyword: "required"}).WithCause(err)
	}
	return apierrors.New(http.StatusBadRequest, apierrors.ReasonMalformedRequest, pe.Detail).WithCause(err)
}
