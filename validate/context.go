package validate

import (
	"context"

	"github.com/apishield/apishield/internal/schemacheck"
)

// from returns what a passing request carries in its context, whichever
// middleware (a Validator, or package openapi) checked it.
func from(ctx context.Context) *schemacheck.Input { return schemacheck.FromContext(ctx) }

// Body returns the request body that the Validator decoded and validated:
// map[string]any, []any, string, json.Number, bool or nil, exactly as the
// schema saw it. ok is false if no Validator with a Body schema passed the
// request. The value is shared: do not modify it.
//
// Numbers keep the form they were sent in. JSON Schema's "integer" is any
// number with a zero fraction, so an integer property may hold 1.0 or 1e1
// (and a magnitude beyond int64): read numbers with [Int64] and [Float64],
// which accept every form of a value and report one that does not fit,
// not with json.Number's methods.
func Body(ctx context.Context) (v any, ok bool) {
	in := from(ctx)
	if in == nil || !in.HasBody {
		return nil, false
	}
	return in.Body, true
}

// RawBody returns the body's bytes as they arrived, or nil if no Validator
// with a Body schema passed the request. r.Body also still reads them.
// The slice is shared: do not modify it.
func RawBody(ctx context.Context) []byte {
	if in := from(ctx); in != nil {
		return in.Raw
	}
	return nil
}

// Params are validated parameters (of the query string, the path or the
// headers) by name, coerced to the types their schema declares:
//
//   - integer: a json.Number in plain decimal that an int64 holds; 1e1,
//     10.0 and 1000e-2 arrive as "10", and an integer no int64 holds is
//     refused with a 422, so [Params.Int64] always reads a declared one;
//   - number: a json.Number, the nearest float64 written as encoding/json
//     writes it (0.5, 1e-7, 10 for 1e1); one beyond float64's range is
//     refused, so [Params.Float64] always reads it, and the schema checked
//     the very value it returns;
//   - boolean: true or false, from exactly "true" or "false";
//   - string: the string, as sent;
//   - array: []any, one element per repetition, each coerced by the
//     items' type.
//
// A value that fits none of its declared types stays a string, and the
// schema refuses it. Read parameters with the typed methods rather than
// by parsing; the map is shared: do not modify it.
type Params map[string]any

// Int64 returns the named parameter as an int64. ok is false if it is
// absent or not an integer: for a parameter the schema declares an
// integer, ok is false only when it is absent.
func (p Params) Int64(name string) (n int64, ok bool) { return Int64(p[name]) }

// Float64 returns the named parameter as a float64. ok is false if it is
// absent or not a number.
func (p Params) Float64(name string) (f float64, ok bool) { return Float64(p[name]) }

// Bool returns the named parameter as a bool. ok is false if it is absent
// or not a boolean.
func (p Params) Bool(name string) (b, ok bool) {
	b, ok = p[name].(bool)
	return b, ok
}

// Int64s returns the named array parameter as int64s, one per repetition
// (?id=1&id=2). ok is false if it is absent, not an array, or holds an
// element that is not an integer.
func (p Params) Int64s(name string) (ns []int64, ok bool) {
	arr, ok := p[name].([]any)
	if !ok {
		return nil, false
	}
	ns = make([]int64, len(arr))
	for i, e := range arr {
		if ns[i], ok = Int64(e); !ok {
			return nil, false
		}
	}
	return ns, true
}

// Query returns the validated query parameters (see [Params]), or ok false
// if no Validator with a Query schema passed the request.
func Query(ctx context.Context) (params Params, ok bool) {
	if in := from(ctx); in != nil && in.Query != nil {
		return in.Query, true
	}
	return nil, false
}

// PathParams returns the validated path parameters, coerced like [Query].
func PathParams(ctx context.Context) (params Params, ok bool) {
	if in := from(ctx); in != nil && in.Path != nil {
		return in.Path, true
	}
	return nil, false
}

// Headers returns the validated headers, under the names the Header schema
// uses, coerced like [Query].
func Headers(ctx context.Context) (headers Params, ok bool) {
	if in := from(ctx); in != nil && in.Header != nil {
		return in.Header, true
	}
	return nil, false
}
