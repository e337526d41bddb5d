package validate

import "github.com/apishield/apishield/internal/schemacheck"

// Limits bound the shape of a JSON document before anything decodes it:
// nesting depth, members per object, elements per array, bytes per string
// and per number literal, values in the whole document, and the magnitude
// of a number's exponent. They are enforced by a single pass over the raw
// bytes, so a hostile body costs time linear in its size no matter what
// it contains. Zero fields mean the defaults below; a negative field is a
// configuration error.
//
// Limits is an alias of the type package openapi shares, so one value
// configures both; its fields document themselves there.
type Limits = schemacheck.Limits

// Default limits; see [Limits].
const (
	DefaultMaxDepth        = schemacheck.DefaultMaxDepth
	DefaultMaxObjectKeys   = schemacheck.DefaultMaxObjectKeys
	DefaultMaxArrayLength  = schemacheck.DefaultMaxArrayLength
	DefaultMaxStringLength = schemacheck.DefaultMaxStringLength
	DefaultMaxNumberLength = schemacheck.DefaultMaxNumberLength
	DefaultMaxExponent     = schemacheck.DefaultMaxExponent
	DefaultMaxValues       = schemacheck.DefaultMaxValues
)

// Sentinel errors of the pre-schema scan; a [*ScanError] wraps exactly one.
var (
	// ErrSyntax: the body is not JSON (RFC 8259), including NaN, Infinity,
	// a byte order mark, comments, and an empty body.
	ErrSyntax = schemacheck.ErrSyntax
	// ErrLimit: the body breaks one of the [Limits].
	ErrLimit = schemacheck.ErrLimit
	// ErrDuplicateKey: an object has the same key twice; parsers disagree on
	// which one wins, which lets a check and a use see different values.
	ErrDuplicateKey = schemacheck.ErrDuplicateKey
	// ErrInvalidUTF8: a string is not valid UTF-8, or escapes a lone
	// UTF-16 surrogate.
	ErrInvalidUTF8 = schemacheck.ErrInvalidUTF8
	// ErrTrailingData: something follows the first JSON value.
	ErrTrailingData = schemacheck.ErrTrailingData
	// ErrCaseVariantKey: a key differs only in case from a property the
	// schema declares. Go's encoding/json would bind it to that property,
	// past a schema that never saw it (a mass-assignment hole).
	ErrCaseVariantKey = schemacheck.ErrCaseVariantKey
)

// A ScanError says where and why the pre-schema scan refused a document:
// the byte offset, the Limits field broken (for ErrLimit) and its value,
// a short description, and the sentinel it wraps. It never contains the
// document's bytes. It is an alias of the type package openapi shares.
type ScanError = schemacheck.ScanError
