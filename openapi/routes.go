package openapi

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"

	"github.com/go-chi/chi/v5"

	"github.com/apishield/apishield/authz"
)

// ErrRouteMismatch is wrapped by the error of a start-up check that found
// routes and operations that do not match.
var ErrRouteMismatch = errors.New("openapi: routes and operations do not match")

// A RouteMismatchError lists, in both directions, what a start-up check
// found unmatched. Its Unwrap returns [ErrRouteMismatch].
type RouteMismatchError struct {
	// Unserved are the document's operations that no route serves, each
	// spelled "name (METHOD path)", or "METHOD path" for an operation
	// without an operationId, sorted.
	Unserved []string
	// Undeclared are the routes, as they were given, that serve no
	// operation of the document, sorted.
	Undeclared []string
}

// Error lists both directions.
func (e *RouteMismatchError) Error() string {
	var b strings.Builder
	b.WriteString(ErrRouteMismatch.Error())
	if len(e.Unserved) > 0 {
		fmt.Fprintf(&b, "; %d %s served by no route: %s", len(e.Unserved),
			plural(len(e.Unserved), "operation", "operations"), strings.Join(e.Unserved, ", "))
	}
	if len(e.Undeclared) > 0 {
		fmt.Fprintf(&b, "; %d %s not in the document: %s", len(e.Undeclared),
			plural(len(e.Undeclared), "route", "routes"), strings.Join(e.Undeclared, ", "))
	}
	return b.String()
}

// Unwrap returns ErrRouteMismatch.
func (e *RouteMismatchError) Unwrap() error { return ErrRouteMismatch }

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// CheckRoutes is the start-up check: it returns a *RouteMismatchError
// listing every operation of the document that no route serves and every
// route that serves no operation, or nil when they match. A route is
// "METHOD pattern", or a pattern alone for a route that takes every
// method, in the router's own syntax: the patterns registered on a
// ServeMux ("{name}", "{name...}", "{$}", an optional host before the
// path), a chi router's ([ChiRoutes] or [Contract.CheckChi]: "{id}",
// "{id:regex}", a final "*"), or a gorilla/mux router's templates and
// methods collected with Router.Walk ("{id}", "{id:regex}"). A route that
// cannot be read (no "/" to start its path, an unbalanced brace, "{x...}"
// or "*" before the last segment) is an error of its own.
//
// Routes and operations are compared segment by segment, the operation's
// path prefixed with each of the servers' base paths in turn:
//
//   - a literal segment matches the same literal; a parameter matches any
//     parameter, whatever the names and whatever regular expression the
//     router gives it; a segment that mixes literals and parameters
//     ("{name}.{format}") matches a segment of the same literals with
//     parameters at the same places, or a router's lone parameter
//     ("{file}"), since ServeMux cannot spell a mixed segment (the
//     contract's own routing still refuses what the document does not
//     declare);
//   - a ServeMux "{x...}" or a chi "*", which take the rest of the path,
//     match only an operation whose path ends with one parameter segment
//     ("/files/{path}"), since OpenAPI has no parameter that spans
//     segments;
//   - a trailing slash is an empty last segment, matched literally: the
//     ServeMux subtree pattern "/items/" is the document's "/items/", not
//     every path under it, and "/items/{$}" is the same;
//   - a route without a method covers every operation of its path;
//   - a GET route also serves the operation's HEAD, as ServeMux does
//     ([Contract.CheckChi] does not assume it, as chi does not).
//
// A gorilla/mux regular expression that can match a "/" ({path:.*}) is
// still read as one segment: declare such a route in the document as the
// parameter it is for the one-segment case, or check it by hand.
func (c *Contract) CheckRoutes(routes ...string) error {
	return c.checkRoutes(routes, true)
}

// CheckChi is [Contract.CheckRoutes] for every route of a chi router,
// listed with [authz.ChiRoutes]. A pattern that chi serves for every
// method (r.Handle, r.Mount) counts as one route without a method. chi
// does not answer HEAD with a GET route, so here a GET route does not
// serve a HEAD operation.
func (c *Contract) CheckChi(r chi.Routes) error {
	routes, err := authz.ChiRoutes(r)
	if err != nil {
		return fmt.Errorf("openapi: walking the chi router: %w", err)
	}
	return c.checkRoutes(collapseChi(routes), false)
}

// chiMethods is the set of methods chi lists for a route registered for
// every method, learned from chi itself so a chi release that adds one
// does not break the check.
var chiMethods = sync.OnceValue(func() []string {
	probe := chi.NewRouter()
	probe.Handle("/", http.NotFoundHandler())
	routes, _ := authz.ChiRoutes(probe)
	var methods []string
	for _, rt := range routes {
		if m, _, ok := strings.Cut(rt, " "); ok {
			methods = append(methods, m)
		}
	}
	return methods
})

// collapseChi replaces the routes of a pattern that takes every method chi
// knows with the pattern alone.
func collapseChi(routes []string) []string {
	all := chiMethods()
	byPath := make(map[string][]string)
	var order []string
	for _, rt := range routes {
		m, p, ok := strings.Cut(rt, " ")
		if !ok {
			m, p = "", rt
		}
		if _, seen := byPath[p]; !seen {
			order = append(order, p)
		}
		byPath[p] = append(byPath[p], m)
	}
	out := make([]string, 0, len(routes))
	for _, p := range order {
		methods := byPath[p]
		every := slices.Contains(methods, "")
		if !every && len(all) > 0 {
			every = true
			for _, m := range all {
				if !slices.Contains(methods, m) {
					every = false
					break
				}
			}
		}
		if every {
			out = append(out, p)
			continue
		}
		for _, m := range methods {
			out = append(out, m+" "+p)
		}
	}
	return out
}

// A routeSeg is one segment of a path, router or document: its literal
// text and parameters, or a wildcard that takes the rest of the path.
type routeSeg struct {
	// parts are the literals of the segment in order, with paramPart for
	// each parameter: ["items"], ["{}"], ["{}", ".", "{}"]; none for the
	// empty segment after a trailing slash.
	parts []string
	rest  bool // ServeMux "{x...}" or chi "*"
}

// paramPart stands for a parameter among a segment's parts: no literal
// holds a brace, since every brace opens or closes a parameter.
const paramPart = "{}"

// onlyParam reports whether the segment is one parameter and nothing else.
func (s routeSeg) onlyParam() bool {
	return !s.rest && len(s.parts) == 1 && s.parts[0] == paramPart
}

// isMixed reports whether the segment mixes literals and parameters.
func (s routeSeg) isMixed() bool {
	return len(s.parts) > 1 && slices.Contains(s.parts, paramPart)
}

// shape spells segments with every parameter and wildcard as "{}": two
// paths of the same shape match segment by segment.
func shape(segs []routeSeg) string {
	var b strings.Builder
	for _, s := range segs {
		b.WriteByte('/')
		if s.rest {
			b.WriteString(paramPart)
			continue
		}
		for _, p := range s.parts {
			b.WriteString(p)
		}
	}
	return b.String()
}

// matches reports whether router segment s matches document segment d.
func (s routeSeg) matches(d routeSeg) bool {
	switch {
	case s.rest:
		return d.onlyParam()
	case s.onlyParam() && slices.Contains(d.parts, paramPart):
		return true // a lone parameter covers a mixed segment
	}
	return !d.rest && slices.Equal(s.parts, d.parts)
}

// A route is one parsed router route.
type route struct {
	given  string // as the caller spelled it
	method string // "" for every method
	segs   []routeSeg
}

// A target is one operation's path under one base path.
type target struct {
	op   *operation
	segs []routeSeg
}

func (c *Contract) checkRoutes(given []string, headFromGet bool) error {
	routes := make([]route, 0, len(given))
	for _, g := range given {
		rt, err := parseRoute(g)
		if err != nil {
			return err
		}
		routes = append(routes, rt)
	}

	// Targets by shape, the segments with every parameter spelled "{}":
	// a route matches the targets of its own shape (a wildcard counting
	// as one parameter), and besides only targets with a mixed segment,
	// which a lone parameter of the route may cover.
	byShape := make(map[string][]target)
	mixed := make(map[int][]target) // by segment count
	bases := c.doc.bases
	if len(bases) == 0 {
		bases = []string{""}
	}
	for _, op := range c.doc.ops {
		for _, base := range bases {
			segs, err := splitPath(base+op.path, false)
			if err != nil {
				// The loader has checked every template; this is a base
				// or path it let through that cannot be compared.
				return fmt.Errorf("openapi: operation %s: path %q: %v", op.name(), base+op.path, err)
			}
			t := target{op, segs}
			key := shape(segs)
			byShape[key] = append(byShape[key], t)
			if slices.ContainsFunc(segs, routeSeg.isMixed) {
				mixed[len(segs)] = append(mixed[len(segs)], t)
			}
		}
	}

	served := make(map[*operation]bool)
	var undeclared []string
	for _, rt := range routes {
		declared := false
		for _, ts := range [][]target{byShape[shape(rt.segs)], mixed[len(rt.segs)]} {
			for _, t := range ts {
				if !methodServes(rt.method, t.op.method, headFromGet) || !segsMatch(rt.segs, t.segs) {
					continue
				}
				served[t.op] = true
				if rt.method == "" || rt.method == t.op.method {
					declared = true
				}
			}
		}
		if !declared {
			undeclared = append(undeclared, rt.given)
		}
	}
	var unserved []string
	for _, op := range c.doc.ops {
		if !served[op] {
			unserved = append(unserved, opLabel(op))
		}
	}
	if unserved == nil && undeclared == nil {
		return nil
	}
	slices.Sort(unserved)
	slices.Sort(undeclared)
	return &RouteMismatchError{Unserved: unserved, Undeclared: undeclared}
}

// opLabel names an operation with its method and path: "listItems (GET
// /items)", or "GET /items" when it has no operationId.
func opLabel(op *operation) string {
	if op.id == "" {
		return op.name()
	}
	return op.id + " (" + op.method + " " + op.path + ")"
}

// methodServes reports whether a route for method rm serves an operation
// for method om.
func methodServes(rm, om string, headFromGet bool) bool {
	return rm == "" || rm == om || headFromGet && rm == http.MethodGet && om == http.MethodHead
}

func segsMatch(r, d []routeSeg) bool {
	for i := range r {
		if !r[i].matches(d[i]) {
			return false
		}
	}
	return true
}

// parseRoute reads "METHOD pattern" or "pattern".
func parseRoute(given string) (route, error) {
	s := strings.TrimSpace(given)
	method, pat := "", s
	if i := strings.IndexAny(s, " \t"); i >= 0 {
		method, pat = s[:i], strings.TrimLeft(s[i:], " \t")
	}
	if method == "*" {
		method = ""
	}
	// A ServeMux pattern may name a host before its path.
	slash := strings.IndexByte(pat, '/')
	if slash < 0 {
		return route{}, fmt.Errorf("openapi: route %q: the pattern has no path starting with \"/\"", given)
	}
	segs, err := splitPath(pat[slash:], true)
	if err != nil {
		return route{}, fmt.Errorf("openapi: route %q: %v", given, err)
	}
	return route{given: given, method: method, segs: segs}, nil
}

// splitPath splits a path that starts with "/" into segments. Braces may
// nest (a chi or gorilla regular expression "{id:[0-9]{3}}") and a "/"
// inside braces does not end a segment. For a router pattern, "{x...}"
// and a last segment "*" take the rest of the path and "{$}" is the empty
// last segment; for a document's template every brace pair is a
// parameter.
func splitPath(p string, router bool) ([]routeSeg, error) {
	if !strings.HasPrefix(p, "/") {
		return nil, errors.New(`the path does not start with "/"`)
	}
	raw := rawSegments(p[1:])
	segs := make([]routeSeg, 0, len(raw))
	for k, r := range raw {
		s, err := parseRouteSeg(r, router, k == len(raw)-1)
		if err != nil {
			return nil, err
		}
		segs = append(segs, s)
	}
	return segs, nil
}

// rawSegments splits p at every "/" outside braces.
func rawSegments(p string) []string {
	var raw []string
	depth, start := 0, 0
	for i := 0; i < len(p); i++ {
		switch p[i] {
		case '{':
			depth++
		case '}':
			if depth > 0 {
				depth--
			}
		case '/':
			if depth == 0 {
				raw = append(raw, p[start:i])
				start = i + 1
			}
		}
	}
	return append(raw, p[start:])
}

// parseRouteSeg parses the text of one segment; last says whether it ends
// the path.
func parseRouteSeg(r string, router, last bool) (routeSeg, error) {
	if router {
		whole := ""
		if strings.HasPrefix(r, "{") {
			if end, err := closeBrace(r, 0); err == nil && end == len(r)-1 {
				whole = r[1:end]
			}
		}
		switch {
		case r == "*" || strings.HasSuffix(whole, "..."):
			if !last {
				return routeSeg{}, errors.New("the wildcard " + r + " is not the last segment")
			}
			return routeSeg{rest: true}, nil
		case whole == "$":
			if !last {
				return routeSeg{}, errors.New("{$} is not the last segment")
			}
			return routeSeg{}, nil
		}
	}
	var s routeSeg
	for i := 0; i < len(r); {
		switch r[i] {
		case '}':
			return routeSeg{}, errors.New(`"}" without "{"`)
		case '{':
			end, err := closeBrace(r, i)
			if err != nil {
				return routeSeg{}, err
			}
			inner := r[i+1 : end]
			switch {
			case inner == "":
				return routeSeg{}, errors.New("empty parameter name")
			case router && (inner == "$" || strings.HasSuffix(inner, "...")):
				return routeSeg{}, errors.New("{" + inner + "} is not a whole segment")
			}
			if n := len(s.parts); n > 0 && s.parts[n-1] == paramPart {
				return routeSeg{}, errors.New("two parameters are adjacent")
			}
			s.parts = append(s.parts, paramPart)
			i = end + 1
		default:
			j := strings.IndexAny(r[i:], "{}")
			if j < 0 {
				j = len(r) - i
			}
			s.parts = append(s.parts, r[i:i+j])
			i += j
		}
	}
	return s, nil
}

// closeBrace returns the index of the "}" that closes the "{" at p[open],
// counting nested braces.
func closeBrace(p string, open int) (int, error) {
	depth := 0
	for j := open; j < len(p); j++ {
		switch p[j] {
		case '{':
			depth++
		case '}':
			depth--
			if depth == 0 {
				return j, nil
			}
		}
	}
	return 0, errors.New(`"{" without "}"`)
}
