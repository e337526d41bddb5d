package deprecation

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"go.opentelemetry.io/otel/metric"

	apierrors "github.com/apishield/apishield/errors"
	"github.com/apishield/apishield/internal/record"
	"github.com/apishield/apishield/internal/routetable"
	"github.com/apishield/apishield/internal/telemetry"
	"github.com/apishield/apishield/route"
)

// ErrInvalidConfig is wrapped by every error New returns.
var ErrInvalidConfig = errors.New("deprecation: invalid config")

// ErrGone is wrapped by the error [Middleware.Check] returns for a request
// to a route past its sunset date; check for it with errors.Is.
var ErrGone = errors.New("deprecation: route is past its sunset date")

// Reasons recorded in the request record's decisions.
const (
	// ReasonDeprecated is recorded (outcome allow) for a request served by
	// a deprecated route, or by one whose deprecation is announced for a
	// later date.
	ReasonDeprecated = "deprecated"
	// ReasonGone is recorded (outcome deny) for a request refused because
	// its route is past its sunset date. It is the errors package's
	// ReasonGone.
	ReasonGone = apierrors.ReasonGone
)

// A Policy is the deprecation of one route or one version prefix.
type Policy struct {
	// Deprecated is when the route is, or will be, deprecated: sent as
	// the Deprecation header (RFC 9745), in whole seconds. A date in the
	// future is sent as well: it announces the deprecation. Required:
	// the zero time is a config error.
	Deprecated time.Time
	// Sunset is when the route stops being served: sent as the Sunset
	// header (RFC 8594), in whole seconds, and from that instant on
	// every request gets 410 Gone. It must not be before Deprecated.
	// If zero, no sunset is announced and the route is never refused.
	Sunset time.Time
	// Docs is a page that explains the deprecation, sent as a Link with
	// rel="deprecation". It must be an absolute https URL or a relative
	// reference (such as "/docs/migrate-v2"), written with URI characters
	// only (RFC 3986: non-ASCII percent-encoded). If empty, no such link.
	Docs string
	// Successor is the version that replaces the route, sent as a Link
	// with rel="successor-version" (RFC 5829), also on the 410 response.
	// The same rules as Docs apply. If empty, no such link.
	Successor string
}

// Config configures a [Middleware]. The zero Config deprecates nothing.
type Config struct {
	// Routes deprecates single routes, keyed as package route reports
	// them: "METHOD /pattern" for one method of a route, "/pattern" for
	// every method ("GET /v1/items/{id}", "/v1/items/{id}"). A route
	// entry wins over a prefix. If nil, no route is deprecated by name.
	// Route entries need the pattern before the router runs: see
	// route.Mux, route.Chi and route.Func.
	Routes map[string]Policy
	// Prefixes deprecates every path under a version prefix ("/v1/" or
	// "/v1"; both mean the same). A prefix matches the cleaned request
	// path segment by segment: "/v1" matches "/v1" and "/v1/items" but
	// not "/v10/items". The longest matching prefix wins. If nil, no
	// prefix is deprecated.
	Prefixes map[string]Policy
	// Now returns the current time; it decides whether a route is past
	// its sunset. If nil, time.Now.
	Now func() time.Time
	// MeterProvider receives the Handler's calls to deprecated routes,
	// counted in apishield.deprecation.calls (see the package
	// documentation). If nil, the global provider of
	// go.opentelemetry.io/otel when New runs, which does nothing until
	// the application installs an SDK.
	MeterProvider metric.MeterProvider
}

// Middleware sends deprecation headers on deprecated routes and refuses
// requests to routes past their sunset. It is safe for concurrent use and
// read-only after New.
type Middleware struct {
	routes   routetable.Table[*Notice]
	lens     uint64   // bit len%64 set for the length of every route key
	prefixes []prefix // longest first
	now      func() time.Time
	calls    *telemetry.Counter
}

// New checks cfg and returns a Middleware. All header values and problems
// are built here, once. Errors wrap ErrInvalidConfig.
func New(cfg Config) (*Middleware, error) {
	m := &Middleware{now: cfg.Now, calls: newCallCounter(cfg.MeterProvider)}
	if m.now == nil {
		m.now = time.Now
	}
	routes := make(map[string]*Notice, len(cfg.Routes))
	for k, p := range cfg.Routes {
		rule := strings.Join(strings.Fields(k), " ")
		n, err := newNotice(rule, p)
		if err != nil {
			return nil, fmt.Errorf("%w: Routes[%q]: %v", ErrInvalidConfig, k, err)
		}
		routes[k] = n
		m.lens |= 1 << (len(rule) % 64)
	}
	t, err := routetable.New(routes)
	if err != nil {
		return nil, fmt.Errorf("%w: Routes: %v", ErrInvalidConfig, err)
	}
	m.routes = t
	m.prefixes, err = newPrefixes(cfg.Prefixes)
	if err != nil {
		return nil, fmt.Errorf("%w: Prefixes: %v", ErrInvalidConfig, err)
	}
	return m, nil
}

// MustNew is New for start-up code: it panics on a config error.
func MustNew(cfg Config) *Middleware {
	m, err := New(cfg)
	if err != nil {
		panic(err)
	}
	return m
}

// Lookup returns the notice for a request whose route pattern is pattern
// (as route.Pattern reports it; "" if unknown) and whose path is urlPath
// (cleaned before it is matched), or nil if neither is deprecated. A
// route entry wins over a prefix; the longest prefix wins among prefixes.
// Check matches both the decoded path (URL.Path) and the escaped one
// (URL.RawPath).
func (m *Middleware) Lookup(pattern, urlPath string) *Notice {
	if n := m.lookupRoute(pattern); n != nil {
		return n
	}
	if len(m.prefixes) == 0 {
		return nil
	}
	return matchPrefix(m.prefixes, urlPath)
}

// lookupRoute returns the route entry for pattern, or nil. A pattern
// whose length, and whose path's length, no key has cannot have an entry:
// that check spares most requests the table's two map lookups.
func (m *Middleware) lookupRoute(pattern string) *Notice {
	if m.lens&(1<<(len(pattern)%64)) == 0 {
		// the table's second lookup: the path after the method
		_, path, found := strings.Cut(pattern, " ")
		if !found || m.lens&(1<<(len(strings.TrimLeft(path, " "))%64)) == 0 {
			return nil
		}
	}
	n, _ := m.routes.Lookup(pattern)
	return n
}

// Check is the decision: the notice for r's route (nil if it is not
// deprecated) and, when the route is past its sunset, an error for the
// 410 Gone response. The error is an *apierrors.Problem that wraps ErrGone
// and carries the notice's headers, so apierrors.Write sends it whole. The
// notice and the error are built at New and shared by every request: do
// not modify them.
func (m *Middleware) Check(r *http.Request) (*Notice, error) {
	var n *Notice
	if m.routes.Len() > 0 {
		n = m.lookupRoute(route.Pattern(r))
	}
	if n == nil && len(m.prefixes) > 0 {
		n = matchPrefix(m.prefixes, r.URL.Path)
		if n == nil && r.URL.RawPath != "" {
			// A router that routes on the escaped path (chi; gorilla
			// with UseEncodedPath) sees other segments: "/v1/%2e%2e/x"
			// is under /v1 for it, though the decoded path is not.
			n = matchPrefix(m.prefixes, r.URL.RawPath)
		}
	}
	if n == nil {
		return nil, nil
	}
	if !n.Sunset.IsZero() && n.GoneAt(m.now()) {
		return n, n.gone
	}
	return n, nil
}

// Handler returns middleware that applies Check: a request to a deprecated
// route is served with its Deprecation, Sunset and Link headers; one past
// its sunset is answered 410 Gone (reason gone) with the same headers, and
// next does not run. Either way the decision goes to the request record
// (package "deprecation", reason "deprecated" or "gone", rule the route key
// or prefix), so audit logs who called. Other requests pass untouched.
func (m *Middleware) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, err := m.Check(r)
		if n == nil {
			next.ServeHTTP(w, r)
			return
		}
		w, r, rec := record.Install(w, r)
		if err != nil {
			rec.AddDecision(record.Decision{Package: "deprecation", Outcome: record.Deny, Reason: ReasonGone, Rule: n.Rule})
			m.calls.Decision(r.Context(), stateSunset, callEvent)
			apierrors.Write(w, r, err)
			return
		}
		rec.AddDecision(record.Decision{Package: "deprecation", Outcome: record.Allow, Reason: ReasonDeprecated, Rule: n.Rule})
		m.calls.Decision(r.Context(), stateDeprecated, callEvent)
		n.SetHeaders(w.Header())
		next.ServeHTTP(w, r)
	})
}
