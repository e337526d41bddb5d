package oasparam

import (
	"errors"
	"fmt"
)

// The kinds of request error, wrapped by every [*Error].
var (
	// ErrMissing: a required parameter is absent.
	ErrMissing = errors.New("oasparam: missing parameter")
	// ErrMalformed: a parameter is present but does not follow its style,
	// or a value cannot be coerced to its declared type.
	ErrMalformed = errors.New("oasparam: malformed parameter")
	// ErrLimit: the input is larger than the [Limits] allow; nothing past
	// the limit was decoded.
	ErrLimit = errors.New("oasparam: parameter limit exceeded")
)

// An Error is a request whose parameters cannot be decoded. Its Detail is
// written for the client: it names the parameter as the document does and
// never quotes the client's value or a Go identifier.
type Error struct {
	// In and Name identify the parameter. Name is empty for a limit on
	// the whole query string or Cookie header.
	In   In
	Name string
	// Detail is a sentence for the client.
	Detail string
	kind   error
}

// Error returns the detail.
func (e *Error) Error() string { return e.Detail }

// Unwrap returns ErrMissing, ErrMalformed or ErrLimit.
func (e *Error) Unwrap() error { return e.kind }

// newError builds an Error whose detail starts with the parameter.
func newError(kind error, in In, name, format string, args ...any) *Error {
	d := fmt.Sprintf(format, args...)
	if name != "" {
		d = fmt.Sprintf("%s parameter %q %s", in, name, d)
	}
	return &Error{In: in, Name: name, Detail: d, kind: kind}
}
