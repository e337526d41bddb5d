package validate

import (
	"context"
	"errors"
	"fmt"
	"reflect"
)

// ErrBodyType is wrapped by the errors that say a Go type cannot hold
// what the Body schema allows: from [New] for Config.BodyType, and from
// [Decode] on first use for another type. It is a programming error, so
// [Decode] returns it as a plain error, which apierrors.Write answers with
// a 500 that names nothing.
var ErrBodyType = errors.New("validate: the body type does not fit the Body schema")

// ErrNoBody is returned by [Decode] when no Validator with a Body schema
// passed the request.
var ErrNoBody = errors.New("validate: no validated body in the context")

// Decode returns the request body that the Validator checked, as a T,
// filled from the very values the schema checked: the body is not read or
// parsed again. T is usually a struct with json tags, or a pointer to one:
//
//	item, err := validate.Decode[NewItem](r.Context())
//	if err != nil {
//		apierrors.Write(w, r, err)
//		return
//	}
//
// T must hold everything the schema allows: a field (by json tag, matched
// exactly) for every property the schema declares, a map or any where it
// lets other properties through, and for each value a Go type of the
// schema's JSON type (an int where it says integer, a float64 or
// json.Number where it says number, any where it says nothing). Fields
// the schema does not declare are left as they are: a client cannot set
// them, which is what a closed schema is for. A T that does not fit is
// an error wrapping [ErrBodyType] on first use (set Config.BodyType to
// have [New] check it at start-up instead).
//
// Names, null, []byte, json.Unmarshaler and encoding.TextUnmarshaler
// follow encoding/json; unlike it, an integer in any JSON form (1.0, 1e1)
// fills an int, and a value the field cannot hold (300 for an int8, 1e400
// for a float64, a string its UnmarshalText refuses) is refused with a
// 422 problem at its pointer, which apierrors.Write sends as it is.
//
// Each call returns a new T (with Config.BodyType, a copy of the one the
// Validator filled): changing it changes nothing that [Body] returns.
func Decode[T any](ctx context.Context) (T, error) {
	var zero T
	in := from(ctx)
	if in == nil || !in.HasBody || in.Check == nil {
		return zero, ErrNoBody
	}
	if p, ok := in.Typed.(*T); ok {
		return *p, nil
	}
	t := reflect.TypeFor[T]()
	if err := in.Check.CheckType(t, checkBodyType); err != nil {
		return zero, err
	}
	var out T
	b := binder{}
	if err := b.bind(reflect.ValueOf(&out).Elem(), in.Body); err != nil {
		return zero, err
	}
	return out, nil
}

// newBodyType checks Config.BodyType when New runs.
func (v *Validator) newBodyType(t reflect.Type) error {
	if t == nil {
		return nil
	}
	if v.body == nil {
		return fmt.Errorf("%w: BodyType is set without a Body schema", ErrInvalidConfig)
	}
	if err := v.body.CheckType(t, checkBodyType); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	v.bodyType = t
	return nil
}

// bindBody fills a new value of Config.BodyType from the validated body.
func (v *Validator) bindBody(doc any) (any, error) {
	p := reflect.New(v.bodyType)
	b := binder{}
	if err := b.bind(p.Elem(), doc); err != nil {
		return nil, err
	}
	return p.Interface(), nil
}
