package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/apishield/apishield/audit"
)

// newAuditor returns the example's auditor: one security event per
// request, as Elastic Common Schema JSON lines on w (stdout), which a log
// shipper can forward to a SIEM as they are. A real service would add a
// second handler (a file, a collector) and a ChainKey for tamper evidence.
func newAuditor(w io.Writer) (*audit.Auditor, error) {
	return audit.New(audit.Config{Handlers: []slog.Handler{audit.NewJSONHandler(w, nil)}})
}

// closeAuditor flushes the events still queued, giving a stuck sink five
// seconds; its error says the flush did not finish in time.
func closeAuditor(aud *audit.Auditor) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return aud.Close(ctx)
}

// withRoute records the route chi will match before anything else runs,
// so the audit event names the route even for a request that rate limiting
// or auth refuses before chi routes it. It asks the root router (the route
// context's Routes) with chi's Find, as the policy does.
func withRoute(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rctx := chi.RouteContext(r.Context()); rctx != nil && rctx.Routes != nil {
			if pat := rctx.Routes.Find(chi.NewRouteContext(), r.Method, r.URL.Path); pat != "" {
				audit.SetRoute(r, r.Method+" "+cleanPattern(pat))
			}
		}
		next.ServeHTTP(w, r)
	})
}

// cleanPattern spells a pattern from chi's Find as the policy's keys do:
// Find reports "/v1/items/*/{id}" for a route inside r.Route("/v1/items"),
// where chi's RoutePattern says "/v1/items/{id}".
func cleanPattern(p string) string {
	for strings.Contains(p, "/*/") {
		p = strings.ReplaceAll(p, "/*/", "/")
	}
	if p != "/" {
		p = strings.TrimRight(p, "/")
	}
	return p
}
