// Package errors is apishield's one error envelope: RFC 9457 problem details
// that every apishield package writes, and that applications can write too.
//
// The package shadows the standard library's errors. Inside apishield, and in
// applications that use both, import it as apierrors (the precedent is
// k8s.io/apimachinery/pkg/api/errors):
//
//	import apierrors "github.com/apishield/apishield/errors"
//
// # What it protects against
//
// Information leaks through errors. A client sees a status, a title, a stable
// reason code, a detail for 4xx statuses, and a request ID; never an error's
// text, a stack trace, SQL, or a file path. [Write] turns any error that is
// not a [Problem] into a generic 500 and sends its text to the log only,
// under the same request ID, so support can join the two.
//
// # The envelope
//
//	HTTP/1.1 401 Unauthorized
//	Content-Type: application/problem+json
//	Cache-Control: no-store
//	X-Content-Type-Options: nosniff
//	X-Request-Id: 01JD8Y2C6T0W2B6M3Z5QH7R9KX
//	WWW-Authenticate: Bearer error="invalid_token"
//
//	{"type":"tag:apishield,2026:token_expired","title":"Unauthorized","status":401,
//	 "detail":"The access token is expired.","instance":"/v1/items",
//	 "reason":"token_expired","request_id":"01JD8Y2C6T0W2B6M3Z5QH7R9KX"}
//
// A 422 lists what failed in "errors", one member per failing value: "in"
// says where the value was (body, query, path, header or cookie, as in
// OpenAPI), "pointer" is an RFC 6901 JSON Pointer to it within that place,
// "detail" what is wrong without quoting it, "keyword" the schema keyword:
//
//	"errors":[{"in":"body","pointer":"/price","detail":"must be >= 0","keyword":"minimum"},
//	          {"in":"query","pointer":"/limit","detail":"must be <= 100","keyword":"maximum"}]
//
// This is the shape of RFC 9457 §3's own example ("pointer" and "detail"
// per error), with the location in a member of its own rather than inside
// the pointer, so every pointer parses as a JSON Pointer; see [FieldError].
//
// The body is application/json instead when the client's Accept header
// excludes application/problem+json. [SimpleJSON] renders
// {"error","code","message","request_id"} for teams that want that shape, and
// any [Renderer] can be plugged in through [Config].
//
// # Reasons
//
// Reason codes are stable snake_case strings from one registry; other
// packages add codes only here. The type URI is the configured prefix plus
// the reason, unless the problem is of a type another specification
// defines (Problem.Type, set with [Problem.WithType] along with the members
// that type defines): ratelimit's 429 is draft-ietf-httpapi-ratelimit-headers'
// quota-exceeded type, with its violated-policies member. The reason is
// sent either way.
//
//	reason                  status  title
//	unauthenticated         401     Unauthorized
//	invalid_token           401     Unauthorized
//	token_expired           401     Unauthorized
//	invalid_dpop_proof      401     Unauthorized
//	use_dpop_nonce          401     Unauthorized
//	step_up_required        401     Unauthorized
//	insufficient_scope      403     Forbidden
//	forbidden               403     Forbidden
//	malformed_request       400     Bad Request
//	validation_failed       422     Unprocessable Content
//	payload_too_large       413     Content Too Large
//	unsupported_media_type  415     Unsupported Media Type
//	not_found               404     Not Found
//	method_not_allowed      405     Method Not Allowed
//	conflict                409     Conflict
//	origin_not_allowed      403     Forbidden
//	host_not_allowed        421     Misdirected Request
//	address_not_allowed     403     Forbidden
//	uri_too_long            414     URI Too Long
//	headers_too_large       431     Request Header Fields Too Large
//	gone                    410     Gone
//	rate_limited            429     Too Many Requests
//	overloaded              503     Service Unavailable
//	upstream_unavailable    502     Bad Gateway
//	internal                500     Internal Server Error
//
// # Wiring
//
// [Recover] (or [Responder.Handler] for a custom prefix, renderer or logger)
// is the outermost middleware. It gives each request an ID, makes [Write]
// use its settings, and turns panics into 500 problems.
//
// With the standard library's ServeMux, wrap the mux with [Mux] so its own
// 404 and 405 replies become problems:
//
//	mux := http.NewServeMux()
//	mux.HandleFunc("GET /v1/items", listItems)
//	http.ListenAndServe(addr, apierrors.Recover(apierrors.Mux(mux)))
//
// With chi:
//
//	r := chi.NewRouter()
//	r.Use(apierrors.Recover)
//	r.NotFound(apierrors.NotFound)
//	r.MethodNotAllowed(apierrors.MethodNotAllowed)
//
// With gorilla/mux:
//
//	r := mux.NewRouter()
//	r.Use(apierrors.Recover)
//	r.NotFoundHandler = apierrors.Recover(http.HandlerFunc(apierrors.NotFound))
//	r.MethodNotAllowedHandler = apierrors.Recover(http.HandlerFunc(apierrors.MethodNotAllowed))
//
// (gorilla/mux runs its middleware only on matched routes, hence the wrap.)
//
// In handlers, return problems through Write:
//
//	apierrors.Write(w, r, apierrors.New(http.StatusNotFound, apierrors.ReasonNotFound, "No item has this ID."))
//
// # Request IDs
//
// Every response carries X-Request-ID: by default a new ULID made from
// crypto/rand for every request. An incoming X-Request-ID is kept as the
// request's ID only if the connection comes from one of
// Config.TrustedProxies (the socket peer is inside one of them) and it is 1
// to 64 characters of [A-Za-z0-9._-]. From anyone else it is the client's
// word: a client that chose its own ID could forge or collide IDs in the
// audit trail. The request then gets a new ID anyway, and an acceptable
// incoming one is recorded apart, so audit logs it as client_request_id,
// never as the request ID. The ID is in every problem body and in the
// request record that audit logs.
//
//	rs, err := apierrors.NewResponder(apierrors.Config{
//		TrustedProxies: proxies, // our load balancers, which set X-Request-ID
//	})
//
// # Security
//
// The package does not scrub Detail: a detail is sent to the client as
// written, so it must never echo secrets or raw input. It does not decide
// what is a client error: code that returns an unknown error gets a 500,
// which is safe but may be wrong. A panic after the response has started
// aborts the connection; the client sees a broken response, not a problem.
// Headers a Problem carries are copied to the response as they are.
// Config.TrustedProxies must list only proxies that overwrite X-Request-ID:
// one that passes the client's header through lets the client choose the
// request ID again, and the package cannot tell.
package errors
