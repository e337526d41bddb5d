package route

import (
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/apishield/apishield/internal/record"
)

// Pattern returns the route pattern of r: the one a route middleware
// recorded, else the one chi has matched so far, else the one a ServeMux
// set on r (r.Pattern); "" if none is known. (chi sets r.Pattern too, but
// without the method.)
func Pattern(r *http.Request) string {
	if rec := record.From(r.Context()); rec != nil {
		if p := rec.Route(); p != "" {
			return p
		}
	}
	if rctx := chi.RouteContext(r.Context()); rctx != nil {
		if p := rctx.RoutePattern(); p != "" {
			return r.Method + " " + chiPattern(p)
		}
	}
	return r.Pattern
}

// Func returns middleware that records find(r) as r's route pattern, when
// not empty, before next runs. The request record is installed if no
// apishield middleware has done so.
func Func(find func(*http.Request) string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w, r, rec := record.Install(w, r)
			if rec.Route() == "" {
				if p := find(r); p != "" {
					rec.SetRoute(p)
				}
			}
			next.ServeHTTP(w, r)
		})
	}
}

// Mux returns middleware that records the pattern mux will match for a
// request (mux.Handler), before next runs.
func Mux(mux *http.ServeMux) func(http.Handler) http.Handler {
	return Func(func(r *http.Request) string {
		_, p := mux.Handler(r)
		return p
	})
}

// Chi returns middleware that records the pattern routes will match for a
// request (chi's Find), as "METHOD pattern", before next runs. Use it in
// the router's own r.Use, or around the router.
func Chi(routes chi.Routes) func(http.Handler) http.Handler {
	return Func(func(r *http.Request) string {
		path := r.URL.RawPath
		if path == "" {
			path = r.URL.Path
		}
		p := routes.Find(chi.NewRouteContext(), r.Method, path)
		if p == "" {
			return ""
		}
		return r.Method + " " + chiPattern(p)
	})
}

// chiPattern spells a pattern as chi's RoutePattern does once routing is
// done: mount points' "/*" joints removed, no trailing slash.
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
