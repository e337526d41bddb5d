// Package oasgen generates requests from an OpenAPI 3.0/3.1 document for
// tests: for every operation one request the document allows, and
// variants it does not, each labelled with the expected outcome.
//
// It reads the decoded JSON tree of the document itself (maps, slices,
// float64, string, bool, nil) and resolves $refs on its own, local ones
// and, through a [Resolver], relative files: it shares nothing with the
// loader of package openapi, so a test built on it checks the loader
// rather than repeating it.
//
// Generation is deterministic: the same document and seed give the same
// requests. What cannot be generated deterministically (a string with a
// pattern, an exploded object in a query, a media type it does not
// encode) is skipped and counted in [Stats], never guessed.
//
// Nothing outside tests imports it.
package oasgen
