package openapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/apishield/apishield/authz"
	"github.com/apishield/apishield/deprecation"
	apierrors "github.com/apishield/apishield/errors"
	"github.com/apishield/apishield/internal/bodylimit"
	"github.com/apishield/apishield/internal/oasroute"
	"github.com/apishield/apishield/internal/record"
	"github.com/apishield/apishield/internal/schemacheck"
	"github.com/apishield/apishield/ratelimit"
	"github.com/apishield/apishield/validate"
)

// pkg is the package name in the request record's decisions.
const pkg = "openapi"

// inlineParams is how many path parameters a match holds without
// allocating; a document with longer templates allocates their slice.
const inlineParams = 8

// An enforcer is the request side of a Contract: everything a request
// needs, built once from the document by newEnforcer.
type enforcer struct {
	router    *oasroute.Router
	ops       []*opEnforcer // parallel to doc.ops and the router's indexes
	maxParams int
	dep       *deprecation.Middleware // nil when no operation is deprecated
}

// An opEnforcer is one operation's prebuilt checks.
type opEnforcer struct {
	op    *operation
	name  string // op.name(), for Operation and the record
	route string // "GET /items/{id}": the record's route, deprecation's key
	// access is the rule the document's security becomes; nil for a public
	// operation. deny refuses everyone (Config.Undeclared is UndeclaredDeny).
	access authz.Rule
	deny   bool
	owner  authz.Rule             // x-apishield-owner's rule, or nil
	in     *inputs                // parameters (reqparams.go); nil when none are declared
	body   *bodyCheck             // request body (reqbody.go)
	resp   *schemacheck.Responses // responses (response.go); nil when not checked
	limit  *ratelimit.Limiter
	cost   int
	chk    *checks
}

// newEnforcer builds the request side from a loaded document: the router,
// one rule per operation from its security, the parameters' decoders, the
// body and response checks, the rate limiters and the deprecation notices.
// Every problem is reported, each naming its operation.
func newEnforcer(doc *document, cfg *Config) (*enforcer, error) {
	routes := make([]oasroute.Operation, len(doc.ops))
	for i, op := range doc.ops {
		routes[i] = oasroute.Operation{Method: op.method, Path: op.path}
	}
	rt, err := oasroute.New(doc.bases, routes)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidDocument, err)
	}
	e := &enforcer{router: rt, ops: make([]*opEnforcer, len(doc.ops)), maxParams: rt.MaxParams()}
	c, err := newChecks(cfg)
	if err != nil {
		return nil, err
	}
	var errs []error
	policies := map[string]deprecation.Policy{}
	for i, op := range doc.ops {
		o, err := newOpEnforcer(op, cfg, c)
		if err != nil {
			errs = append(errs, locate(opWhere(op), err))
			continue
		}
		e.ops[i] = o
		if op.deprecated {
			p := deprecationPolicy(op, cfg)
			// Checked one by one, so that an error names its operation.
			if _, err := deprecation.New(deprecation.Config{Routes: map[string]deprecation.Policy{o.route: p}}); err != nil {
				errs = append(errs, locate(opWhere(op), errorf("x-apishield-deprecation: %v", err)))
				continue
			}
			policies[o.route] = p
		}
	}
	if len(policies) > 0 {
		e.dep, err = deprecation.New(deprecation.Config{Routes: policies, Now: cfg.Now, MeterProvider: cfg.MeterProvider})
		if err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return nil, joinErrors(errs)
	}
	return e, nil
}

func newOpEnforcer(op *operation, cfg *Config, c *checks) (*opEnforcer, error) {
	o := &opEnforcer{op: op, name: op.name(), route: op.method + " " + op.path, cost: max(op.cost, 1), chk: c}
	var err error
	o.access, o.deny, err = accessRule(op, cfg.Undeclared)
	if err != nil {
		return nil, err
	}
	if op.owner != "" {
		o.owner = cfg.Rules[op.owner]
		if o.owner == nil {
			return nil, fmt.Errorf("%w: x-apishield-owner %q is not in Config.Rules", ErrInvalidConfig, op.owner)
		}
		if err := validRule(o.owner); err != nil {
			return nil, fmt.Errorf("%w: Config.Rules[%q]: %w", ErrInvalidConfig, op.owner, err)
		}
	}
	if op.rateLimit != "" {
		o.limit = cfg.RateLimiters[op.rateLimit]
		if o.limit == nil {
			return nil, fmt.Errorf("%w: x-apishield-rate-limit %q is not in Config.RateLimiters", ErrInvalidConfig, op.rateLimit)
		}
	}
	if o.in, err = newInputs(op); err != nil {
		return nil, err
	}
	if o.body, err = newBodyCheck(op, c); err != nil {
		return nil, err
	}
	if o.resp, err = newRespCheck(op, cfg, c); err != nil {
		return nil, err
	}
	return o, nil
}

// deprecationPolicy is package deprecation's Policy for a deprecated
// operation: its x-apishield-deprecation, else Config.DeprecatedSince.
// The braces of a path template in a link ("/v2/items/{id}", as documents
// write successors) are percent-encoded: the link is the same for every
// request (see package deprecation), and a header carries URI characters
// only.
func deprecationPolicy(op *operation, cfg *Config) deprecation.Policy {
	if d := op.deprecation; d != nil {
		return deprecation.Policy{Deprecated: d.since, Sunset: d.sunset,
			Docs: templateBraces.Replace(d.docs), Successor: templateBraces.Replace(d.successor)}
	}
	return deprecation.Policy{Deprecated: cfg.DeprecatedSince}
}

var templateBraces = strings.NewReplacer("{", "%7B", "}", "%7D")

// Handler returns middleware that enforces the contract on every request
// before next runs; see the package documentation for what it checks and
// in which order. Place it after auth's middleware, configured with
// AllowAnonymous so the document's public operations are reachable (the
// contract answers 401 itself, with auth's challenge, where the document
// requires a credential), and before the application's router.
func (c *Contract) Handler(next http.Handler) http.Handler {
	e := c.enf
	// Each operation's chain is built here, once: deprecation around
	// access control around the rate limiter around the inputs' checks.
	chains := make([]http.Handler, len(e.ops))
	for i, o := range e.ops {
		var h http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			o.serveInputs(w, r, next)
		})
		if o.limit != nil {
			h = o.limit.Handler(h)
		}
		h = o.accessHandler(h)
		if o.op.deprecated {
			h = e.dep.Handler(h)
		}
		chains[i] = h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.serve(chains, w, r)
	})
}

// serve matches the request to its operation and runs that operation's
// chain, or answers 404 or 405.
func (e *enforcer) serve(chains []http.Handler, w http.ResponseWriter, r *http.Request) {
	w, r, rec := record.Install(w, r)
	m := new(match)
	params := m.pathBuf[:0]
	if e.maxParams > inlineParams {
		params = make([]oasroute.Param, 0, e.maxParams)
	}
	// The router behind the contract routes the path too. Find compares
	// literals decoded, as ServeMux does ("/items/%61dmin" is
	// "/items/admin"); a router that compares the escaped text (chi) is
	// handed the canonical spelling, so that it reads the same operation.
	path := r.URL.EscapedPath()
	if cp := oasroute.Canonical(path); cp != path {
		u := *r.URL
		u.RawPath = cp
		r = r.WithContext(r.Context())
		r.URL = &u
	}
	i, ps, allow, ok := e.router.Find(r.Method, path, params)
	if !ok {
		if allow == nil {
			rec.AddDecision(record.Decision{Package: pkg, Outcome: record.Deny, Reason: apierrors.ReasonNotFound, Rule: "route"})
			apierrors.NotFound(w, r)
			return
		}
		w.Header().Set("Allow", strings.Join(allow, ", "))
		rec.AddDecision(record.Decision{Package: pkg, Outcome: record.Deny, Reason: apierrors.ReasonMethodNotAllowed, Rule: "route"})
		apierrors.MethodNotAllowed(w, r)
		return
	}
	if sp, ok := slashesDecoded(path); ok {
		// gorilla/mux routes the decoded path by default, where "%2F" is a
		// "/": refuse a path that then names another operation.
		if j, _, _, ok := e.router.Find(r.Method, sp, nil); ok && j != i {
			rec.AddDecision(record.Decision{Package: pkg, Outcome: record.Deny, Reason: apierrors.ReasonMalformedRequest, Rule: "route"})
			apierrors.Write(w, r, problemEncodedSlash)
			return
		}
	}
	o := e.ops[i]
	rec.SetRoute(o.route)
	m.op, m.path = o, ps
	// One copy of the request for the whole chain: the match, and the
	// carrier validate's accessors read, filled once the inputs pass.
	ctx := context.WithValue(r.Context(), matchKey{}, m)
	chains[i].ServeHTTP(w, r.WithContext(schemacheck.NewContext(ctx, &m.input)))
}

// problemEncodedSlash refuses a path whose encoded slashes, decoded, make
// it another operation's: routers disagree on which it is.
var problemEncodedSlash = apierrors.New(http.StatusBadRequest, apierrors.ReasonMalformedRequest,
	"The path names another operation once its encoded slashes are decoded.")

// slashesDecoded returns the escaped path p with every "%2F" decoded, and
// whether it held any.
func slashesDecoded(p string) (string, bool) {
	i := strings.Index(p, "%2")
	if i < 0 {
		return p, false
	}
	var b strings.Builder
	found := false
	for j := 0; j < len(p); j++ {
		if p[j] == '%' && j+2 < len(p) && p[j+1] == '2' && (p[j+2] == 'F' || p[j+2] == 'f') {
			b.WriteByte('/')
			j += 2
			found = true
			continue
		}
		b.WriteByte(p[j])
	}
	return b.String(), found
}

// A match is what the context carries for a matched request: the
// operation, its raw path parameters, and what was checked.
type match struct {
	op      *opEnforcer
	path    []oasroute.Param
	pathBuf [inlineParams]oasroute.Param
	cookies map[string]any
	input   schemacheck.Input // what validate.Query, Body... read
	rd      bodylimit.Reader  // r.Body for the handler, after a body was read
}

type matchKey struct{}

func matchFrom(ctx context.Context) *match {
	m, _ := ctx.Value(matchKey{}).(*match)
	return m
}

// accessHandler is the operation's security: its rule, decided by
// authz.Check so that 401s and 403s are authz's own.
func (o *opEnforcer) accessHandler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if o.deny {
			if rec := record.From(r.Context()); rec != nil {
				rec.AddDecision(record.Decision{Package: pkg, Outcome: record.Deny, Reason: apierrors.ReasonForbidden, Rule: "undeclared"})
			}
			apierrors.Write(w, r, problemUndeclared)
			return
		}
		if o.access != nil {
			if err := authz.Check(r, o.access); err != nil {
				apierrors.Write(w, r, err)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// problemUndeclared refuses an operation without declared security under
// UndeclaredDeny.
var problemUndeclared = apierrors.New(http.StatusForbidden, apierrors.ReasonForbidden,
	"The operation declares no security and is not served.")

// serveInputs checks the parameters, the owner rule and the body, and
// runs next with the typed values in the context.
func (o *opEnforcer) serveInputs(w http.ResponseWriter, r *http.Request, next http.Handler) {
	rec := record.From(r.Context())
	m := matchFrom(r.Context())
	if m == nil || rec == nil {
		// Only serve puts the chain in front of a request, with both.
		apierrors.Write(w, r, apierrors.Internal(errNoMatch))
		return
	}
	d, stage, err := o.in.check(r, m, o.chk)
	if err != nil {
		o.refuse(w, r, rec, stage, err)
		return
	}
	// The parameters are readable from here on: the owner rule's
	// resolver reads the checked path values with validate.PathParams,
	// as the handler does.
	m.cookies = d.cookie
	m.input = schemacheck.Input{Query: d.query, Path: d.path, Header: d.header}
	if o.owner != nil {
		if err := authz.Check(r, o.owner); err != nil {
			apierrors.Write(w, r, err)
			return
		}
	}
	r, err = o.body.check(w, r, o.chk, &d)
	if err != nil {
		o.refuse(w, r, rec, schemacheck.KindBody, err)
		return
	}
	rec.AddDecision(record.Decision{Package: pkg, Outcome: record.Allow, Rule: o.name})
	m.input.Raw, m.input.Body, m.input.HasBody, m.input.Check = d.raw, d.body, d.hasBody, d.json
	if d.hasBody {
		m.rd.Reset(d.raw)
		r.Body = &m.rd
	}
	if o.resp != nil {
		o.resp.Serve(w, r, rec, next)
		return
	}
	next.ServeHTTP(w, r)
}

// errNoMatch is the cause of a 500 for a chain run without a match.
var errNoMatch = errors.New("openapi: an operation's checks ran on a request the contract did not match")

// refuse counts a refusal of the request's inputs, by the stage that
// refused it, then records and writes it as validate does.
func (o *opEnforcer) refuse(w http.ResponseWriter, r *http.Request, rec *record.Record, stage schemacheck.Kind, err error) {
	schemacheck.Deny(w, r, rec, pkg, o.chk.fail(r.Context(), stage, err))
}

// Operation returns the name of the operation the contract matched r to:
// its operationId, or "METHOD /path" as the document spells the path when
// it has none. ok is false for a request the contract's Handler has not
// matched.
func Operation(r *http.Request) (name string, ok bool) {
	if m := matchFrom(r.Context()); m != nil {
		return m.op.name, true
	}
	return "", false
}

// Cost returns the rate-limit cost of the operation the contract matched r
// to: its x-apishield-cost, or 1 when it has none or r was not matched.
// It fits ratelimit.Config.Cost for the limiters x-apishield-rate-limit
// names.
func Cost(r *http.Request) int {
	if m := matchFrom(r.Context()); m != nil {
		return m.op.cost
	}
	return 1
}

// Cookies returns the cookie parameters of the operation the contract
// matched the request to, decoded and checked like the other parameters
// (see validate.Params; validate.Query, PathParams and Headers return the
// others). ok is false when the operation declares no cookie parameter or
// the contract has not passed the request.
func Cookies(ctx context.Context) (cookies validate.Params, ok bool) {
	if m := matchFrom(ctx); m != nil && m.cookies != nil {
		return m.cookies, true
	}
	return nil, false
}

// opWhere names an operation in a load error as the loader does:
// "operation listItems (GET /items)", or "operation GET /items".
func opWhere(op *operation) string {
	if op.id != "" {
		return "operation " + op.id + " (" + op.method + " " + op.path + ")"
	}
	return "operation " + op.method + " " + op.path
}

// locate names where an error of the document or the Config is, after its
// kind, as the loader's problems read: "openapi: invalid document:
// operation listPets (GET /pets): …". The error still wraps what err wraps.
func locate(where string, err error) error {
	for _, kind := range []error{ErrInvalidDocument, ErrInvalidConfig} {
		if msg, ok := strings.CutPrefix(err.Error(), kind.Error()+": "); ok {
			return &locatedError{msg: kind.Error() + ": " + where + ": " + msg, err: err}
		}
	}
	return fmt.Errorf("%s: %w", where, err)
}

// A locatedError is an error with its location moved into its message.
type locatedError struct {
	msg string
	err error
}

func (e *locatedError) Error() string { return e.msg }
func (e *locatedError) Unwrap() error { return e.err }

// errorf returns an error about the document, wrapping ErrInvalidDocument.
func errorf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidDocument}, args...)...)
}

// joinErrors joins the problems of a document into one error.
func joinErrors(errs []error) error { return errors.Join(errs...) }
