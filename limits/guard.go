package limits

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"

	apierrors "github.com/apishield/apishield/errors"
	"github.com/apishield/apishield/internal/bodylimit"
	"github.com/apishield/apishield/internal/record"
	"github.com/apishield/apishield/internal/routetable"
	"github.com/apishield/apishield/internal/telemetry"
	"github.com/apishield/apishield/route"
)

// Sentinel errors: the cause of each problem [Guard.Check] and
// [Guard.Bound] return, for errors.Is.
var (
	// ErrMethodNotAllowed: the route does not allow the method (405).
	ErrMethodNotAllowed = errors.New("limits: method not allowed")
	// ErrPathTooLong: the path is over MaxPathBytes (414).
	ErrPathTooLong = errors.New("limits: path too long")
	// ErrQueryTooLong: the query is over MaxQueryBytes (414).
	ErrQueryTooLong = errors.New("limits: query too long")
	// ErrTooManyParams: the query has more than MaxQueryParams (414).
	ErrTooManyParams = errors.New("limits: too many query parameters")
	// ErrTooManyHeaders: more than MaxHeaders header fields (431).
	ErrTooManyHeaders = errors.New("limits: too many header fields")
	// ErrHeadersTooLarge: the header fields are over MaxHeaderBytes (431).
	ErrHeadersTooLarge = errors.New("limits: header fields too large")
	// ErrHeaderValueTooLong: a value is over MaxHeaderValueBytes (431).
	ErrHeaderValueTooLong = errors.New("limits: header value too long")
	// ErrBodyNotAllowed: a body on GET, HEAD, DELETE, CONNECT or TRACE
	// without BodyOnAnyMethod (400).
	ErrBodyNotAllowed = errors.New("limits: body on a method without one")
	// ErrUnsupportedMediaType: the body's Content-Type is missing,
	// malformed, repeated or not in ContentTypes (415).
	ErrUnsupportedMediaType = errors.New("limits: content type not allowed")
	// ErrContentEncoding: the body's Content-Encoding is not identity and
	// not in ContentEncodings (415).
	ErrContentEncoding = errors.New("limits: content coding not allowed")
	// ErrBodyTooLarge: the body is over MaxBodyBytes (413).
	ErrBodyTooLarge = errors.New("limits: body too large")
)

// rules names the Rules field behind each sentinel, for the audit record.
var rules = []struct {
	err  error
	name string
}{
	{ErrMethodNotAllowed, "Methods"},
	{ErrPathTooLong, "MaxPathBytes"},
	{ErrQueryTooLong, "MaxQueryBytes"},
	{ErrTooManyParams, "MaxQueryParams"},
	{ErrTooManyHeaders, "MaxHeaders"},
	{ErrHeadersTooLarge, "MaxHeaderBytes"},
	{ErrHeaderValueTooLong, "MaxHeaderValueBytes"},
	{ErrBodyNotAllowed, "BodyOnAnyMethod"},
	{ErrUnsupportedMediaType, "ContentTypes"},
	{ErrContentEncoding, "ContentEncodings"},
	{ErrBodyTooLarge, "MaxBodyBytes"},
}

// A Guard applies request limits, per route, before a request reaches
// authentication or the handler. It is read-only after New and safe for
// concurrent use.
type Guard struct {
	def    *compiled
	routes routetable.Table[*compiled]

	decisions *telemetry.Counter
}

// New checks cfg and returns a Guard. Errors wrap [ErrInvalidConfig].
func New(cfg Config) (*Guard, error) {
	if err := cfg.Default.check("Default"); err != nil {
		return nil, err
	}
	def := cfg.Default.withDefaults(packageDefaults())
	c, err := def.compile("Default")
	if err != nil {
		return nil, err
	}
	c.name = "default"
	routes, err := buildTable(cfg, def)
	if err != nil {
		return nil, err
	}
	return &Guard{def: c, routes: routes, decisions: newDecisionCounter(cfg.MeterProvider)}, nil
}

// MustNew is New for start-up code: it panics on an invalid config.
func MustNew(cfg Config) *Guard {
	v, err := New(cfg)
	if err != nil {
		panic(err)
	}
	return v
}

// rules returns the compiled rules for r's route; rec is r's record, if
// the caller has it at hand.
func (g *Guard) rules(r *http.Request, rec *record.Record) *compiled {
	if g.routes.Len() == 0 {
		return g.def
	}
	pattern := ""
	if rec != nil {
		pattern = rec.Route()
	}
	if pattern == "" {
		pattern = route.Pattern(r)
	}
	if c, ok := g.routes.Lookup(pattern); ok {
		return c
	}
	return g.def
}

// Handler refuses a request that breaks its route's rules with a problem
// written through apierrors.Write (405 with Allow, 414, 431, 400, 415 or
// 413; see [Guard.Bound]), and otherwise passes it to next with its body
// bounded. Each request's decision is recorded for audit.
//
// Put it outside authentication, so a request is measured before any
// cryptography runs, and inside route.Mux / route.Chi, so per-route rules
// see the route's pattern.
func (g *Guard) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w, r, rec := record.Install(w, r)
		c := g.rules(r, rec)
		r2, err := g.bound(w, r, c)
		if err != nil {
			p := asProblem(err)
			rec.AddDecision(record.Decision{Package: "limits", Outcome: record.Deny, Reason: p.Reason, Rule: ruleOf(err)})
			g.decisions.Decision(r.Context(), denyReason(p.Reason), decisionEvent)
			apierrors.Write(w, r, p)
			return
		}
		rec.AddDecision(record.Decision{Package: "limits", Outcome: record.Allow, Rule: c.name})
		g.decisions.Count(allowIndex)
		next.ServeHTTP(w, r2)
	})
}

// Check reports whether r keeps its route's rules, reading nothing: its
// method, path, query, header fields, whether it may carry a body, its
// Content-Encoding and Content-Type, and its Content-Length. The error is a *apierrors.Problem
// whose cause is one of the Err… sentinels. A body of unknown length
// passes Check; [Guard.Bound] bounds it.
//
// The route is route.Pattern(r); a request without one, or whose route
// Config.Routes does not name, is checked against Config.Default.
func (g *Guard) Check(r *http.Request) error {
	if p := check(r, g.rules(r, nil)); p != nil {
		return p
	}
	return nil
}

// Bound is [Guard.Check] followed by bounding r's body to the route's
// MaxBodyBytes: it returns the request to pass on, or an error. A body
// with a Content-Length within the limit stays r's and r is returned:
// net/http's server already stops it at its Content-Length, and a request
// that did not come through one (no http.ServerContextKey in its context)
// gets r.Body replaced with a reader that fails past the limit (as the
// r.Body = http.MaxBytesReader(…) idiom does). A body of unknown length
// is read ahead into memory, refused with 413 past the limit, and handed
// on in a copy of r; with the route's Stream set, the copy's body is
// bounded as it is read instead. A body that cannot be read is a 400. w is used only to tell the server to close the connection after an
// oversized body; it may be nil.
//
// Bound is the decision behind Handler, for callers outside an HTTP stack.
func (g *Guard) Bound(w http.ResponseWriter, r *http.Request) (*http.Request, error) {
	return g.bound(w, r, g.rules(r, nil))
}

func (g *Guard) bound(w http.ResponseWriter, r *http.Request, c *compiled) (*http.Request, error) {
	if p := check(r, c); p != nil {
		return nil, p
	}
	var r2 *http.Request
	var err error
	switch {
	case r.Body == nil || r.Body == http.NoBody:
		return r, nil
	case r.ContentLength >= 0:
		// Within the limit, since check refused more. net/http's servers
		// (HTTP/1, HTTP/2, h2c) deliver no more than Content-Length and
		// fail the read past it; a request that did not come through one
		// (in-process, or another server) is capped here.
		if r.Context().Value(http.ServerContextKey) == nil {
			bodylimit.Cap(r, c.maxBody)
		}
		return r, nil
	case c.stream:
		r2, err = bodylimit.Stream(w, r, c.maxBody)
	default:
		r2, err = bodylimit.Check(w, r, c.maxBody)
	}
	if err != nil {
		if p := asProblem(err); p.Status == http.StatusRequestEntityTooLarge {
			cause := error(ErrBodyTooLarge)
			if inner := p.Unwrap(); inner != nil {
				cause = fmt.Errorf("%w: %w", ErrBodyTooLarge, inner)
			}
			return nil, p.WithCause(cause)
		}
		return nil, err
	}
	return r2, nil
}

// check applies c to r, reading nothing.
func check(r *http.Request, c *compiled) *apierrors.Problem {
	if !c.allows(r.Method) {
		return deny(http.StatusMethodNotAllowed, apierrors.ReasonMethodNotAllowed,
			"The method is not allowed for this route.", ErrMethodNotAllowed).WithHeader("Allow", c.allow)
	}
	if p := checkTarget(r, c); p != nil {
		return p
	}
	contentType, contentEncoding, p := checkHeaders(r, c)
	if p != nil {
		return p
	}
	if !hasBody(r) {
		return nil
	}
	if !c.bodyOnAnyMethod && bodyless(r.Method) {
		return deny(http.StatusBadRequest, apierrors.ReasonMalformedRequest,
			"A "+safeMethod(r.Method)+" request must not have a body.", ErrBodyNotAllowed)
	}
	if contentEncoding != nil {
		if p := checkContentEncoding(contentEncoding, c); p != nil {
			return p
		}
	}
	if c.types != nil {
		if p := checkContentType(contentType, c.types); p != nil {
			return p
		}
	}
	if r.ContentLength > c.maxBody {
		return bodylimit.TooLarge(c.maxBody).WithCause(ErrBodyTooLarge)
	}
	return nil
}

// allows reports whether the route allows method.
func (c *compiled) allows(method string) bool {
	for _, m := range c.methods {
		if m == method {
			return true
		}
	}
	return false
}

// hasBody reports whether r carries a body: a positive Content-Length, or
// a body of unknown length (chunked, or HTTP/2 DATA without
// content-length). Content-Length: 0 is no body.
func hasBody(r *http.Request) bool {
	return r.ContentLength > 0 || (r.ContentLength < 0 && r.Body != nil && r.Body != http.NoBody)
}

// bodyless reports whether RFC 9110 gives a body of method no meaning.
func bodyless(method string) bool {
	switch method {
	case "GET", "HEAD", "DELETE", "CONNECT", "TRACE":
		return true
	}
	return false
}

// safeMethod returns method for a detail message: it is one the route
// allows, so a token, but never echo more than a short one.
func safeMethod(m string) string {
	if len(m) > 16 {
		return "this"
	}
	return m
}

func deny(status int, reason, detail string, cause error) *apierrors.Problem {
	return apierrors.New(status, reason, detail).WithCause(cause)
}

func tooLong(what string, max int, cause error) *apierrors.Problem {
	return deny(http.StatusRequestURITooLong, apierrors.ReasonURITooLong,
		"The "+what+" is longer than the limit of "+strconv.Itoa(max)+" bytes.", cause)
}

// asProblem returns the *apierrors.Problem in err's chain; bodylimit and
// check return nothing else.
func asProblem(err error) *apierrors.Problem {
	var p *apierrors.Problem
	if errors.As(err, &p) {
		return p
	}
	return apierrors.New(http.StatusBadRequest, apierrors.ReasonMalformedRequest,
		"The request could not be read.").WithCause(err)
}

// ruleOf names the Rules field that refused err, or "" for a body that
// could not be read.
func ruleOf(err error) string {
	for _, r := range rules {
		if errors.Is(err, r.err) {
			return r.name
		}
	}
	return ""
}
