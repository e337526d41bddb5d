package validate

import "context"

// input is what a passing request carries in its context: one value, so
// the handler reads what was decoded instead of parsing it again.
type input struct {
	raw     []byte
	body    any
	hasBody bool
	query   map[string]any
	path    map[string]any
	header  map[string]any
	rd      rawBody // r.Body for the handler, allocated with the rest
}

type ctxKey struct{}

func newContext(ctx context.Context, in *input) context.Context {
	return context.WithValue(ctx, ctxKey{}, in)
}

func from(ctx context.Context) *input {
	in, _ := ctx.Value(ctxKey{}).(*input)
	return in
}

// Body returns the request body that the Validator decoded and validated:
// map[string]any, []any, string, json.Number, bool or nil, exactly as the
// schema saw it. ok is false if no Validator with a Body schema passed the
// request. The value is shared: do not modify it.
func Body(ctx context.Context) (v any, ok bool) {
	in := from(ctx)
	if in == nil || !in.hasBody {
		return nil, false
	}
	return in.body, true
}

// RawBody returns the body's bytes as they arrived, or nil if no Validator
// with a Body schema passed the request. r.Body also still reads them.
// The slice is shared: do not modify it.
func RawBody(ctx context.Context) []byte {
	if in := from(ctx); in != nil {
		return in.raw
	}
	return nil
}

// Query returns the validated query parameters, coerced to their declared
// types (json.Number for numbers, bool, []any for arrays), or ok false if
// no Validator with a Query schema passed the request.
func Query(ctx context.Context) (params map[string]any, ok bool) {
	if in := from(ctx); in != nil && in.query != nil {
		return in.query, true
	}
	return nil, false
}

// PathParams returns the validated path parameters, coerced like [Query].
func PathParams(ctx context.Context) (params map[string]any, ok bool) {
	if in := from(ctx); in != nil && in.path != nil {
		return in.path, true
	}
	return nil, false
}

// Headers returns the validated headers, under the names the Header schema
// uses, coerced like [Query].
func Headers(ctx context.Context) (headers map[string]any, ok bool) {
	if in := from(ctx); in != nil && in.header != nil {
		return in.header, true
	}
	return nil, false
}
