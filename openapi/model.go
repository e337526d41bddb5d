package openapi

import (
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/apishield/apishield/internal/oasparam"
)

// This file is the loaded document as the rest of the package sees it:
// the loader (load.go) fills it, the handler enforces it, the route check
// and the inventory read it. It holds only what apishield enforces or
// reports; everything else in the document is checked by the loader and
// dropped.

// A document is an OpenAPI document after loading: every $ref resolved,
// every schema translated to JSON Schema 2020-12 and compiled, every
// x-apishield- extension read and checked.
type document struct {
	version string // the "openapi" field: "3.0.3", "3.1.0"…
	title   string // info.title
	apiVer  string // info.version

	// bases are the path parts of the servers' URLs, without a trailing
	// slash: "" for "/" or for a document without servers, "/v1" for
	// "https://api.example.com/v1". A variable takes each of its enum
	// values, or its default when it has no enum (at most 64 bases).
	bases []string

	// ops are the operations in document order: paths as written, and
	// within a path item get, put, post, delete, options, head, patch,
	// trace.
	ops []*operation

	// schemes are the components' securitySchemes by name.
	schemes map[string]*securityScheme
}

// An operation is one method of one path item.
type operation struct {
	method  string // as requests spell it: "GET"
	path    string // the Paths Object's key: "/items/{id}"
	id      string // operationId, or ""
	summary string
	pointer string // JSON pointer of the operation in the root file: "/paths/~1items~1{id}/get"

	// params are the path item's parameters merged with the operation's
	// (an operation's parameter replaces the path item's of the same name
	// and location), in declaration order.
	params []*parameter
	body   *requestBody // nil when the operation declares none
	// responses by status key: "200", "2XX", "default".
	responses map[string]*response

	// security is the effective requirement: the operation's own, or the
	// document's when the operation has none. It is an OR of ANDs. An
	// empty alternative ({}) makes the operation public.
	security []requirement
	// securityDeclared is false when neither the operation nor the
	// document declares security; then Config.Undeclared decides.
	securityDeclared bool

	deprecated  bool
	deprecation *deprecationInfo // from x-apishield-deprecation; nil if none

	// From x-apishield- extensions; zero when absent.
	rateLimit string // x-apishield-rate-limit: a key of Config.RateLimiters
	cost      int    // x-apishield-cost: units per request for the limiter; 0 means 1
	owner     string // x-apishield-owner: a key of Config.Rules
}

// name is how messages and reports name the operation: its operationId
// when it has one, else its method and path.
func (op *operation) name() string {
	if op.id != "" {
		return op.id
	}
	return op.method + " " + op.path
}

// public reports whether the operation's security lets anyone in.
func (op *operation) public() bool {
	if !op.securityDeclared {
		return false
	}
	if len(op.security) == 0 {
		return true
	}
	for _, req := range op.security {
		if len(req) == 0 {
			return true
		}
	}
	return false
}

// A parameter is one declared parameter.
type parameter struct {
	name       string
	in         oasparam.In
	required   bool
	deprecated bool
	// decl is the declaration reduced to what decoding needs (style,
	// explode, shape and types from the schema).
	decl   oasparam.Param
	schema *schema // nil when the parameter declares no schema
}

// A requestBody is an operation's declared body.
type requestBody struct {
	required bool
	// content maps a media type or range as declared ("application/json",
	// "application/*+json", "application/x-www-form-urlencoded") to its
	// schema. Only JSON (and +json) and form bodies are decoded; any other
	// declared media type is let through unread, bounded by the body limit.
	content map[string]*mediaType
}

// A mediaType is one entry of a content map.
type mediaType struct {
	schema *schema // nil when the entry declares none: any value of the type
}

// A response is one entry of an operation's responses.
type response struct {
	status  string                // "200", "2XX" or "default"
	content map[string]*mediaType // empty for a response without a body
}

// A schema is one compiled schema of the document.
type schema struct {
	// loc is the schema's absolute location as the compiler knows it:
	// the loaded file's URL and a JSON pointer fragment.
	loc string
	// value is the schema as JSON Schema 2020-12 (translated from OAS 3.0
	// when the document is 3.0), before $ref resolution: what the
	// inventory reads for its warnings together with compiled.
	value any
	// compiled is the schema as jsonschema v6 compiled it.
	compiled *jsonschema.Schema
}

// A requirement is one alternative of a Security Requirement list: every
// scheme in it must hold.
type requirement []schemeUse

// A schemeUse is one security scheme of a requirement and the scopes it
// needs (oauth2 and openIdConnect; OAS 3.1 allows roles for others).
type schemeUse struct {
	scheme *securityScheme
	scopes []string
}

// A securityScheme is one entry of components.securitySchemes.
type securityScheme struct {
	name string
	// kind is the scheme's "type": "http", "apiKey", "oauth2",
	// "openIdConnect" or "mutualTLS".
	kind string
	// httpScheme is an http scheme's "scheme", lower-cased: only "bearer"
	// is supported; others are start-up errors.
	httpScheme string
	// For apiKey: where the key travels and under which name.
	in        oasparam.In // InHeader, InQuery or InCookie
	paramName string
}

// deprecationInfo is an x-apishield-deprecation object: the dates and
// links of the Deprecation, Sunset and Link headers (see package
// deprecation's Policy, which it becomes).
type deprecationInfo struct {
	since     time.Time // "since": when the operation was or will be deprecated
	sunset    time.Time // "sunset": when it stops being served; zero for never
	docs      string    // "docs"
	successor string    // "successor"
}
