// Package validate checks that a request is well formed before a handler
// sees it: a JSON Schema contract for the body, the query string, path
// parameters and chosen headers, and limits on size and shape that hold no
// matter what the input contains. Optionally it checks responses too.
//
// # What it protects against
//
//   - Injection and malformed input: bodies and parameters that do not
//     match the contract get a 422 with a pointer per failing field, and
//     unknown fields are refused (strict mode), which closes mass
//     assignment.
//   - Input crafted to crash or stall the parser: before anything is
//     decoded, one linear pass over the raw bytes enforces the body size,
//     nesting depth, members per object, array length, values in the
//     document, string length, number length and exponent range. The
//     schema library turns numbers into exact rationals: 1e999999 costs it
//     tens of milliseconds and 1e1000001 makes it panic; here neither
//     reaches it, and MaxValues bounds how many numbers it is given.
//   - Parser differentials: duplicate keys, invalid UTF-8 and lone
//     surrogates, a second value after the first, and keys that differ only
//     in case from a declared property (Go's encoding/json binds "Price" to
//     a field tagged "price", past a schema that never saw it) are refused
//     with 400, so the handler sees exactly what the schema saw.
//   - Unbounded bodies on routes without a body schema: a [BodyLimit]
//     around the router bounds every request's body, whatever its route or
//     method, with no schema (413 past the limit, before reading it when
//     Content-Length announces it).
//   - Excessive data exposure (OWASP API3): with a Response schema, a 2xx
//     JSON response with fields outside the contract is replaced by a 500
//     (ResponseEnforce) or logged and recorded (ResponseReport).
//
// # Responses
//
// Every refusal goes through apierrors.Write as one problem:
//
//	415 unsupported_media_type  Content-Type not application/json or +json
//	                            (or a charset other than UTF-8, or a
//	                            Content-Encoding: compressed bodies are
//	                            refused, not inflated past the limits)
//	413 payload_too_large       body over MaxBodyBytes (or a BodyLimit's
//	                            MaxBytes), with or without Content-Length
//	400 malformed_request       not JSON, or a limit broken; the detail
//	                            gives the limit as a number ("the limit
//	                            is 64 levels") and the byte offset
//	422 validation_failed       the schema failed, or a parameter is an
//	                            integer no int64 holds or a number beyond
//	                            float64; "errors" lists {in, pointer,
//	                            detail, keyword}, at most MaxErrors
//
// Each field error says where the failing value was, in "in" (body, query,
// path or header), and which value, in "pointer": an RFC 6901 JSON Pointer
// into the body, or into the object of that place's parameters by name
// (see apierrors.FieldError). So {"in":"body","pointer":"/price"},
// {"in":"query","pointer":"/limit"}, {"in":"path","pointer":"/id"},
// {"in":"header","pointer":"/X-Tenant"} (the name as the schema spells
// it), and "/name" for a missing required property (where it should be,
// not its parent). A name holding "~" or "/" is escaped as "~0" or "~1";
// a pointer longer than 256 bytes is cut back to its deepest ancestor
// that fits, never to a wrong value. Details are written by
// this package from the kind of failure ("must be >= 0"); they never quote
// the input, and never contain schema file names, keyword locations or the
// Go names of settings (a [ScanError]'s Limit field has those, for logs).
// A panic inside the schema library becomes a 400, not a crashed request.
// Each decision, allow or deny, and the field errors go to the request
// record for audit (a BodyLimit records only its refusals).
//
// # Wiring
//
// One Validator per route (or route group), innermost, after auth and
// authz so that unauthenticated callers cannot make us parse their bodies.
// With the standard library's ServeMux, path parameters are read with
// r.PathValue:
//
//	create := validate.MustNew(validate.Config{Body: itemSchema})
//	mux.Handle("POST /v1/items", create.Handler(http.HandlerFunc(createItem)))
//
// With chi, read path parameters with chi.URLParam:
//
//	v := validate.MustNew(validate.Config{
//		Path:      idSchema,
//		PathParam: func(r *http.Request, name string) string { return chi.URLParam(r, name) },
//	})
//	r.With(v.Handler).Get("/v1/items/{id}", getItem)
//
// With gorilla/mux, PathParam returns mux.Vars(r)[name], and
// r.Handle("/v1/items", v.Handler(h)).Methods("POST") wires it.
//
// The path parameters are checked before an object is looked up, so a
// malformed ID is the same 422 on every route: an authz Owner resolver,
// which runs before the route's Validator, checks them first with the
// same Validator's Check (which reads no body when the Validator has no
// Body schema) and returns its problem. The README's stack order lists
// the whole order of checks.
//
// A Validator reads the body only when it has a Body schema. Bound every
// other body with one [BodyLimit] in front of all the routes (innermost,
// before the router, so nothing reads a body first), and a tighter one or
// a Validator's MaxBodyBytes on a route that takes less:
//
//	limit, err := validate.NewBodyLimit(validate.BodyLimitConfig{MaxBytes: 64 << 10})
//	handler := policy.Handler(limit.Handler(mux)) // ServeMux
//	r.Use(authn.Handler, policy.Handler, limit.Handler) // chi
//
// gorilla/mux runs r.Use only on matched routes: there, also wrap its
// NotFoundHandler and MethodNotAllowedHandler.
//
// The handler reads what was decoded instead of parsing again. [Decode]
// returns the body as a Go type, filled from the values the schema
// checked, with no second parse of the bytes (and, in a benchmark, about
// a quarter faster than json.Unmarshal of RawBody in the handler):
//
//	create := validate.MustNew(validate.Config{Body: itemSchema, BodyType: reflect.TypeFor[NewItem]()})
//
//	func createItem(w http.ResponseWriter, r *http.Request) {
//		item, err := validate.Decode[NewItem](r.Context())
//		if err != nil {
//			apierrors.Write(w, r, err) // 422 for a value NewItem cannot hold; 500 for a wiring mistake
//			return
//		}
//		…
//	}
//
// The type must hold everything the schema allows (a field for every
// declared property, no property dropped); BodyType makes New check that
// at start-up, and refuse a value the type cannot hold (300 for an int8)
// with a 422 at its pointer before the handler runs. Without BodyType,
// Decode checks the type on first use.
//
// [Body] returns the body untyped (map[string]any, []any, string,
// json.Number, bool or nil), [Query], [PathParams] and [Headers] the
// coerced parameters as [Params], read with typed methods:
//
//	q, _ := validate.Query(r.Context())
//	limit, ok := q.Int64("limit") // ok is false only if absent
//
// Read numbers with [Int64] and [Float64] (which [Params] uses), never with
// json.Number's methods: JSON Schema's integer is any number with a zero
// fraction, so a body's integer property may hold 1.0 or 1e1, which
// json.Number.Int64 refuses, and 1e400 passes a number schema but
// json.Number.Float64 makes it an infinity. r.Body still reads the raw
// bytes, and [RawBody] returns them.
//
// # Schemas
//
// Schemas are JSON Schema, draft 2020-12 unless $schema says otherwise,
// compiled once in [New], with format assertions on (email, date-time,
// uuid, uri, ipv4, ipv6, hostname, …), including idn-hostname (IDNA2008,
// RFC 5890–5893: U-labels, canonical A-labels, the Bidi, joiner and
// CONTEXTO rules, no trailing dot) and idn-email (RFC 6531: UTF-8 in the
// local part, an idn-hostname or address literal after the "@"), which
// the schema library leaves unchecked. They may $ref files in Config.FS (an
// embed.FS, say); remote $ref loading is always off. New refuses, with an
// error wrapping [ErrInvalidConfig]: an empty enum, a pattern that Go's
// RE2 cannot compile, and, in strict mode (the default), an object schema
// in Body, Query or Response without "additionalProperties": false or
// "unevaluatedProperties": false.
//
// Package openapi enforces an OpenAPI document with this package's
// machinery (compiler, limits, problems, response hold-back): a handler
// behind it reads its values with [Body], [RawBody], [Decode], [Query],
// [PathParams] and [Headers] just as behind a Validator, and its refusals
// count in the same apishield.validate.failures counter.
//
// Query, path and header values are strings; each is coerced to the type
// its property declares, so that the schema checks the value the handler
// will read:
//
//   - an integer becomes a json.Number in plain decimal whatever JSON form
//     it was sent in (1e1, 10.0 and 1000e-2 are all "10"); a fraction is
//     refused by the schema, and an integer no int64 holds (1e19) with a
//     422 "must be an integer from …" at its pointer;
//   - a number becomes its nearest float64, written as encoding/json writes
//     it (1e-400 is "0", so exclusiveMinimum 0 refuses it); one beyond
//     float64's range (1e309) is refused with a 422 at its pointer;
//   - a boolean is exactly "true" or "false";
//   - an array-typed parameter collects every repeated value, each coerced
//     by the item type, and a refusal points at the element (in query,
//     at /ids/1).
//
// Only exactly one JSON number is a number: +5, 0x10, 010, .5, NaN,
// Infinity and a value with white space around it stay strings, as does a
// number past the Limits (MaxNumberLength, MaxExponent), so the schema
// reports the type they should have had. A type list that includes
// "string" keeps every value a string.
//
// # Defaults
//
//	MaxBodyBytes     1 MiB        Limits.MaxDepth         64
//	MaxErrors        20           Limits.MaxObjectKeys    1000
//	strict mode      on           Limits.MaxArrayLength   10000
//	ResponseMode     enforce      Limits.MaxStringLength  65536 bytes
//	MaxResponseBytes 8 MiB        Limits.MaxNumberLength  64 bytes
//	PathParam        r.PathValue  Limits.MaxExponent      400
//	                              Limits.MaxValues        10000
//	BodyLimitConfig.MaxBytes      1 MiB (DefaultMaxBodyBytes)
//
// # Monitoring
//
// validate reports through the OpenTelemetry API to Config.MeterProvider
// and BodyLimitConfig.MeterProvider (the global provider if nil), under the
// scope github.com/apishield/apishield/validate; nothing is recorded until
// the application installs an SDK. apishield.validate.failures counts
// refusals with attribute kind: body, query, path or header for the part
// that failed (an unsupported content type or malformed JSON is body),
// limit for a size, depth, count or number bound exceeded anywhere (413s
// included), and response for a response that broke its schema or size
// (in ResponseReport mode too). Check counts as Handler does; ValidateBody
// and Decode called alone do not count. Each failure also adds the event
// apishield.validate.decision, with its kind, to the request context's
// span when it is recording. Attributes never hold a value, pointer or
// path.
//
// # Security
//
// What it does not do: it checks the shape of input, not its meaning (an
// item ID that exists, a price that makes sense, who owns what: that is
// authz and the handler). Case variants are refused for every property
// name declared anywhere in the Body schema, not per object. The body is
// read whole into memory, up to MaxBodyBytes, before it is checked; set
// the limit to what the route needs. Non-JSON bodies (multipart, forms)
// are refused when a Body schema is set and are not checked otherwise.
//
// A BodyLimit bounds bodies; it does not check them. A body without
// Content-Length is read ahead into memory, up to MaxBytes, so that an
// oversized one is refused before the handler runs: a route that streams
// large uploads belongs outside it, with a limit of its own. Bodies on GET,
// HEAD and DELETE are bounded like any other, not refused: RFC 9110 gives
// them no defined meaning, but some APIs use them (a search with a JSON
// body), and an unread body is never parsed. Refusing them by method is
// the job of a perimeter layer in front, not of this package.
// Responses are checked only when 2xx with a JSON (or no) Content-Type,
// and in enforce mode they are held in memory until checked, so streaming
// responses should not be given a Response schema.
package validate
