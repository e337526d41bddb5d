// Command quickstart is the smallest apishield API: a standard-library
// ServeMux behind apishield's middleware, with problem responses for every
// failure. Copy it as a starting point.
//
//	go run ./examples/quickstart              # HTTPS on localhost:8443
//	go run ./examples/quickstart -http        # plain HTTP, loopback only
//	go run ./examples/quickstart -addr 127.0.0.1:9000
//	go run ./examples/quickstart -metrics-addr ""  # no /metrics listener
//
// It needs no configuration. HTTPS uses a self-signed development
// certificate made at start (tlsconfig.SelfSigned), written to a file for
// curl's --cacert. It plays its own development-only identity provider
// (auth/authtest, see startup.go), which signs one-hour demo access tokens
// that it prints with curl commands to try; /v1/items* require a token,
// /healthz does not. Prometheus metrics are served at
// http://127.0.0.1:9464/metrics (-metrics-addr, loopback only; see metrics.go).
//
// The files: main.go wires the stack, policy.go says who may do what,
// items.go is the API it serves, signout.go signs users out everywhere
// (revoking their tokens, audited), audit.go and limits.go configure those
// packages, metrics.go serves Prometheus metrics, startup.go is the
// development issuer and the banner.
package main

import (
	"context"
	"crypto/tls"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/apishield/apishield/audit"
	"github.com/apishield/apishield/auth"
	"github.com/apishield/apishield/auth/authtest"
	"github.com/apishield/apishield/cors"
	apierrors "github.com/apishield/apishield/errors"
	"github.com/apishield/apishield/headers"
	"github.com/apishield/apishield/route"
	"github.com/apishield/apishield/tlsconfig"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

// run starts the server and serves until ctx is done. It prints the address
// and the curl commands to stdout once the listener is ready.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("quickstart", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "localhost:8443", "address to listen on")
	plain := fs.Bool("http", false, "serve plain HTTP instead of HTTPS (loopback addresses only)")
	certOut := fs.String("cert-out", filepath.Join(os.TempDir(), "apishield-quickstart-cert.pem"),
		"where to write the development certificate, for curl --cacert")
	metricsAddr := fs.String("metrics-addr", defaultMetricsAddr,
		`where to serve Prometheus metrics at /metrics, plain HTTP on a loopback address only; "" serves none`)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *metricsAddr != "" {
		if err := checkMetricsAddr(*metricsAddr); err != nil {
			return err
		}
	}
	logger := slog.New(slog.NewJSONHandler(stderr, nil))

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	defer ln.Close()
	scheme, curl := "https", "curl -i --cacert "+*certOut
	if *plain {
		if ip := ln.Addr().(*net.TCPAddr).IP; !ip.IsLoopback() {
			return fmt.Errorf("-http serves only on a loopback address, not %s: use HTTPS elsewhere", ip)
		}
		scheme, curl = "http", "curl -i"
	}
	base := scheme + "://" + displayAddr(*addr, ln.Addr())
	headline := "apishield quickstart listening on " + base
	var metricsCurl string
	if *metricsAddr != "" {
		// Before the handler, so that apishield's packages find the
		// MeterProvider installed (they would also pick it up later).
		m, err := startMetrics(ctx, *metricsAddr, logger)
		if err != nil {
			return err
		}
		defer m.Close()
		headline += "\nPrometheus metrics on " + m.URL + " (loopback only)"
		metricsCurl = "curl -i " + m.URL + "  # 200"
	}
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
	handler, err := newHandler(ctx, logger, dev, aud, devHosts)
	if err != nil {
		return err
	}
	cfg := tlsconfig.HTTPServerConfig{Handler: handler, Logger: logger}
	if !*plain {
		// A development certificate, made at start and valid for a day. A
		// real deployment loads its own with tlsconfig.NewReloader.
		cert, err := tlsconfig.SelfSigned(devCertNames...)
		if err != nil {
			return err
		}
		if err := tlsconfig.WriteCertificatePEM(*certOut, cert); err != nil {
			return err
		}
		if cfg.TLSConfig, err = tlsconfig.Server(tlsconfig.Config{Certificates: []tls.Certificate{cert}}); err != nil {
			return err
		}
		hsts, err := tlsconfig.NewHSTS(tlsconfig.HSTSConfig{})
		if err != nil {
			return err
		}
		cfg.Handler = hsts.Handler(handler) // outermost, so problems carry it too
	}
	srv, err := tlsconfig.NewHTTPServer(cfg)
	if err != nil {
		return err
	}

	commands := curlCommands(base)
	for i, c := range commands {
		commands[i] = strings.Replace(c, "curl -i", curl, 1)
	}
	if metricsCurl != "" {
		commands = append(commands, metricsCurl)
	}
	printBanner(stdout, headline, base, demoTokens(dev), "Try:", commands)

	return serve(ctx, srv, func() error {
		if *plain {
			return srv.Serve(ln)
		}
		return srv.ServeTLS(ln, "", "")
	})
}

// audience is the aud the API's tokens must carry.
const audience = "apishield-quickstart"

// The names the development certificate is for, and so the only hosts the
// quickstart serves: a request naming another Host gets 421. A real
// deployment lists its public names.
var (
	frontEndOrigin = "http://localhost:3000" // a development front end's origin
	devCertNames   = []string{"localhost", "127.0.0.1", "::1"}
	devHosts       = []string{"localhost", "127.0.0.1", "[::1]"}
)

// newHandler builds the API and its middleware stack; hosts are the Host
// names it serves.
func newHandler(ctx context.Context, logger *slog.Logger, dev *authtest.Issuer, aud *audit.Auditor, hosts []string) (http.Handler, error) {
	responder, err := apierrors.NewResponder(apierrors.Config{Logger: logger})
	if err != nil {
		return nil, err
	}
	// The API security-header profile on every response (nosniff, a CSP
	// that loads nothing, no-referrer, CORP, no-store when authenticated),
	// and the Host allow-list against host-header injection.
	secHeaders, err := headers.New(headers.Config{})
	if err != nil {
		return nil, err
	}
	hostCheck, err := headers.NewHosts(headers.HostsConfig{Allow: hosts})
	if err != nil {
		return nil, err
	}
	// Browsers may call the API from the front end's origin only, and read
	// the request ID and the challenge and retry headers of its answers.
	// Preflights are answered here, before auth and the policy.
	crossOrigin, err := cors.New(cors.Config{Policy: cors.Policy{
		AllowedOrigins: []string{frontEndOrigin},
		AllowedMethods: []string{"GET", "POST", "DELETE"},
		AllowedHeaders: []string{"Authorization", "Content-Type"},
		ExposedHeaders: []string{"X-Request-Id", "Retry-After", "WWW-Authenticate"},
		MaxAge:         time.Hour,
	}})
	if err != nil {
		return nil, err
	}
	v, err := newItemValidators(nil) // {id} from r.PathValue
	if err != nil {
		return nil, err
	}
	jwt, err := newVerifier(ctx, dev, audience, logger)
	if err != nil {
		return nil, err
	}
	// Anonymous requests pass auth without a principal; the policy decides
	// (only public routes let them through). Bad credentials are refused.
	// Signed-out users' tokens are refused (signout.go).
	sess, err := newSessions(aud, jwt.Issuer())
	if err != nil {
		return nil, err
	}
	authn, err := auth.New(auth.Config{Authenticators: []auth.Authenticator{jwt}, AllowAnonymous: true, Logger: logger, Revocations: sess.revs})
	if err != nil {
		return nil, err
	}
	items := newItemStore()
	mux := http.NewServeMux()
	var patterns []string
	for _, rt := range routes(dev, items, v, sess) {
		mux.Handle(rt.pattern, rt.handler)
		patterns = append(patterns, rt.pattern)
	}
	policy, err := newPolicy(mux, items, v, patterns, logger)
	if err != nil {
		return nil, err
	}
	perIP, perSubject, err := rateLimits(logger)
	if err != nil {
		return nil, err
	}
	bodyLimit, err := newBodyLimit()
	if err != nil {
		return nil, err
	}

	// Outermost first: errors (request ID, panics) → route (which pattern
	// the mux will match, for every package) → audit → security headers →
	// Host allow-list → rate limit by IP → CORS (preflights answered here)
	// → auth → rate limit by subject →
	// authz policy → body limit → routes, each route with its validator
	// (policy.go). The body limit bounds every route's body, unknown
	// paths' too, before anything reads it.
	var h http.Handler = apierrors.Mux(mux)
	h = bodyLimit.Handler(h)
	h = policy.Handler(h)
	h = perSubject.Handler(h)
	h = authn.Handler(h)
	h = crossOrigin.Handler(h)
	h = perIP.Handler(h)
	h = hostCheck.Handler(h)
	h = secHeaders.Handler(h)
	h = aud.Handler(h)
	h = route.Mux(mux)(h) // the route for every package, even for early refusals
	return responder.Handler(h), nil
}

// curlCommands are the commands printed at start (run adds the TLS flags).
// Each ends with the status it should produce; the quickstart's test runs
// every one of them, with the exported tokens.
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
		"curl -i -H 'Host: evil.example' " + base + "/healthz  # 421",
		"curl -i -X OPTIONS -H 'Origin: " + frontEndOrigin + "' -H 'Access-Control-Request-Method: POST' " +
			"-H 'Access-Control-Request-Headers: authorization, content-type' " + base + "/v1/items  # 204",
		"curl -i -H 'Origin: https://evil.example' " + token + base + "/v1/items  # 403",
		// Sign the reader out everywhere: the READER token stops working.
		"curl -i -X DELETE " + admin + base + "/v1/admin/sessions/reader-user  # 401",
		"curl -i -X DELETE " + adminMFA + base + "/v1/admin/sessions/reader-user  # 200",
		"curl -i " + reader + base + "/v1/items  # 401",
	}
}

// displayAddr shows the address the user asked for with the port the
// listener got, so ":0" and "localhost:0" print something dialable.
func displayAddr(requested string, got net.Addr) string {
	host, _, err := net.SplitHostPort(requested)
	_, port, err2 := net.SplitHostPort(got.String())
	if err != nil || err2 != nil {
		return got.String()
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "localhost"
	}
	return net.JoinHostPort(host, port)
}
