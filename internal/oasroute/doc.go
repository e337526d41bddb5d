// Package oasroute matches a request to the OpenAPI operation it is for:
// the routing core of the OpenAPI contract (issue 15).
//
// [New] takes the base paths of the document's servers ("/v1", or "" for
// a server URL without a path) and the operations, each a method and a
// path template of the Paths Object ("/items/{id}",
// "/reports/{name}.{format}"). It checks them once and builds a segment
// trie; [Router.Find] then matches a method and an escaped request path
// in time proportional to the number of path segments, without
// allocating, and returns the operation, its path parameters, or the
// methods for a 405's Allow header.
//
// # Matching
//
// Find strips the longest base path the request path is under, at a
// segment boundary only ("/v1x" is not under "/v1"); a path under no base
// matches nothing, and neither does the base alone ("/v1" is not the
// document's "/" under "/v1", "/v1/" is). Only the longest base is tried:
// with bases "" and "/v1", "/v1/x" is "/x" under "/v1", never "/v1/x"
// under "". What is left is matched with the precedence the
// OpenAPI Specification gives: concrete paths before templated ones,
// segment by segment from the left, so "/pets/mine" wins over
// "/pets/{petId}" and "/a/{b}" over "/{c}/d". At one position a literal
// segment comes first, then a segment with literals around parameters
// ("{name}.{format}"), then a pure parameter; a more concrete branch that
// matches no whole path gives way to the next. The path chooses the path
// item first; a path item without an operation for the method is a 405,
// even where a less concrete template has one (the Paths Object is
// matched before its operations). Falling back never visits a trie node
// twice, since each node stands for one position in the path, so a
// request costs at most one walk of the trie however it is built, and
// the walk goes no deeper than the longest template, however many
// segments the request has.
//
// A parameter matches a non-empty part of one segment and never a "/".
// In a mixed segment the parts are matched left to right: each parameter
// takes the shortest non-empty text before the literal that follows it,
// and a trailing literal must end the segment ("a.tar.gz" against
// "{name}.{format}" gives name "a", format "tar.gz").
//
// "/items" and "/items/" are different paths, as they are in OpenAPI: the
// trailing slash is an empty last segment, matched literally. Literals are
// compared decoded, as ServeMux and gorilla/mux compare them: a request
// that percent-encodes a character the template spells plainly
// ("/items/%61dmin") is the concrete path ("/items/admin"), never the
// template beside it, which would let the router behind the contract
// serve an operation the contract did not check. An encoded "/" or "%"
// stays encoded, so "/a%2Fb" is one segment, never the literal "a/b" of
// nothing. New refuses a literal a request could not carry unescaped.
// [Canonical] gives the spelling to hand on to a router, such as chi,
// that compares the escaped text. Method comparison is exact and case-sensitive, as in HTTP,
// and HEAD is not GET: a document that wants HEAD declares it (the
// loader may add it for GET operations, by choice, before calling New).
//
// Parameter values are returned as they appear in the escaped path (in a
// mixed segment sent with escapes, re-escaped from its decoded form). The
// caller percent-decodes them and then applies the parameter's style
// (simple, label, matrix), which is the parameter decoder's job, not this
// package's.
//
// # Start-up errors
//
// New refuses, with errors wrapping [ErrInvalid] that name the
// operations: a malformed template (no leading "/", unbalanced braces, an
// empty name, a name used twice, a "{" inside a name, two adjacent
// parameters), a method that is not an HTTP token, the same method and
// path twice, two templates that differ only in their parameter names
// ("/{a}/x" and "/{b}/x", which the spec calls identical and invalid),
// two different mixed segments at the same position that can match the
// same text ("{name}.json" and "{name}.{format}": the spec gives no
// order), and a base path that is not "" or "/..." without a trailing
// slash.
//
// # What it leaves to the loader
//
// The package takes plain inputs: reading the document, resolving the
// servers' URLs (and their variables) to base paths, lower-case method
// keys to request methods, and checking that every path parameter is
// declared in the operation's parameters are the loader's. So are the
// decoding of parameter values and the response to a miss (404, or 405
// with Allow).
package oasroute
