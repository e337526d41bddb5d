// Command chi is the quickstart's items API on a chi router: apishield's
// middleware in r.Use, problem responses for unknown routes and methods,
// validators on routes and route groups with r.With, and an authz policy
// written in chi's patterns and checked against the router at start-up.
// Copy it as a starting point for a chi service.
//
//	go run ./examples/chi                       # http://127.0.0.1:8080
//	go run ./examples/chi -addr 127.0.0.1:9000
//
// It needs no configuration. It plays its own development-only identity
// provider (auth/authtest, see startup.go), which signs one-hour demo access
// tokens that it prints with curl commands to try; /v1/* require a token,
// /healthz does not. items.go is the API it serves, the same as the
// quickstart's.
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

	"github.com/go-chi/chi/v5"

	"github.com/apishield/apishield/audit"
	"github.com/apishield/apishield/auth"
	"github.com/apishield/apishield/auth/authtest"
	apierrors "github.com/apishield/apishield/errors"
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
	dev, err := newDevIssuer(base, audience)
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

	printBanner(stdout, "apishield chi example listening on "+base, base, demoTokens(dev), "Try:", curlCommands(base))

	return serve(ctx, srv, func() error { return srv.Serve(ln) })
}

// audience is the aud the API's tokens must carry.
const audience = "apishield-chi-example"

// newHandler builds the router: the middleware stack, the routes, and the
// policy, checked against the routes before anything is served.
func newHandler(ctx context.Context, logger *slog.Logger, dev *authtest.Issuer, aud *audit.Auditor) (http.Handler, error) {
	responder, err := apierrors.NewResponder(apierrors.Config{Logger: logger})
	if err != nil {
		return nil, err
	}
	v, err := newItemValidators(chi.URLParam)
	if err != nil {
		return nil, err
	}
	jwt, err := newVerifier(ctx, dev, audience, logger)
	if err != nil {
		return nil, err
	}
	// Anonymous requests pass auth without a principal; the policy decides
	// (only public routes let them through). Bad credentials are refused.
	authn, err := auth.New(auth.Config{Authenticators: []auth.Authenticator{jwt}, AllowAnonymous: true, Logger: logger})
	if err != nil {
		return nil, err
	}
	perIP, perSubject, err := newRateLimits(nil, logger) // in memory
	if err != nil {
		return nil, err
	}
	items := newItemStore()
	policy, err := newPolicy(items, v, logger)
	if err != nil {
		return nil, err
	}
	bodyLimit, err := newBodyLimit()
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
// The development issuer's documents are served beside the API
// (startup.go).
func routes(r chi.Router, dev *authtest.Issuer, items *itemStore, v *itemValidators) {
	r.Get("/healthz", healthz)
	r.Get(authtest.DiscoveryPath, dev.ServeDiscovery)
	r.Get(authtest.JWKSPath, dev.ServeJWKS)
	r.With(v.list.Handler).Get("/v1/items", items.list)
	r.With(v.create.Handler).Post("/v1/items", items.create)
	// The routes that address one item share the path validator.
	r.With(v.id.Handler).Group(func(r chi.Router) {
		r.Get("/v1/items/{id}", items.get)
		r.Delete("/v1/admin/items/{id}", items.remove)
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
		"curl -i " + token + base + "/v1/items/abc  # 422",
		"curl -i -X DELETE " + adminMFA + base + "/v1/admin/items/abc  # 422",
		"curl -i -X DELETE " + admin + base + "/v1/admin/items/1  # 401",
		"curl -i -X DELETE " + adminMFA + base + "/v1/admin/items/1  # 200",
		"curl -i -X POST " + token + jsonBody + `-d '{"name":"","price":-1,"owner":"me"}' ` + base + "/v1/items  # 422",
		"curl -i -X POST " + token + `-H 'Content-Type: text/plain' -d '{"name":"pen","price":3}' ` + base + "/v1/items  # 415",
		"curl -i " + token + "'" + base + "/v1/items?limit=0'  # 422",
		"curl -i " + base + "/v1/nope  # 404",
		"curl -i -X DELETE " + token + base + "/v1/items  # 405",
	}
}
