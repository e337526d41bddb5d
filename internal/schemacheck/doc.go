// Package schemacheck is the schema machinery that package validate and
// package openapi share, so that a body, a parameter or a response checked
// against an OpenAPI document gets exactly what validate gives one checked
// against its Config: the same compiler settings, hostile-input pre-screen,
// decoding, problems, field errors, response hold-back, context values and
// failure counts.
//
// The pieces, in the order a request meets them:
//
//   - [Compiler]: jsonschema v6 set up once (draft 2020-12 by default,
//     formats asserted, no remote loading), with [Lint] and [LintPatterns]
//     refusing schemas that compile but would not protect, and the schema
//     walkers [DeclaredNames] and [IsObjectSchema].
//   - [Limits], [Scanner], [DecodeScanned]: a single pass over the raw
//     bytes that bounds a JSON document's shape ([ScanError] says why not),
//     then a decode that checks nothing because the scan did.
//   - [Body]: a JSON request body read within a size (413), scanned (400),
//     decoded and validated (422); [CheckContentType] (415) is separate,
//     so a caller that chooses the media type itself can skip it.
//   - [Validate]: one already-decoded value against a schema, with the
//     422's field errors in a chosen place and under a chosen pointer.
//     Before the schema library it runs a fast path (fast.go) that can
//     only prove a value valid, by the library's own rules, for the
//     keywords it implements exactly; anything else, and every refusal,
//     is the library's ([FastValid] exposes it to differential tests).
//   - [Responses]: the response hold-back, with the schema chosen from the
//     status and Content-Type the handler writes.
//   - [Input]: what a passing request carries in its context, which
//     validate.Body, RawBody, Decode, Query, PathParams and Headers read.
//   - [Failures]: the apishield.validate.failures counter.
//
// Errors given to clients are *apierrors.Problem values that never quote
// the input, name a schema file or a keyword location. Sentinel and log
// texts keep their "validate:" prefix whichever package uses them: they
// are validate's public errors (validate re-exports them), and changing
// them would change validate.
package schemacheck
