package authz

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/go-chi/chi/v5"
)

// pathValues is where a rule finds the request's path values. When the
// policy runs after the router, they are on the request (r.PathValue). When
// it runs before (wrapping a ServeMux, or r.Use on a chi router), the router
// has not set them yet, so they come from the pattern the policy matched.
// It is passed by value so evaluating a rule does not allocate.
type pathValues struct {
	muxPattern string                             // a ServeMux pattern matched before the mux ran
	chi        *chi.Context                       // a route context chi's Find filled before chi routed
	live       *chi.Context                       // the route context chi will route with, when chi is set
	fn         func(*http.Request, string) string // Config.PathValue
}

// get returns the path value name.
func (pv pathValues) get(r *http.Request, name string) string {
	switch {
	case pv.fn != nil:
		l := pv.lend()
		v := pv.fn(r, name)
		pv.restore(l)
		return v
	case pv.chi != nil:
		return pv.chi.URLParam(name)
	case pv.muxPattern != "":
		var val string
		muxWildcards(pv.muxPattern, r.URL.EscapedPath(), func(n, raw string) bool {
			if n != name {
				return true
			}
			val = unescape(raw)
			return false
		})
		return val
	}
	return r.PathValue(name)
}

// fill makes the path values readable by a user function (an Owner
// resolver, a Func rule) the router's own way before the router has run:
// it sets them on r for r.PathValue, and on chi also lends them to chi's
// route context for chi.URLParam. The router sets the same values again
// when it runs. Call restore with the result once the function returns.
func (pv pathValues) fill(r *http.Request) lent {
	switch {
	case pv.chi != nil:
		keys, vals := pv.chi.URLParams.Keys, pv.chi.URLParams.Values
		for i := range keys {
			if i < len(vals) && keys[i] != "*" {
				r.SetPathValue(keys[i], vals[i])
			}
		}
		return pv.lend()
	case pv.muxPattern != "":
		muxWildcards(pv.muxPattern, r.URL.EscapedPath(), func(n, raw string) bool {
			r.SetPathValue(n, unescape(raw))
			return true
		})
	}
	return lent{keys: -1}
}

// lent is how many URL parameters chi's route context held before lend
// added the ones Find matched; keys is -1 when nothing was lent.
type lent struct{ keys, vals int }

// lend appends the URL parameters chi's Find matched to the route context
// chi will route with, so chi.URLParam reads them before chi has routed:
// the policy in r.Use runs before chi's routing fills that context. The
// context then holds what chi will set itself: Find matched from the root
// router, so the parameters of the routers that have already routed (the
// policy in a mounted subrouter's r.Use) are there already and are
// skipped, and the "*" of each mount point is empty, as chi leaves it when
// it hands the request to the subrouter (only the last "*", a catch-all
// route's, keeps its value).
func (pv pathValues) lend() lent {
	if pv.chi == nil || pv.live == nil {
		return lent{keys: -1}
	}
	p := &pv.live.URLParams
	l := lent{keys: len(p.Keys), vals: len(p.Values)}
	keys, vals := pv.chi.URLParams.Keys, pv.chi.URLParams.Values
	for i := min(l.keys, l.vals); i < len(keys) && i < len(vals); i++ {
		v := vals[i]
		if keys[i] == "*" && i < len(keys)-1 {
			v = ""
		}
		p.Keys = append(p.Keys, keys[i])
		p.Values = append(p.Values, v)
	}
	return l
}

// restore takes back what lend added: chi appends the parameters it
// matches to its route context, so parameters left there would reach the
// handler twice.
func (pv pathValues) restore(l lent) {
	if l.keys < 0 {
		return
	}
	p := &pv.live.URLParams
	p.Keys, p.Values = p.Keys[:l.keys], p.Values[:l.vals]
}

func unescape(raw string) string {
	if v, err := url.PathUnescape(raw); err == nil {
		return v
	}
	return ""
}

// muxWildcards calls f with the name and the raw (escaped) path text of
// each wildcard of a ServeMux pattern ("[METHOD ][HOST]/path/{name}/{rest...}")
// matched against path, until f returns false. The mux has already matched
// the pattern, so segments align one to one; "{name...}" takes the rest.
func muxWildcards(pattern, path string, f func(name, raw string) bool) {
	if i := strings.IndexAny(pattern, " \t"); i >= 0 {
		pattern = strings.TrimLeft(pattern[i:], " \t")
	}
	i := strings.IndexByte(pattern, '/')
	if i < 0 || path == "" || path[0] != '/' {
		return
	}
	pattern = pattern[i:]
	for len(pattern) > 0 && len(path) > 0 {
		pattern, path = pattern[1:], path[1:]
		pseg, prest := cutSegment(pattern)
		qseg, qrest := cutSegment(path)
		if len(pseg) > 2 && pseg[0] == '{' && pseg[len(pseg)-1] == '}' {
			name := pseg[1 : len(pseg)-1]
			switch {
			case name == "$":
				return
			case strings.HasSuffix(name, "..."):
				f(name[:len(name)-3], path)
				return
			}
			if !f(name, qseg) {
				return
			}
		}
		pattern, path = prest, qrest
	}
}

func cutSegment(s string) (seg, rest string) {
	if i := strings.IndexByte(s, '/'); i >= 0 {
		return s[:i], s[i:]
	}
	return s, ""
}
