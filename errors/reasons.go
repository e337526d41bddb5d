package errors

import (
	"net/http"
	"slices"
)

// Reason codes: the stable, snake_case machine codes a client may switch on.
// Every apishield package uses these; a new code is added here, in the one
// registry, never invented at a call site.
const (
	ReasonUnauthenticated      = "unauthenticated"
	ReasonInvalidToken         = "invalid_token"
	ReasonTokenExpired         = "token_expired"
	ReasonInvalidDPoPProof     = "invalid_dpop_proof"
	ReasonUseDPoPNonce         = "use_dpop_nonce"
	ReasonStepUpRequired       = "step_up_required"
	ReasonInsufficientScope    = "insufficient_scope"
	ReasonForbidden            = "forbidden"
	ReasonMalformedRequest     = "malformed_request"
	ReasonValidationFailed     = "validation_failed"
	ReasonPayloadTooLarge      = "payload_too_large"
	ReasonUnsupportedMediaType = "unsupported_media_type"
	ReasonNotFound             = "not_found"
	ReasonMethodNotAllowed     = "method_not_allowed"
	ReasonConflict             = "conflict"
	ReasonOriginNotAllowed     = "origin_not_allowed"
	ReasonHostNotAllowed       = "host_not_allowed"
	ReasonAddressNotAllowed    = "address_not_allowed"
	ReasonURITooLong           = "uri_too_long"
	ReasonHeadersTooLarge      = "headers_too_large"
	ReasonGone                 = "gone"
	ReasonRateLimited          = "rate_limited"
	ReasonOverloaded           = "overloaded"
	ReasonUpstreamUnavailable  = "upstream_unavailable"
	ReasonInternal             = "internal"
)

// ReasonInfo is one row of the registry.
type ReasonInfo struct {
	Reason string // the machine code, e.g. "token_expired"
	Status int    // the HTTP status it is sent with
	Title  string // the problem's title: the same for every occurrence of the reason
	// Meaning says when the reason is used; it documents the registry.
	Meaning string
}

// registry is the table of reasons, in documentation order. It is never
// modified after package initialization.
var registry = []ReasonInfo{
	{ReasonUnauthenticated, 401, "Unauthorized", "No credentials were presented."},
	{ReasonInvalidToken, 401, "Unauthorized", "The credentials are malformed, forged, revoked or not for this API."},
	{ReasonTokenExpired, 401, "Unauthorized", "The access token is expired."},
	{ReasonInvalidDPoPProof, 401, "Unauthorized", "The DPoP proof (RFC 9449) is missing, malformed, replayed or not for this request or token."},
	{ReasonUseDPoPNonce, 401, "Unauthorized", "The DPoP proof must carry the server nonce sent in DPoP-Nonce (RFC 9449 §8)."},
	{ReasonStepUpRequired, 401, "Unauthorized", "The route needs a stronger or more recent authentication (RFC 9470)."},
	{ReasonInsufficientScope, 403, "Forbidden", "The token lacks a scope the route requires."},
	{ReasonForbidden, 403, "Forbidden", "The caller may not perform this operation on this resource."},
	{ReasonMalformedRequest, 400, "Bad Request", "The request cannot be parsed, or breaks a size or shape limit."},
	{ReasonValidationFailed, 422, "Unprocessable Content", "The request parses but does not match its schema."},
	{ReasonPayloadTooLarge, 413, "Content Too Large", "The request body is larger than allowed."},
	{ReasonUnsupportedMediaType, 415, "Unsupported Media Type", "The request body's Content-Type is not accepted."},
	{ReasonNotFound, 404, "Not Found", "No resource or route matches the request."},
	{ReasonMethodNotAllowed, 405, "Method Not Allowed", "The route exists but not for this method; see Allow."},
	{ReasonConflict, 409, "Conflict", "The request conflicts with the current state of the resource."},
	{ReasonOriginNotAllowed, 403, "Forbidden", "The request's Origin, or its CORS preflight, is not allowed for the route."},
	{ReasonHostNotAllowed, 421, "Misdirected Request", "The Host the request names is not one this API serves."},
	{ReasonAddressNotAllowed, 403, "Forbidden", "The client's address is not allowed for the route."},
	{ReasonURITooLong, 414, "URI Too Long", "The request target, or its query, is longer than allowed or has too many parameters."},
	{ReasonHeadersTooLarge, 431, "Request Header Fields Too Large", "The request has more header fields, or larger ones, than allowed."},
	{ReasonGone, 410, "Gone", "The route was deprecated and is past its sunset date; see Link for its successor."},
	{ReasonRateLimited, 429, "Too Many Requests", "The caller exceeded a rate limit; see Retry-After."},
	{ReasonOverloaded, 503, "Service Unavailable", "The service is shedding load or a dependency is down; see Retry-After."},
	{ReasonUpstreamUnavailable, 502, "Bad Gateway", "An upstream service failed or could not be reached."},
	{ReasonInternal, 500, "Internal Server Error", "An unexpected error; details are in the server log under the request ID."},
}

var byReason = func() map[string]*ReasonInfo {
	m := make(map[string]*ReasonInfo, len(registry))
	for i := range registry {
		m[registry[i].Reason] = &registry[i]
	}
	return m
}()

// Lookup returns the registry row of a reason.
func Lookup(reason string) (ReasonInfo, bool) {
	ri, ok := byReason[reason]
	if !ok {
		return ReasonInfo{}, false
	}
	return *ri, true
}

// Reasons returns a copy of the registry, in documentation order.
func Reasons() []ReasonInfo { return slices.Clone(registry) }

// title returns the title for a problem: the reason's registered title, else
// the status text.
func title(reason string, status int) string {
	if ri, ok := byReason[reason]; ok && ri.Status == status {
		return ri.Title
	}
	if t := http.StatusText(status); t != "" {
		return t
	}
	return "Error"
}
