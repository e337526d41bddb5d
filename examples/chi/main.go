// Command chi is the quickstart's items API on a chi router: apishield's
// middleware in r.Use, problem responses for unknown routes and methods,
// validators on routes and route groups with r.With, and an authz policy
// written in chi's patterns and checked against the router at start-up.
// Copy it as a starting point for a chi service.
//
//	go run ./examples/chi                       # http://127.0.0.1:8080
//	go run ./examples/chi -addr 127.0.0.1:9000
//
// It needs no configuration. A development-only issuer inside it
// (examples/internal/devissuer) signs one-hour demo access tokens, which it prints with
// curl commands to try; /v1/* require a token, /healthz does not.
//
// It serves plain HTTP, and only on a loopback address. To serve HTTPS,
// load a certificate and key (reloaded when the files change) into cfg in
// run, checking each err:
//
//	certs, err := tlsconfig.NewReloader("cert.pem", "key.pem")
//	cfg.TLSConfig, err = tlsconfig.Server(tlsconfig.Config{GetCertificate: certs.GetCertificate})
//
// then call srv.ServeTLS(ln, "", "") instead of srv.Serve(ln) and drop the
// loopback check. examples/quickstart serves HTTPS this way, with HSTS.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/apishield/apishield/audit"
	"github.com/apishield/apishield/auth"
	apierrors "github.com/apishield/apishield/errors"
	"github.com/apishield/apishield/examples/internal/demo"
	"github.com/apishield/apishield/examples/internal/devissuer"
	"github.com/apishield/apishield/examples/internal/startup"
	"github.com/apishield/apishield/route"
	"github.com/apishield/apishield/tlsconfig"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "chi:", err)
		os.Exit(1)
	}
}

// run starts the server and serves until ctx is done. It prints the address
// and the curl commands to stdout once the listener is ready.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("chi", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:8080", "loopback address to listen on (plain HTTP)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	logger := slog.New(slog.NewJSONHandler(stderr, nil))

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	defer ln.Close()
	if ip := ln.Addr().(*net.TCPAddr).IP; !ip.IsLoopback() {
		return fmt.Errorf("plain HTTP serves only on a loopback address, not %s: add TLS (see the package doc) to serve elsewhere", ip)
	}
	base := "http://" + ln.Addr().String()
	dev, err := devissuer.New(base, "apishield-chi-example")
	if err != nil {
		return err
	}
	tokens, err := dev.DemoTokens(time.Hour)
	if err != nil {
		return err
	}
	aud, err := newAuditor(stdout)
	if err != nil {
		return err
	}
	defer func() {
		if err := closeAuditor(aud); err != nil { // the audit trail is a security record: say it is incomplete
			logger.Error("audit events not flushed at shutdown", slog.Any("error", err))
		}
	}()
	handler, err := newHandler(ctx, logger, dev, aud)
	if err != nil {
		return err
	}
	cfg := tlsconfig.HTTPServerConfig{Handler: handler, Logger: logger} // timeouts and header limits
	srv, err := tlsconfig.NewHTTPServer(cfg)
	if err != nil {
		return err
	}

	startup.Banner(stdout, "apishield chi example listening on "+base, base, tokens, "Try:", curlCommands(base))

	return startup.Serve(ctx, srv, func() error { return srv.Serve(ln) })
}

// newHandler builds the router: the middleware stack, the routes, and the
// policy, checked against the routes before anything is served.
func newHandler(ctx context.Context, logger *slog.Logger, dev *devissuer.Issuer, aud *audit.Auditor) (http.Handler, error) {
	responder, err := apierrors.NewResponder(apierrors.Config{Logger: logger})
	if err != nil {
		return nil, err
	}
	v, err := demo.NewValidators(chi.URLParam)
	if err != nil {
		return nil, err
	}
	jwt, err := dev.Verifier(ctx, logger)
	if err != nil {
		return nil, err
	}
	// Anonymous requests pass auth without a principal; the policy decides
	// (only public routes let them through). Bad credentials are refused.
	authn, err := auth.New(auth.Config{Authenticators: []auth.Authenticator{jwt}, AllowAnonymous: true, Logger: logger})
	if err != nil {
		return nil, err
	}
	perIP, perSubject, err := demo.RateLimits(nil, logger) // in memory; see examples/quickstart/limits.go for Redis
	if err != nil {
		return nil, err
	}
	items := demo.NewStore()
	policy, err := newPolicy(items, logger)
	if err != nil {
		return nil, err
	}
	bodyLimit, err := demo.BodyLimit()
	if err != nil {
		return nil, err
	}

	r := chi.NewRouter()
	// Outermost first: errors (request ID, panics) → audit → rate limit by
	// IP → auth → rate limit by subject → authz policy → body limit. The
	// validators are on the routes, innermost. chi runs this stack for
	// every request, unknown routes included, so their 404s and 405s are
	// problems with a request ID and an audit event, and every body is
	// bounded before anything reads it.
	r.Use(responder.Handler, route.Chi(r), aud.Handler, perIP.Handler, authn.Handler, perSubject.Handler, policy.Handler, bodyLimit.Handler)
	r.NotFound(apierrors.NotFound)
	r.MethodNotAllowed(apierrors.MethodNotAllowed)

	routes(r, dev, items, v)

	// Every route needs a policy entry: a forgotten one stops the server
	// here instead of being refused (403) on every request.
	if err := policy.CheckChi(r); err != nil {
		return nil, err
	}
	return r, nil
}

// routes registers the API's routes, each with its validator (innermost,
// after the policy has allowed the request). Their patterns are the
// policy's keys (policy.go).
//
// The groups are r.With and r.Group, which stay on the root router, rather
// than r.Route, which mounts a subrouter: the policy learns the route before
// chi routes, with chi's Find, and for a request to a mount's own path (a
// DELETE /v1/items under r.Route("/v1/items")) Find names the mount, not a
// route, so the policy would refuse it with 403 where chi answers 405.
func routes(r chi.Router, dev *devissuer.Issuer, items *demo.Store, v *demo.Validators) {
	r.Get("/healthz", healthz)
	r.Get(devissuer.DiscoveryPath, dev.ServeDiscovery)
	r.Get(devissuer.JWKSPath, dev.ServeJWKS)
	r.With(v.List.Handler).Get("/v1/items", items.List)
	r.With(v.Create.Handler).Post("/v1/items", items.Create)
	// The routes that address one item share the path validator.
	r.With(v.ID.Handler).Group(func(r chi.Router) {
		r.Get("/v1/items/{id}", items.Get)
		r.Delete("/v1/admin/items/{id}", items.Delete)
	})
}

// curlCommands are the commands printed at start. Each ends with the status
// it should produce; the example's test runs every one of them, with the
// exported tokens.
func curlCommands(base string) []string {
	const (
		token    = `-H "Authorization: Bearer $TOKEN" `
		reader   = `-H "Authorization: Bearer $READER" `
		admin    = `-H "Authorization: Bearer $ADMIN" `
		adminMFA = `-H "Authorization: Bearer $ADMIN_MFA" `
		jsonBody = `-H 'Content-Type: application/json' `
	)
	return []string{
		"curl -i " + base + "/healthz  # 200",
		"curl -i " + base + "/v1/items  # 401",
		"curl -i -H 'Authorization: Bearer not-a-token' " + base + "/v1/items  # 401",
		"curl -i " + token + base + "/v1/items  # 200",
		"curl -i -X POST " + token + jsonBody + `-d '{"name":"pen","price":3}' ` + base + "/v1/items  # 201",
		"curl -i -X POST " + reader + jsonBody + `-d '{"name":"pen","price":3}' ` + base + "/v1/items  # 403",
		"curl -i " + token + base + "/v1/items/1  # 200",
		"curl -i " + reader + base + "/v1/items/1  # 404",
		"curl -i -X POST " + token + jsonBody + `-d '{"name":' ` + base + "/v1/items  # 400",
		"curl -i " + token + base + "/v1/items/999  # 404",
		"curl -i -X DELETE " + admin + base + "/v1/admin/items/1  # 401",
		"curl -i -X DELETE " + adminMFA + base + "/v1/admin/items/1  # 200",
		"curl -i -X DELETE " + adminMFA + base + "/v1/admin/items/abc  # 422",
		"curl -i -X POST " + token + jsonBody + `-d '{"name":"","price":-1,"owner":"me"}' ` + base + "/v1/items  # 422",
		"curl -i -X POST " + token + `-H 'Content-Type: text/plain' -d '{"name":"pen","price":3}' ` + base + "/v1/items  # 415",
		"curl -i " + token + "'" + base + "/v1/items?limit=0'  # 422",
		"curl -i " + base + "/v1/nope  # 404",
		"curl -i -X DELETE " + token + base + "/v1/items  # 405",
	}
}

func healthz(w http.ResponseWriter, r *http.Request) {
	demo.WriteJSON(w, r, http.StatusOK, map[string]string{"status": "ok"})
}
