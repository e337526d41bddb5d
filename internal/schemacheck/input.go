package schemacheck

import (
	"context"
	"net/http"

	"github.com/apishield/apishield/internal/bodylimit"
)

// Input is what a request that passed validation carries in its context:
// one value, so the handler reads what was decoded instead of parsing it
// again. validate.Body, RawBody, Decode, Query, PathParams and Headers read
// it, whichever middleware (validate or openapi) filled it.
type Input struct {
	Raw     []byte         // the body's bytes as they arrived
	Body    any            // the decoded body, as the schema saw it
	HasBody bool           // whether a body was checked
	Query   map[string]any // validated query parameters, or nil
	Path    map[string]any // validated path parameters, or nil
	Header  map[string]any // validated headers, or nil
	// Check is what checked the body, for validate.Decode's type check
	// on first use; nil if nothing can (Decode then says there is no body).
	Check *Body
	// Typed, with validate's Config.BodyType, is a pointer to the value
	// the body was filled into.
	Typed any

	rd bodylimit.Reader // r.Body for the handler, allocated with the rest
}

type ctxKey struct{}

// NewContext returns ctx carrying in.
func NewContext(ctx context.Context, in *Input) context.Context {
	return context.WithValue(ctx, ctxKey{}, in)
}

// FromContext returns the Input in ctx, or nil.
func FromContext(ctx context.Context) *Input {
	in, _ := ctx.Value(ctxKey{}).(*Input)
	return in
}

// Attach returns r with in in its context and, if in has a body, with
// r.Body reading in.Raw again from the start.
func (in *Input) Attach(r *http.Request) *http.Request {
	r = r.WithContext(NewContext(r.Context(), in))
	if in.HasBody {
		in.rd.Reset(in.Raw)
		r.Body = &in.rd
	}
	return r
}
