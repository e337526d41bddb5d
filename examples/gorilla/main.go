// Command gorilla is the quickstart's items API on a gorilla/mux router,
// behind apishield's full middleware stack, with problem responses for
// every failure. Copy it as a starting point for a gorilla/mux service.
//
//	go run ./examples/gorilla                      # http://127.0.0.1:8080
//	go run ./examples/gorilla -addr 127.0.0.1:9000
//
// It needs no configuration and serves plain HTTP on a loopback address
// only. To serve HTTPS, build the TLS config with tlsconfig and serve TLS
// (run has both spots marked):
//
//	cfg.TLSConfig, err = tlsconfig.Server(tlsconfig.Config{Certificates: certs})
//	errc <- srv.ServeTLS(ln, "", "") // instead of srv.Serve(ln)
//
// gorilla/mux runs r.Use middleware only after a route matched, so the
// layers that must see every request (errors, audit, rate limit by IP)
// wrap the whole router, and its NotFoundHandler and
// MethodNotAllowedHandler answer with apishield problems; see router.go.
//
// It plays its own development-only identity provider (auth/authtest, see
// startup.go), which signs one-hour demo access tokens that it prints with
// curl commands to try. items.go is the API it serves, the same as the
// quickstart's.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/apishield/apishield/audit"
	"github.com/apishield/apishield/tlsconfig"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "gorilla:", err)
		os.Exit(1)
	}
}

// run starts the server and serves until ctx is done. It prints the address
// and the curl commands to stdout once the listener is ready; audit events
// follow on stdout as JSON lines.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("gorilla", flag.ContinueOnError)
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
	aud, err := audit.New(audit.Config{Handlers: []slog.Handler{audit.NewJSONHandler(stdout, nil)}})
	if err != nil {
		return err
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := aud.Close(ctx); err != nil { // flush the queued events; the audit trail is a security record
			logger.Error("audit events not flushed at shutdown", slog.Any("error", err))
		}
	}()
	handler, err := newHandler(ctx, logger, dev, aud)
	if err != nil {
		return err
	}
	cfg := tlsconfig.HTTPServerConfig{Handler: handler, Logger: logger}
	// HTTPS: set cfg.TLSConfig here (see the package doc).
	srv, err := tlsconfig.NewHTTPServer(cfg)
	if err != nil {
		return err
	}

	printBanner(stdout, "apishield gorilla/mux example listening on "+base, base, demoTokens(dev), "Try:", curlCommands(base))

	return serve(ctx, srv, func() error { return srv.Serve(ln) }) // HTTPS: srv.ServeTLS(ln, "", "")
}

// audience is the aud the API's tokens must carry.
const audience = "apishield-example-gorilla"

// curlCommands are the commands printed at start, each ending with the
// status it should produce; the test runs every one of them.
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
