package audit

import (
	"net/http"

	"github.com/apishield/apishield/internal/record"
)

// Routes wraps a ServeMux (or anything else that sets Request.Pattern on
// the request it serves) so the matched route pattern reaches the request
// record, and so the audit event, whatever the middleware between the
// auditor and the mux does to the request.
//
// It is needed only in that case: ServeMux sets Pattern on the
// *http.Request it is given, so an auditor whose next handler is the mux
// (or errors.Mux around it) reads the pattern itself. A middleware that
// calls r.WithContext in between (auth does, to add the principal) hands
// the mux a copy, and the pattern set on the copy is invisible outside.
// With chi, use the auditor in r.Use: it reads chi's route context.
func Routes(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r)
		if r.Pattern == "" {
			return
		}
		if rec := record.From(r.Context()); rec != nil && rec.Route() == "" {
			rec.SetRoute(r.Pattern)
		}
	})
}

// SetRoute records the matched route pattern for the request's audit event,
// for routers the auditor cannot read by itself, such as gorilla/mux:
//
//	r.Use(func(next http.Handler) http.Handler {
//		return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
//			if tpl, err := mux.CurrentRoute(req).GetPathTemplate(); err == nil {
//				audit.SetRoute(req, req.Method+" "+tpl)
//			}
//			next.ServeHTTP(w, req)
//		})
//	})
//
// It does nothing for a request without a record (no apishield middleware
// outside it).
func SetRoute(r *http.Request, pattern string) {
	if rec := record.From(r.Context()); rec != nil {
		rec.SetRoute(pattern)
	}
}
