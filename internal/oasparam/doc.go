// Package oasparam decodes the parameters of an OpenAPI 3.0/3.1
// operation from a request: path segments, the query string, headers and
// cookies, in every style and explode setting the specification defines,
// into JSON values ready for JSON Schema validation.
//
// The package takes plain inputs (a [Param] per declared parameter, raw
// path segment values, the raw query string, an http.Header); reading an
// OpenAPI document and routing a request to its operation happen
// elsewhere.
//
// # What it decodes
//
// [Compile] checks the declarations of one operation and returns its
// [Params]; [Params.Path], [Params.Query], [Params.Header] and
// [Params.Cookie] decode one request each. Values come out as the schema
// library expects them: string, bool, json.Number for integers and
// numbers (exact: jsonschema v6 validates json.Number without rounding),
// []any for arrays and map[string]any for objects. An optional
// parameter that is absent has no entry in the result, never a zero
// value. Every style of OAS 3.1 §4.8.12.4 is supported:
//
//	path    simple (default), label, matrix
//	query   form (default), spaceDelimited, pipeDelimited, deepObject
//	header  simple (default)
//	cookie  form (default)
//
// Explode defaults to true for form and false for every other style.
// Query keys and values are percent-decoded with '+' as a space (the form
// encoding); path segments and cookies are percent-decoded, '+' staying a
// plus; header values are taken as sent, list items trimmed of the
// spaces around commas. A delimiter is split on before an item is
// decoded, so "a%2Cb,c" is the items "a,b" and "c" — except for
// spaceDelimited and pipeDelimited, whose delimiters clients commonly
// encode: there the value is decoded whole first.
//
// # Choices where the specification is silent
//
//   - Empty list text is the empty array (";color", "color=", "."); an
//     exploded query array sent as "color=" is one empty string.
//   - deepObject is accepted whatever explode says: documents commonly
//     omit explode, and the encoding is the same.
//   - An exploded form object is made of the query keys (or cookies)
//     named in PropTypes: nothing else tells them from other parameters,
//     so such a declaration without PropTypes is refused.
//   - Integers are written plainly (no fraction, exponent, '+' or leading
//     zero) and must fit an int64; numbers are JSON numbers of at most 64
//     bytes with an exponent of at most 400, so the schema library, which
//     computes with exact rationals, is never handed a costly one.
//   - Header parameters named Accept, Content-Type and Authorization are
//     ignored, as the specification says.
//
// # What it refuses
//
// A declaration the specification does not define (label in a query,
// deepObject for an array, an optional path parameter, two parameters
// claiming one query key) is an error from [Compile] wrapping
// [ErrInvalidConfig]. A request is refused with an [*Error] wrapping
// [ErrMissing] (a required parameter is absent), [ErrMalformed] (the text
// does not follow the style, a value is not of its type, bad
// percent-encoding, invalid UTF-8, a primitive sent twice, a repeated
// object property) or [ErrLimit] (see [Limits]; checked before the work
// it bounds). The error's Detail names the parameter for the client and
// never quotes its value.
//
// # Security
//
// Decoding is linear in the input and bounded by [Limits]. Query keys no
// parameter declares are skipped, not refused: whether an operation
// allows undeclared parameters is for the caller to decide. Values are
// decoded, not validated against their schema: that is the schema
// library's work.
package oasparam
