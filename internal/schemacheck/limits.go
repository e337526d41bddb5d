package schemacheck

import (
	"errors"
	"fmt"
	"strconv"
)

// Limits bound the shape of a JSON document before anything decodes it. They
// are enforced by a single pass over the raw bytes, so a hostile body costs
// time linear in its size no matter what it contains. Zero fields mean the
// documented defaults; a negative field is a configuration error.
type Limits struct {
	// MaxDepth is how deeply arrays and objects may nest; the top-level
	// value is depth 1. If 0, 64. At most 10000.
	MaxDepth int
	// MaxObjectKeys is how many members one object may have. If 0, 1000.
	MaxObjectKeys int
	// MaxArrayLength is how many elements one array may have. If 0, 10000.
	MaxArrayLength int
	// MaxStringLength is how many bytes one string (or object key) may take
	// as encoded in the body, escapes included. If 0, 65536.
	MaxStringLength int
	// MaxNumberLength is how many bytes one number literal may take. If 0, 64.
	MaxNumberLength int
	// MaxValues bounds how many values (objects, arrays, strings, numbers,
	// booleans and nulls, at any depth) the whole document may hold. If 0,
	// 10000. The schema library spends about a microsecond or two on each
	// number with a numeric keyword, so without this bound a 1 MiB body of
	// small numbers would cost most of a second.
	MaxValues int
	// MaxExponent bounds the magnitude of a number's written exponent:
	// 1e400 and 1e-400 pass with 400, 1e401 does not. If 0, 400. The
	// schema library turns numbers into exact rationals, which costs time
	// growing with the exponent (about 25 ms for 1e999999) and panics
	// beyond a million, so this limit is what keeps numbers cheap.
	MaxExponent int
}

// Default limits; see [Limits].
const (
	DefaultMaxDepth        = 64
	DefaultMaxObjectKeys   = 1000
	DefaultMaxArrayLength  = 10000
	DefaultMaxStringLength = 64 << 10
	DefaultMaxNumberLength = 64
	DefaultMaxExponent     = 400
	DefaultMaxValues       = 10000

	// maxMaxDepth caps MaxDepth: the scanner recurses once per level.
	maxMaxDepth = 10000
)

// CheckLimits returns l with zero fields replaced by the defaults, or an
// error wrapping invalid (the caller's ErrInvalidConfig) that names the
// negative or out-of-range field. (A function, not a method, so that
// validate.Limits, an alias of Limits, gains no method.)
func CheckLimits(l Limits, invalid error) (Limits, error) {
	fields := []struct {
		name string
		p    *int
		def  int
	}{
		{"MaxDepth", &l.MaxDepth, DefaultMaxDepth},
		{"MaxObjectKeys", &l.MaxObjectKeys, DefaultMaxObjectKeys},
		{"MaxArrayLength", &l.MaxArrayLength, DefaultMaxArrayLength},
		{"MaxStringLength", &l.MaxStringLength, DefaultMaxStringLength},
		{"MaxNumberLength", &l.MaxNumberLength, DefaultMaxNumberLength},
		{"MaxExponent", &l.MaxExponent, DefaultMaxExponent},
		{"MaxValues", &l.MaxValues, DefaultMaxValues},
	}
	for _, f := range fields {
		switch {
		case *f.p < 0:
			return l, fmt.Errorf("%w: Limits.%s is negative", invalid, f.name)
		case *f.p == 0:
			*f.p = f.def
		}
	}
	if l.MaxDepth > maxMaxDepth {
		return l, fmt.Errorf("%w: Limits.MaxDepth %d is above %d", invalid, l.MaxDepth, maxMaxDepth)
	}
	return l, nil
}

// ResponseLimits returns the limits held-back responses are scanned with,
// given the request limits l (with defaults applied).
func ResponseLimits(l Limits) Limits {
	// Responses are ours, not an attacker's: only bound them generously
	// so a runaway handler cannot stall the check.
	return Limits{MaxDepth: max(l.MaxDepth, 256), MaxObjectKeys: 1 << 20, MaxArrayLength: 1 << 24,
		MaxStringLength: 1 << 30, MaxNumberLength: 1 << 10, MaxExponent: l.MaxExponent, MaxValues: 1 << 30}
}

// Sentinel errors of the pre-schema scan; a [*ScanError] wraps exactly one.
var (
	// ErrSyntax: the body is not JSON (RFC 8259), including NaN, Infinity,
	// a byte order mark, comments, and an empty body.
	ErrSyntax = errors.New("validate: invalid JSON")
	// ErrLimit: the body breaks one of the [Limits].
	ErrLimit = errors.New("validate: JSON limit exceeded")
	// ErrDuplicateKey: an object has the same key twice; parsers disagree on
	// which one wins, which lets a check and a use see different values.
	ErrDuplicateKey = errors.New("validate: duplicate object key")
	// ErrInvalidUTF8: a string is not valid UTF-8, or escapes a lone
	// UTF-16 surrogate.
	ErrInvalidUTF8 = errors.New("validate: invalid UTF-8")
	// ErrTrailingData: something follows the first JSON value.
	ErrTrailingData = errors.New("validate: data after the JSON value")
	// ErrCaseVariantKey: a key differs only in case from a property the
	// schema declares. Go's encoding/json would bind it to that property,
	// past a schema that never saw it (a mass-assignment hole).
	ErrCaseVariantKey = errors.New("validate: key differs only in case from a declared property")
)

// A ScanError says where and why the pre-schema scan refused a document.
// It never contains the document's bytes.
type ScanError struct {
	Offset int    // byte offset of the offending token
	Limit  string // for ErrLimit: the Limits field broken, e.g. "MaxDepth"
	Max    int    // for ErrLimit: the limit's value
	What   string // a short description of the problem
	Err    error  // the sentinel: ErrSyntax, ErrLimit, ...

	unit string // what Max counts, as the client reads it: " levels"
}

// Error describes the problem, for logs and for the client's detail, in
// the client's terms: the limit as a number, never the Limits field's Go
// name (that is in Limit, for the operator):
//
//	nesting is too deep (the limit is 64 levels) at byte 120
func (e *ScanError) Error() string {
	s := e.What
	if e.Limit != "" {
		s += " (the limit is " + strconv.Itoa(e.Max) + e.unit + ")"
	}
	return s + " at byte " + strconv.Itoa(e.Offset)
}

// Unwrap returns the sentinel.
func (e *ScanError) Unwrap() error { return e.Err }
