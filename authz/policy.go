package authz

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"

	"github.com/go-chi/chi/v5"
	"go.opentelemetry.io/otel/metric"

	apierrors "github.com/apishield/apishield/errors"
	"github.com/apishield/apishield/internal/record"
	"github.com/apishield/apishield/internal/telemetry"
)

// ErrInvalidConfig is wrapped by every error [New] returns.
var ErrInvalidConfig = errors.New("authz: invalid config")

// Config configures a [Policy]. Only Routes is required.
type Config struct {
	// Routes maps each route to the rule that guards it; a route with no
	// entry is refused. A key is the route's pattern as the router reports
	// it, optionally preceded by a method and a space:
	//
	//	"GET /v1/items/{id}"    ServeMux, chi, gorilla/mux
	//	"GET /files/{path...}"  ServeMux
	//	"GET /files/*"          chi
	//	"GET /items/{id:[0-9]+}" gorilla/mux
	//	"/healthz"              every method that has no entry of its own
	//
	// A ServeMux pattern's own method decides (its "GET" patterns also
	// serve HEAD); for routers whose patterns have no method the request's
	// method does, and HEAD falls back to the GET entry. chi patterns are
	// written as chi's RoutePattern reports them, without a trailing slash.
	// Use [Public] for routes anyone may call. Required: an empty table is
	// an error.
	Routes map[string]Rule

	// Mux is the ServeMux that Handler wraps, directly or through
	// apierrors.Mux. Before the mux has run, a request carries no pattern,
	// so Handler asks Mux which pattern matches (mux.Handler). If nil, and
	// no other source gives the pattern, requests are refused.
	Mux *http.ServeMux

	// Pattern returns the matched route pattern, for routers the policy
	// cannot read by itself: with gorilla/mux, the route's path template
	// (see the package documentation). An empty result refuses the request.
	// If nil, the pattern comes from chi's route context, r.Pattern, or Mux.
	Pattern func(r *http.Request) string

	// PathValue returns a path value for [Tenant] rules, for routers that do
	// not set r.PathValue (gorilla/mux: mux.Vars(r)[name]); chi.URLParam
	// works too, in r.Use before chi routes. If nil, path values come from
	// the router or from the matched pattern.
	PathValue func(r *http.Request, name string) string

	// DryRun records and logs every decision but enforces none: a request
	// that would be denied is recorded as skipped with the reason it would
	// have got, logged at warning level, and served. For rolling out a
	// policy; never leave it on.
	DryRun bool

	// Logger receives wiring errors (a route with no entry, a pattern that
	// cannot be learned, a missing principal), failures to decide, dry-run
	// denials and, at debug level, denials. If nil, slog.Default() at the
	// time of logging, because a wiring error must not vanish.
	Logger *slog.Logger

	// MeterProvider receives the policy's decision counts (see the package
	// documentation, Monitoring). If nil, the global provider of
	// go.opentelemetry.io/otel when New runs, which does nothing until the
	// application installs an SDK.
	MeterProvider metric.MeterProvider
}

// A Policy maps routes to rules and enforces them as one middleware, deny by
// default: a route with no entry is refused with 403 forbidden and logged
// as a wiring error. A Policy is safe for concurrent use; its Config is
// copied by New.
type Policy struct {
	routes    map[string]*pathEntry
	mux       *http.ServeMux
	pattern   func(*http.Request) string
	pathValue func(*http.Request, string) string
	dryRun    bool
	logger    *slog.Logger
	chiCtx    sync.Pool // *chi.Context for matching before chi routes
	decisions *telemetry.Counter
}

type pathEntry struct {
	methods []*entry // entries with a method
	any     *entry   // the entry without a method, or nil
}

type entry struct {
	method string
	route  string // the canonical key, as recorded
	rule   Rule
	rules  []Rule // flatten(rule)
	kind   int    // ruleKind of rule, for the allow count
	allow  record.Decision
}

// New compiles cfg into a Policy. It fails, wrapping ErrInvalidConfig, on
// an empty table, a malformed key, two keys for one route, or a nil or
// invalid rule.
func New(cfg Config) (*Policy, error) {
	if len(cfg.Routes) == 0 {
		return nil, fmt.Errorf("%w: Routes is empty, which would refuse every request", ErrInvalidConfig)
	}
	pol := &Policy{
		routes:    make(map[string]*pathEntry, len(cfg.Routes)),
		mux:       cfg.Mux,
		pattern:   cfg.Pattern,
		pathValue: cfg.PathValue,
		dryRun:    cfg.DryRun,
		logger:    cfg.Logger,
		decisions: newDecisionCounter(cfg.MeterProvider),
	}
	pol.chiCtx.New = func() any { return chi.NewRouteContext() }
	keys := make([]string, 0, len(cfg.Routes))
	for k := range cfg.Routes {
		keys = append(keys, k)
	}
	slices.Sort(keys) // deterministic errors
	for _, key := range keys {
		rule := cfg.Routes[key]
		method, path, err := splitKey(key)
		if err != nil {
			return nil, fmt.Errorf("%w: route %q: %v", ErrInvalidConfig, key, err)
		}
		if rule == nil {
			return nil, fmt.Errorf("%w: route %q: nil rule (use authz.Public() for a public route)", ErrInvalidConfig, key)
		}
		if err := rule.check(); err != nil {
			return nil, fmt.Errorf("%w: route %q: %w", ErrInvalidConfig, key, err)
		}
		route := path
		if method != "" {
			route = method + " " + path
		}
		e := &entry{method: method, route: route, rule: rule, rules: flatten(rule), kind: ruleKind(rule.String()),
			allow: record.Decision{Package: pkg, Outcome: record.Allow, Reason: rule.String(), Rule: route}}
		pe := pol.routes[path]
		if pe == nil {
			pe = &pathEntry{}
			pol.routes[path] = pe
		}
		if (method == "" && pe.any != nil) || (method != "" && pe.find(method) != nil) {
			return nil, fmt.Errorf("%w: route %q is listed twice", ErrInvalidConfig, route)
		}
		if method == "" {
			pe.any = e
		} else {
			pe.methods = append(pe.methods, e)
		}
	}
	return pol, nil
}

// MustNew is New for start-up code: it panics on an invalid config.
func MustNew(cfg Config) *Policy {
	v, err := New(cfg)
	if err != nil {
		panic(err)
	}
	return v
}

// splitKey splits "METHOD /path" into its method and path.
func splitKey(key string) (method, path string, err error) {
	key = strings.TrimSpace(key)
	if i := strings.IndexAny(key, " \t"); i >= 0 {
		method, path = key[:i], strings.TrimLeft(key[i:], " \t")
		for j := 0; j < len(method); j++ {
			if c := method[j]; c < 'A' || c > 'Z' {
				return "", "", errors.New("the method must be upper-case letters")
			}
		}
	} else {
		path = key
	}
	if !strings.Contains(path, "/") || strings.ContainsAny(path, " \t\r\n") {
		return "", "", errors.New(`the pattern must contain "/" and no spaces`)
	}
	return method, path, nil
}

func (pe *pathEntry) find(method string) *entry {
	for _, e := range pe.methods {
		if e.method == method {
			return e
		}
	}
	return nil
}

// lookup finds the entry for a method on a path: the method's own entry,
// for HEAD the GET entry, else the entry without a method.
func (pol *Policy) lookup(method, path string) *entry {
	pe := pol.routes[path]
	if pe == nil {
		return nil
	}
	if e := pe.find(method); e != nil {
		return e
	}
	if method == http.MethodHead {
		if e := pe.find(http.MethodGet); e != nil {
			return e
		}
	}
	return pe.any
}

// outcome is what the policy concluded for one request.
type outcome int

const (
	decided   outcome = iota // the entry's rule decided
	noRoute                  // the router matches nothing: it will answer 404 or 405
	unknown                  // the pattern could not be learned: wiring error
	noPolicy                 // the route has no entry: wiring error
	anonymous                // no principal
)

type result struct {
	outcome outcome
	entry   *entry
	route   string // the matched route, when there is no entry
	v       *verdict
}

// decide resolves the route and evaluates its rule.
func (pol *Policy) decide(r *http.Request) result {
	method, path, pv, known := pol.resolve(r, true)
	e := pol.lookup(method, path)
	if e == nil && known && path != "" && pol.pattern == nil && pv.chi == nil && pv.muxPattern == "" {
		// The ServeMux pattern on the request may be an outer mux's, with a
		// chi router below it that knows the real one.
		method, path, pv, known = pol.resolve(r, false)
		e = pol.lookup(method, path)
	}
	if pv.chi != nil {
		defer pol.chiCtx.Put(pv.chi)
	}
	switch {
	case !known:
		return result{outcome: unknown, v: deniedUnknown}
	case path == "":
		return result{outcome: noRoute}
	}
	if e == nil {
		return result{outcome: noPolicy, route: method + " " + path, v: deniedNoPolicy}
	}
	v, authenticated := evaluate(e.rules, r, pv)
	if !authenticated {
		return result{outcome: anonymous, entry: e, v: v}
	}
	return result{outcome: decided, entry: e, v: v}
}

// resolve learns the method and pattern of the route that matches r. known
// is false when no source can tell; path is "" when the router matches no
// route.
//
// With muxFirst, a pattern with a method on the request (the ServeMux's) is
// trusted without looking for chi's route context, which saves a context
// look-up on the common path; decide asks again without it when that
// pattern has no entry.
func (pol *Policy) resolve(r *http.Request, muxFirst bool) (method, path string, pv pathValues, known bool) {
	if pol.pattern != nil {
		pat := pol.pattern(r)
		if pat == "" {
			return "", "", pv, false
		}
		method, path = splitPattern(pat, r.Method)
		return method, path, pathValues{fn: pol.pathValue}, true
	}
	pv.fn = pol.pathValue
	// A pattern with a method is the ServeMux's, set for the handler it
	// called: chi's patterns have none. Trusting it saves a context look-up.
	if muxFirst && r.Pattern != "" && blank(r.Pattern) > 0 {
		method, path = splitPattern(r.Pattern, r.Method)
		return method, path, pv, true
	}
	if rctx := chi.RouteContext(r.Context()); rctx != nil {
		method = rctx.RouteMethod
		if method == "" {
			method = r.Method
		}
		// After chi routed (r.With, a route's own middleware), r.Pattern is
		// the whole pattern. A last segment ending in "*" may be a mount
		// point whose subrouter has yet to route, so match it afresh.
		if n := len(rctx.RoutePatterns); r.Pattern != "" && n > 0 && !strings.HasSuffix(rctx.RoutePatterns[n-1], "*") {
			if rctx.Routes == nil || pol.lookup(method, chiPattern(r.Pattern)) != nil {
				return method, r.Pattern, pv, true
			}
			fctx := pol.chiCtx.Get().(*chi.Context)
			defer pol.chiCtx.Put(fctx)
			pat, _ := throughMount(rctx.Routes, fctx, method, r.Pattern)
			return method, chiPattern(pat), pv, true
		}
		if rctx.Routes == nil {
			return "", "", pv, false
		}
		routePath := r.URL.RawPath
		if routePath == "" {
			routePath = r.URL.Path
		}
		if routePath == "" {
			routePath = "/"
		}
		fctx := pol.chiCtx.Get().(*chi.Context)
		fctx.Reset()
		pat := rctx.Routes.Find(fctx, method, routePath)
		if pat == "" && method == http.MethodHead {
			fctx.Reset()
			pat = rctx.Routes.Find(fctx, http.MethodGet, routePath)
		}
		if pat != "" && pol.lookup(method, chiPattern(pat)) == nil {
			pat, _ = throughMount(rctx.Routes, fctx, method, pat)
		}
		pv.chi, pv.live = fctx, rctx
		return method, chiPattern(pat), pv, true
	}
	if r.Pattern != "" {
		method, path = splitPattern(r.Pattern, r.Method)
		return method, path, pv, true
	}
	if pol.mux != nil {
		_, pat := pol.mux.Handler(r)
		if pat == "" {
			return "", "", pv, true
		}
		method, path = splitPattern(pat, r.Method)
		if pv.fn == nil {
			pv.muxPattern = pat
		}
		return method, path, pv, true
	}
	return "", "", pv, false
}

// splitPattern splits a pattern into its method (or def when it has none)
// and the rest. It is on every request's path, so it scans bytes rather
// than build the character sets strings.IndexAny and TrimLeft would.
func splitPattern(pat, def string) (method, path string) {
	i := blank(pat)
	if i < 0 {
		return def, pat
	}
	j := i
	for j < len(pat) && (pat[j] == ' ' || pat[j] == '\t') {
		j++
	}
	return pat[:i], pat[j:]
}

// blank returns the index of the first space or tab in s, or -1.
func blank(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] == ' ' || s[i] == '\t' {
			return i
		}
	}
	return -1
}

// throughMount resolves a pattern that names a mount point exactly, such as
// "/v1/items" for r.Route("/v1/items", …): chi's Find stops at the mount's
// own stub, which takes every method, while chi hands the request to the
// subrouter as "/". So ask the subrouter; "" means it has no route and chi
// answers 404 or 405 itself. ok is false when pattern is no mount point. It
// allocates (chi's Routes), so it runs only for a pattern without an entry.
func throughMount(routes chi.Routes, fctx *chi.Context, method, pattern string) (string, bool) {
	for _, rt := range routes.Routes() {
		if rt.SubRoutes == nil {
			continue
		}
		mount := strings.TrimSuffix(rt.Pattern, "/*")
		if pattern == mount || pattern == mount+"/" {
			fctx.Reset()
			sub := rt.SubRoutes.Find(fctx, method, "/")
			if sub == "" {
				return "", true
			}
			return mount + sub, true
		}
		if rest, ok := strings.CutPrefix(pattern, mount); ok && strings.HasPrefix(rest, "/") {
			if p, ok := throughMount(rt.SubRoutes, fctx, method, rest); ok {
				if p == "" {
					return "", true
				}
				return mount + p, true
			}
		}
	}
	return pattern, false
}

// chiPattern spells a pattern from chi's Find or Walk as chi's
// RoutePattern does, so one policy key matches every way chi reports it.
func chiPattern(p string) string {
	for strings.Contains(p, "/*/") {
		p = strings.ReplaceAll(p, "/*/", "/")
	}
	if p != "/" {
		p = strings.TrimSuffix(p, "//")
		p = strings.TrimSuffix(p, "/")
	}
	return p
}

func (pol *Policy) log() *slog.Logger {
	if pol.logger != nil {
		return pol.logger
	}
	return slog.Default()
}

// Check decides r without serving it and without recording anything: nil
// when the policy lets it through (including when no route matches, which
// the router answers with 404 or 405), else the problem the Handler would
// send. It is the policy's decision as a plain method, for tests and for
// code outside HTTP middleware. In dry-run mode it still reports the
// problem.
func (pol *Policy) Check(r *http.Request) error {
	res := pol.decide(r)
	switch {
	case res.outcome == noRoute:
	case res.v == nil:
		count(r.Context(), pol.decisions, outcomeAllow, res.entry.kind)
	default:
		count(r.Context(), pol.decisions, verdictOutcome(res.v, pol.dryRun), ruleKind(res.v.rule))
	}
	if res.v == nil {
		return nil
	}
	return copyProblem(res.v.deny)
}

// Handler returns middleware that enforces the policy; see the package
// documentation for where it goes on each router. The matched route is set
// as the record's route, and every decision is added to the record:
//
//   - allow: Reason is the entry's rule ("and(all_scopes(items:read), owner)"),
//     Rule the route ("GET /v1/items/{id}");
//   - deny: Reason is the problem's reason code, Rule the rule that failed,
//     or "principal" (no principal), "no_policy" (a route without an
//     entry), "unknown_route" (the pattern could not be learned);
//   - dry run: a denial is recorded the same way with outcome skip;
//   - no route matched: outcome skip, reason "no_route".
func (pol *Policy) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w, r, rec := record.Install(w, r)
		res := pol.decide(r)
		if res.v == nil && res.outcome != noRoute {
			count(r.Context(), pol.decisions, outcomeAllow, res.entry.kind)
			rec.AddRouteDecision(res.entry.route, res.entry.allow) // the allow path: one lock
			next.ServeHTTP(w, r)
			return
		}
		if res.entry != nil {
			rec.SetRoute(res.entry.route)
		} else if res.route != "" {
			rec.SetRoute(strings.TrimSpace(res.route))
		}
		ctx := r.Context()
		if res.outcome == noRoute {
			rec.AddDecision(record.Decision{Package: pkg, Outcome: record.Skip, Reason: "no_route"})
			next.ServeHTTP(w, r)
			return
		}
		count(ctx, pol.decisions, verdictOutcome(res.v, pol.dryRun), ruleKind(res.v.rule))
		d := denyDecision(res.v)
		if pol.dryRun {
			d.Outcome = record.Skip
		}
		rec.AddDecision(d)
		log := pol.log()
		switch res.outcome {
		case unknown:
			log.LogAttrs(ctx, slog.LevelError,
				"authz: cannot learn the request's route pattern: wiring error; see where the policy goes on your router",
				slog.String("request_id", rec.ID()), slog.String("method", r.Method), slog.String("path", r.URL.Path))
		case noPolicy:
			log.LogAttrs(ctx, slog.LevelError, "authz: route has no policy entry: wiring error; refused",
				slog.String("request_id", rec.ID()), slog.String("route", strings.TrimSpace(res.route)))
		case anonymous:
			logNoPrincipal(ctx, log, rec, r)
		default:
			logDeny(ctx, log, rec, res.v, pol.dryRun)
		}
		if pol.dryRun {
			if res.outcome != decided {
				log.LogAttrs(ctx, slog.LevelWarn, "authz: dry run: would deny",
					slog.String("request_id", rec.ID()), slog.String("rule", res.v.rule))
			}
			next.ServeHTTP(w, r)
			return
		}
		apierrors.Write(w, r, res.v.deny)
	})
}
