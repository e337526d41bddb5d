package cors

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"go.opentelemetry.io/otel/metric"

	apierrors "github.com/apishield/apishield/errors"
	"github.com/apishield/apishield/internal/routetable"
	"github.com/apishield/apishield/internal/telemetry"
	"github.com/apishield/apishield/route"
)

// ErrInvalidConfig is wrapped by every error New returns.
var ErrInvalidConfig = errors.New("cors: invalid config")

// Sentinel causes of a refusal. [Middleware.Check] returns an
// *apierrors.Problem (403 origin_not_allowed) that wraps one of them, so
// callers tell them apart with errors.Is.
var (
	// ErrOriginNotAllowed: the Origin is not allowed for the route, is
	// "null", is not spelled as a browser spells origins, or the request
	// has more than one.
	ErrOriginNotAllowed = errors.New("cors: origin not allowed")
	// ErrMethodNotAllowed: the method (or the preflight's requested
	// method) is not allowed for cross-origin requests on the route.
	ErrMethodNotAllowed = errors.New("cors: method not allowed")
	// ErrHeadersNotAllowed: the preflight asks for a request header that
	// is not allowed, or its header list is malformed or too long.
	ErrHeadersNotAllowed = errors.New("cors: request headers not allowed")
	// ErrPrivateNetworkNotAllowed: the preflight asks for Private Network
	// Access and the policy does not allow it.
	ErrPrivateNetworkNotAllowed = errors.New("cors: private network access not allowed")
)

// Config configures a [Middleware]. It is copied by New; changing it
// afterwards has no effect.
type Config struct {
	// Policy is the default policy: for every route without an entry in
	// Routes, and for requests no route matches. Its zero value allows no
	// cross-origin request.
	Policy

	// Routes gives routes their own policy, keyed by route pattern as
	// package route reports it: "PUT /v1/items/{id}" for one method,
	// "/v1/items/{id}" for every method of it. A route's policy replaces the
	// default whole; fields are not merged. Nil (the zero value): every
	// route has the default policy.
	Routes map[string]Policy

	// Route is the route middleware the application put outermost
	// (route.Mux(mux), route.Chi(r) or a route.Func). Nil (the zero
	// value) is allowed only without Routes, and it is ignored then. A
	// preflight is an OPTIONS request, which the router would not route
	// to "PUT /v1/items/{id}", so the middleware asks Route for the
	// pattern of the request the browser is about to send (the path, with
	// the preflight's Access-Control-Request-Method) and answers with
	// that route's policy.
	Route func(http.Handler) http.Handler

	// MeterProvider receives the Handler's decisions, counted in
	// apishield.cors.decisions (see the package documentation). If nil,
	// the global provider of go.opentelemetry.io/otel when New runs,
	// which does nothing until the application installs an SDK.
	MeterProvider metric.MeterProvider
}

// Middleware answers CORS preflights and checks cross-origin requests. It
// is safe for concurrent use.
type Middleware struct {
	def       *policy
	routes    routetable.Table[*policy]
	hasRoutes bool
	finder    http.Handler // Route around a handler that reports the pattern
	decisions *telemetry.Counter
}

// New checks cfg once and returns the middleware. Errors wrap
// [ErrInvalidConfig].
func New(cfg Config) (*Middleware, error) {
	def, err := compile(cfg.Policy, "default policy")
	if err != nil {
		return nil, err
	}
	m := &Middleware{def: def, decisions: newDecisionCounter(cfg.MeterProvider)}
	if len(cfg.Routes) == 0 {
		return m, nil
	}
	if cfg.Route == nil {
		return nil, fmt.Errorf("%w: Routes needs Route, the route middleware in front of the stack, so that preflights get their route's policy", ErrInvalidConfig)
	}
	compiled := make(map[string]*policy, len(cfg.Routes))
	for k, p := range cfg.Routes {
		c, err := compile(p, fmt.Sprintf("route %q", k))
		if err != nil {
			return nil, err
		}
		compiled[k] = c
	}
	if m.routes, err = routetable.New(compiled); err != nil {
		return nil, fmt.Errorf("%w: Routes: %v", ErrInvalidConfig, err)
	}
	m.hasRoutes = true
	m.finder = cfg.Route(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		if p, ok := r.Context().Value(patternKey{}).(*string); ok {
			*p = route.Pattern(r)
		}
	}))
	if m.finder == nil {
		return nil, fmt.Errorf("%w: Route returned a nil handler", ErrInvalidConfig)
	}
	return m, nil
}

// MustNew is New for start-up code: it panics on an invalid config.
func MustNew(cfg Config) *Middleware {
	m, err := New(cfg)
	if err != nil {
		panic(err)
	}
	return m
}

type patternKey struct{}

// kind is what a request is to CORS.
type kind uint8

const (
	notCORS    kind = iota // no Origin header
	sameOrigin             // an Origin, but the API's own (see sameOriginRequest)
	actual                 // a cross-origin request
	preflight              // OPTIONS with Access-Control-Request-Method
)

// verdict is the decision on one request.
type verdict struct {
	kind kind
	p    *policy
	acao []string
	rule string // the origin rule that allowed, or what refused
	err  error  // nil if allowed
}

// Check decides r without writing anything, so it also serves outside
// HTTP middleware (a WebSocket upgrader's CheckOrigin, say). It returns nil
// when r may proceed: r has no Origin (not a CORS request), comes from the
// API's own origin, or is a cross-origin request or preflight the route's
// policy allows. Otherwise it returns an *apierrors.Problem, 403
// origin_not_allowed, wrapping [ErrOriginNotAllowed],
// [ErrMethodNotAllowed], [ErrHeadersNotAllowed] or
// [ErrPrivateNetworkNotAllowed].
func (m *Middleware) Check(r *http.Request) error {
	origins, ok := r.Header["Origin"]
	if !ok {
		return nil
	}
	return m.decide(r, origins).err
}

// decide decides a request with the Origin header values origins.
func (m *Middleware) decide(r *http.Request, origins []string) verdict {
	isPreflight := r.Method == http.MethodOptions && r.Header["Access-Control-Request-Method"] != nil
	k := actual
	if isPreflight {
		k = preflight
	}
	if len(origins) != 1 {
		return refuse(k, "origin", ErrOriginNotAllowed, "The request has more than one Origin header.")
	}
	s := origins[0]
	if len(s) > maxOriginLen {
		return refuse(k, "origin", ErrOriginNotAllowed, "The request's Origin is not allowed to call this API.")
	}
	if s == "null" && fetchedSameOrigin(r) {
		// A form POST from a page with Referrer-Policy: no-referrer says
		// "null" even to its own origin; Sec-Fetch-Site tells it apart
		// from a sandboxed frame's request, which is cross-site.
		return verdict{kind: sameOrigin, rule: "same-origin"}
	}

	method := r.Method
	if isPreflight {
		ms := r.Header["Access-Control-Request-Method"]
		if len(ms) != 1 || len(ms[0]) > maxMethodLen || !validToken(ms[0]) {
			return refuse(k, "method", ErrMethodNotAllowed, "The preflight's Access-Control-Request-Method is malformed.")
		}
		method = ms[0]
	}
	p := m.def
	if m.hasRoutes {
		// The router sees the request only if its Origin is well formed.
		if _, ok := parseOrigin(s); !ok {
			return refuse(k, "origin", ErrOriginNotAllowed, "The request's Origin is not allowed to call this API.")
		}
		pattern := ""
		if isPreflight {
			pattern = m.patternFor(r, method)
		} else {
			pattern = route.Pattern(r)
		}
		if rp, ok := m.routes.Lookup(pattern); ok {
			p = rp
		}
	}

	// An exact or wildcard hit needs no parsing: the config holds origins
	// as browsers spell them.
	acao, rule, ok := p.matchExact(s)
	if !ok {
		acao, rule, ok = p.matchWildcard(origins)
	}
	if !ok {
		o, valid := parseOrigin(s)
		switch {
		case !valid:
			return refuse(k, "origin", ErrOriginNotAllowed, "The request's Origin is not allowed to call this API.")
		case p.anyOrigin && !p.credentials: // New refuses * with credentials; never send it
			acao, rule = acaoAny, "*"
		case sameOriginRequest(r, o):
			return verdict{kind: sameOrigin, rule: "same-origin"}
		default:
			return refuse(k, "origin", ErrOriginNotAllowed, "The request's Origin is not allowed to call this API.")
		}
	}
	if !p.allowsMethod(method) {
		if isPreflight {
			return refuse(k, "method", ErrMethodNotAllowed, "The preflight's method is not allowed for cross-origin requests.")
		}
		return refuse(k, "method", ErrMethodNotAllowed, "The method is not allowed for cross-origin requests.")
	}
	if isPreflight {
		if hs := r.Header["Access-Control-Request-Headers"]; hs != nil && !p.allowsHeaders(hs) {
			return refuse(k, "headers", ErrHeadersNotAllowed, "The preflight asks for request headers that are not allowed.")
		}
		if wantsPrivateNetwork(r) && !p.privateNetwork {
			return refuse(k, "private-network", ErrPrivateNetworkNotAllowed, "Private network access is not allowed.")
		}
	}
	return verdict{kind: k, p: p, acao: acao, rule: rule}
}

func refuse(k kind, rule string, cause error, detail string) verdict {
	return verdict{kind: k, rule: rule,
		err: apierrors.New(http.StatusForbidden, apierrors.ReasonOriginNotAllowed, detail).WithCause(cause)}
}

func wantsPrivateNetwork(r *http.Request) bool {
	v := r.Header["Access-Control-Request-Private-Network"]
	return len(v) > 0 && strings.EqualFold(v[0], "true")
}

// patternFor returns the route pattern of the request a preflight
// announces: r's path and host, with method. It runs the Route middleware
// on a copy of r in a context of its own, so the request's record keeps
// the preflight's own route.
func (m *Middleware) patternFor(r *http.Request, method string) string {
	var pattern string
	r2 := r.WithContext(context.WithValue(context.Background(), patternKey{}, &pattern))
	r2.Method = method
	m.finder.ServeHTTP(discard{h: http.Header{}}, r2)
	return pattern
}

// discard is the ResponseWriter the Route middleware gets in patternFor.
type discard struct{ h http.Header }

func (d discard) Header() http.Header         { return d.h }
func (d discard) Write(p []byte) (int, error) { return len(p), nil }
func (d discard) WriteHeader(int)             {}

// sameOriginRequest reports whether r, whose Origin o is not on the
// allow-list, comes from the API's own origin, and so is not a
// cross-origin request. Browsers send Origin on same-origin POSTs too.
// Sec-Fetch-Site, a header page scripts cannot set, says so in every
// current browser. Without it, o must equal the origin the request
// reached: the Host, and https only if the connection is TLS (behind a
// TLS-terminating proxy such a request is refused unless its origin is
// listed: fail closed).
func sameOriginRequest(r *http.Request, o origin) bool {
	if r.Header["Sec-Fetch-Site"] != nil {
		return fetchedSameOrigin(r)
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if o.scheme != scheme {
		return false
	}
	host, port := r.Host, ""
	if i := strings.LastIndexByte(host, ':'); i >= 0 && !strings.Contains(host[i:], "]") {
		host, port = host[:i], host[i+1:]
	}
	if port == defaultPort(scheme) {
		port = ""
	}
	return port == o.port && strings.EqualFold(host, o.host)
}

// fetchedSameOrigin reports whether the browser says, in Sec-Fetch-Site,
// that r comes from the origin it is sent to.
func fetchedSameOrigin(r *http.Request) bool {
	sfs := r.Header["Sec-Fetch-Site"]
	return len(sfs) == 1 && sfs[0] == "same-origin"
}
