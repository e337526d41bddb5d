// Package openapi makes an API's OpenAPI document (3.0.x or 3.1.x, YAML
// or JSON) its security contract. Load reads the document once, at
// start-up, and refuses what it cannot enforce; the [Contract] it returns
// then enforces, for every request, what the document says about the
// operation the request calls:
//
//   - which operation it is (server base path, templated paths, the
//     specification's precedence), with 404 for a path the document does
//     not declare and 405 for a method it does not declare: deny by
//     default;
//   - who may call it: the security schemes and requirements (an OR of
//     ANDs; [] for public), checked against the principal package auth
//     proved, with oauth2 and openIdConnect scopes through package authz;
//     an operation without declared security follows Config.Undeclared,
//     which fails closed;
//   - what it may be sent: its parameters in every style and its body,
//     JSON through package validate's bounds and form-encoded, checked
//     against their schemas with jsonschema v6;
//   - optionally, what it may answer (Config.Responses);
//   - and the x-apishield- extensions for what OpenAPI cannot say: rate
//     limits and their cost, ownership rules, deprecation dates.
//
// The same contract checks at start-up that the application's router
// serves exactly the document's operations, and produces an inventory
// report of every operation for audits (see cmd/apishield-openapi).
//
// # Wiring
//
// [Contract.Handler] goes after package auth's middleware and before the
// application's router. auth must be configured with AllowAnonymous, so
// that the document's public operations are reachable: the contract then
// answers 401 itself, with auth's own challenge, where the document wants
// a credential. auth reads API keys from X-API-Key and "Authorization:
// ApiKey" only, unless told otherwise: give it the places the document's
// apiKey schemes declare, from [Contract.APIKeySources]:
//
//	c, err := openapi.LoadFile("openapi.yaml", openapi.Config{})
//	acfg := auth.Config{Authenticators: []auth.Authenticator{jwt, keys}, AllowAnonymous: true}
//	headers, queries, cookies := c.APIKeySources()
//	for _, h := range headers {
//		if h != "X-Api-Key" { // read anyway; auth takes one other header
//			acfg.APIKeyHeader = h
//			break
//		}
//	}
//	if len(queries) > 0 {
//		acfg.APIKeyQuery = queries[0]
//	}
//	if len(cookies) > 0 {
//		acfg.APIKeyCookie = cookies[0]
//	}
//	authn, err := auth.New(acfg)
//	handler := apierrors.Recover(aud.Handler(authn.Handler(c.Handler(mux))))
//
// On chi, r.Use(authn.Handler, c.Handler); on gorilla/mux, the same with
// router.Use, or around the router as on ServeMux; with gorilla's
// UseEncodedPath, around the router only: router.Use runs after gorilla
// has routed the path as sent, while a router behind the contract gets the
// spelling the contract checked (see Requests). Package cors, if used,
// goes before the contract: a CORS preflight (OPTIONS) the document does
// not declare is otherwise a 405.
//
// # Requests
//
// For each request the Handler, in this order:
//
//  1. matches the operation (404 not_found when no path matches, 405
//     method_not_allowed with Allow when the path has no such method).
//     Literal segments are compared decoded, as ServeMux and gorilla/mux
//     compare them ("/items/%61dmin" is "/items/admin"), and the request
//     goes on with the characters a path may carry as they are decoded,
//     for routers that read the escaped text, such as chi. An encoded slash stays in its
//     segment, as on ServeMux and chi, but a path that names another
//     operation once its encoded slashes are decoded, as gorilla/mux
//     routes it by default, is 400 malformed_request. The match records
//     its route as "METHOD /path", the path as the document spells
//     it without the server's base path, for audit, ratelimit.ByRoute and
//     package deprecation;
//  2. for a deprecated operation, sends its Deprecation, Sunset and Link
//     headers, or 410 gone past its sunset (package deprecation);
//  3. checks security with authz.Check, so that 401 and 403 are authz's
//     own. An http bearer, oauth2 or openIdConnect scheme takes a principal
//     auth proved from a bearer token (Method "jwt" or "introspection");
//     apiKey one proved from an API key, from whichever place auth read
//     it; mutualTLS a client certificate, or a token bound to the
//     certificate the request came with (Binding "mtls"). Scopes of oauth2
//     and openIdConnect are authz.AllScopes; for the other types OAS 3.1
//     calls them roles, authz.AllRoles. A principal proved with another
//     kind of credential is refused with 403 forbidden. auth proves one
//     credential per request, so a requirement that combines two kinds
//     (an API key and a bearer token) is never met: it refuses;
//  4. runs the operation's x-apishield-rate-limit limiter, whose cost
//     function may be [Cost];
//  5. decodes and checks the parameters: a parameter that cannot be
//     decoded is 400 malformed_request, a value its schema refuses (or a
//     required one missing) 422 validation_failed with the parameter's
//     location and name in the field error. Path parameters are also set
//     on the request, decoded, for r.PathValue;
//  6. runs x-apishield-owner's rule, through authz.Check, after the
//     parameters so that the rule reads a checked path value;
//  7. checks the body, choosing the declared media type for the
//     Content-Type (the exact type, then a "+json" range such as
//     application/*+json, then type/*, then */*; parameters such as
//     charset do not take part). JSON goes through package validate's
//     bounds and decoding, form bodies are decoded with the parameters'
//     rules and the types of the schema's properties, other declared types
//     pass unread, bounded by Config.MaxBodyBytes (413), except under a
//     media range ("*/*", "application/*") whose schema gives the body a
//     structure (anything but a string): the sender picks the type, so a
//     body of one that cannot be decoded there is 415. A type the
//     operation does not declare is 415, with the declared types in the
//     detail; so is a body sent to an operation that declares none, and
//     a compressed JSON or form body (a coding in any Content-Encoding
//     line). A body with two Content-Type lines, and a required body that
//     is missing, are 400 malformed_request;
//  8. with Config.Responses, holds back and checks the response.
//
// Query parameters, headers and cookies the operation does not declare
// are let through unread, as most OpenAPI validators do; undeclared
// properties of a body are refused where its schema says
// additionalProperties: false.
//
// The handler reads what was checked with package validate's accessors
// (validate.Query, PathParams, Headers, Body, Decode) and the contract's
// own [Cookies] and [Operation].
//
// # Security
//
// What the request side does not do:
//   - It does not authenticate: package auth does, before it. Without
//     auth's middleware every operation that needs a credential answers
//     401.
//   - It does not check where an API key travelled: an apiKey scheme is
//     met by any API key auth verified, from any place auth reads.
//   - It does not check response headers, nor bodies of declared types
//     other than JSON.
//   - Rate limits apply only to the operations that name a limiter;
//     limit the rest (by IP, before auth) with package ratelimit.
package openapi
