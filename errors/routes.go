package errors

import (
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"
)

// NotFound writes a 404 not_found problem. Its signature fits chi's
// r.NotFound and gorilla/mux's NotFoundHandler (as http.HandlerFunc).
func NotFound(w http.ResponseWriter, r *http.Request) {
	Write(w, r, &Problem{Status: http.StatusNotFound, Reason: ReasonNotFound,
		Detail: "No resource matches the request."})
}

// MethodNotAllowed writes a 405 method_not_allowed problem. The Allow header
// the router set on w (chi and [Mux] do) is kept. Its signature fits chi's
// r.MethodNotAllowed and gorilla/mux's MethodNotAllowedHandler.
func MethodNotAllowed(w http.ResponseWriter, r *http.Request) {
	if len(w.Header().Values("Allow")) == 0 {
		if allow := chiAllow(r); allow != "" {
			w.Header().Set("Allow", allow)
		}
	}
	Write(w, r, &Problem{Status: http.StatusMethodNotAllowed, Reason: ReasonMethodNotAllowed,
		Detail: "The resource does not support the " + safeMethod(r.Method) + " method."})
}

// chiAllow computes the Allow header for a chi router, which does not pass
// the allowed methods to a custom 405 handler.
func chiAllow(r *http.Request) string {
	rctx := chi.RouteContext(r.Context())
	if rctx == nil || rctx.Routes == nil {
		return ""
	}
	path := r.URL.RawPath
	if path == "" {
		path = r.URL.Path
	}
	var allow []string
	for _, m := range [...]string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT", "TRACE"} {
		if rctx.Routes.Match(chi.NewRouteContext(), m, path) {
			allow = append(allow, m)
		}
	}
	return strings.Join(allow, ", ")
}

// safeMethod returns the method if it is a plain token, so the detail never
// echoes arbitrary input.
func safeMethod(m string) string {
	if len(m) == 0 || len(m) > 16 {
		return "requested"
	}
	for i := 0; i < len(m); i++ {
		if c := m[i]; c < 'A' || c > 'Z' {
			return "requested"
		}
	}
	return m
}

// Mux returns a handler that serves mux, but answers with problems where mux
// would write its own plain-text "404 page not found" or "405 method not
// allowed" (keeping the Allow header mux computes). Requests that match a
// pattern go to mux untouched.
func Mux(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, pattern := mux.Handler(r); pattern != "" {
			mux.ServeHTTP(w, r)
			return
		}
		mux.ServeHTTP(&muxInterceptor{ResponseWriter: w, r: r}, r)
	})
}

// muxInterceptor replaces ServeMux's own 404 and 405 replies with problems.
// Any other status (a redirect, for instance) passes through.
type muxInterceptor struct {
	http.ResponseWriter
	r         *http.Request
	intercept bool
}

func (m *muxInterceptor) WriteHeader(status int) {
	switch status {
	case http.StatusNotFound:
		m.intercept = true
		m.clearPlainText()
		NotFound(m.ResponseWriter, m.r)
	case http.StatusMethodNotAllowed:
		m.intercept = true
		m.clearPlainText()
		MethodNotAllowed(m.ResponseWriter, m.r)
	default:
		m.ResponseWriter.WriteHeader(status)
	}
}

// clearPlainText drops the headers http.Error set for its plain-text body.
func (m *muxInterceptor) clearPlainText() {
	h := m.ResponseWriter.Header()
	delete(h, "Content-Type")
}

func (m *muxInterceptor) Write(p []byte) (int, error) {
	if m.intercept {
		return len(p), nil // the plain-text body is replaced by the problem
	}
	return m.ResponseWriter.Write(p)
}

func (m *muxInterceptor) Unwrap() http.ResponseWriter { return m.ResponseWriter }
