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
	fn         func(*http.Request, string) string // Config.PathValue
}

// get returns the path value name.
func (pv pathValues) get(r *http.Request, name string) string {
	switch {
	case pv.fn != nil:
		return pv.fn(r, name)
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

// fill sets the path values on r before a user function reads them with
// r.PathValue. The router sets the same values again when it runs.
func (pv pathValues) fill(r *http.Request) {
	switch {
	case pv.chi != nil:
		keys, vals := pv.chi.URLParams.Keys, pv.chi.URLParams.Values
		for i := range keys {
			if i < len(vals) && keys[i] != "*" {
				r.SetPathValue(keys[i], vals[i])
			}
		}
	case pv.muxPattern != "":
		muxWildcards(pv.muxPattern, r.URL.EscapedPath(), func(n, raw string) bool {
			r.SetPathValue(n, unescape(raw))
			return true
		})
	}
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
