// Command gateway is apishield as a central entry point: a reverse proxy
// that applies the whole stack (errors, audit, rate limits, auth, authz,
// validation) in front of an upstream service that has none of it.
//
//	go run ./examples/gateway -demo-upstream                      # with a demo upstream in process
//	go run ./examples/gateway -upstream http://127.0.0.1:9000      # in front of your service
//	go run ./examples/gateway -upstream http://127.0.0.1:9000 -addr 127.0.0.1:8080 \
//		-public-host api.example.com -trusted-proxies 10.0.0.0/8
//	RATELIMIT_SECRET=… go run ./examples/gateway -demo-upstream -redis redis://127.0.0.1:6379/0
//
// Rate limits are kept in memory, per instance. With -redis, every gateway
// instance that uses the same Redis (one server, a Sentinel-managed master,
// or a Cluster given as a comma list of nodes) and the same
// RATELIMIT_SECRET shares one limit.
//
// The gateway forwards by allow-lists, never by deleting what it knows to
// be dangerous: what is not listed below does not reach the upstream, or
// comes back to the client. Every refusal is an RFC 9457 problem, recorded
// in the audit log.
//
// # Routes and methods
//
// Only the routes of the table in policy.go are forwarded, each with its
// authorization rule and, for a body, its schema; any other path or method
// is refused with a 404 or 405 problem. A table entry also lists the
// protocols a request on it may switch to with Upgrade (apiRoute.upgrades);
// none does by default, since a switched connection is a tunnel that no
// middleware sees past the handshake.
//
// # What reaches the upstream
//
// The method, and the path the route matched, in Go's one canonical
// encoding. The query string exactly as it came, once checked (below). The
// body, bounded: at most 1 MiB on a route without a validator.
//
// Client headers, an allow-list: Accept, Accept-Encoding, Accept-Language,
// Content-Type, Content-Length, If-Match, If-None-Match, If-Modified-Since,
// If-Unmodified-Since, Idempotency-Key, Traceparent, Tracestate and
// User-Agent, plus the names given to -forward-headers (which refuses at
// start-up a credential, identity, client-address, original-URL,
// hop-by-hop, upgrade or method-override header). On a WebSocket switch the
// route allows, also Connection, Upgrade, Sec-WebSocket-Key, -Version,
// -Protocol, -Extensions and Origin. Everything else is dropped: among
// others Authorization, Cookie, X-Api-Key, X-Real-IP, True-Client-IP,
// X-Client-IP, CF-Connecting-IP, Fastly-Client-IP, Forwarded,
// X-Forwarded-*, X-Original-*, X-Rewrite-URL, X-Remote-User and
// X-Apishield-*.
//
// The gateway's own headers, which the client cannot set:
//
//	X-Apishield-Subject, X-Apishield-Scopes,     the identity the gateway verified
//	X-Apishield-Auth-Method, X-Apishield-Client-Id
//	X-Request-Id                                  the request ID of the response and the audit event
//	X-Forwarded-For, Forwarded for=               the client address the gateway resolved: the peer, or
//	                                              through -trusted-proxies, as its rate limit and audit log do
//	X-Forwarded-Host, Forwarded host=             -public-host (default: the listen address), never the client's Host
//	X-Forwarded-Proto, Forwarded proto=           the scheme the client used
//
// The upstream may trust them only if nothing but the gateway can reach it:
// bind it to loopback or a private network, or require the gateway's
// client certificate.
//
// # What the gateway refuses, and why
//
// Each of these is a way for the request the upstream reads to differ from
// the one the policy, the validators and the audit log saw. They are
// checked after the per-IP rate limit and before any credential is
// verified (guard.go), and refused with a 400 malformed_request problem
// unless noted:
//
//   - A path with an encoded "/", "\", ".", "%", ";" or control byte, a
//     plain "\" or ";", or that is not UTF-8 once decoded: one more
//     decoding, a Windows path, a Tomcat path parameter or an overlong
//     UTF-8 dot makes it another path (target.go).
//   - A query string that does not parse whole: ";" as a separator (older
//     frameworks split on it, Go drops the pair, so ?x=1;access_token=… hid
//     a token), a malformed escape, an encoded control byte; and an
//     access_token or _method parameter under any spelling a framework
//     reads as one (Access_Token, access.token, _method[]).
//   - A method override: X-HTTP-Method-Override, X-HTTP-Method or
//     X-Method-Override, or _method in the query or a form body (which is
//     read, bounded, to look). Refused rather than stripped: a client that
//     sends one expects another method to run (override.go).
//   - A protocol switch (Upgrade, HTTP2-Settings, Connection: upgrade) the
//     route does not list, and Connection options other than keep-alive,
//     close and TE, which would name headers to strip (upgrade.go).
//   - A header name that spells one the gateway sets or forwards with "_"
//     or other punctuation (X_Apishield_Subject): CGI, WSGI, Rack and PHP
//     upstreams read it as the real one. Refused rather than dropped, so
//     the forgery shows in the audit log (headers.go).
//   - Ambiguous framing: two Content-Type, Content-Encoding,
//     Content-Length, Transfer-Encoding, Host, Idempotency-Key,
//     If-Modified-Since or If-Unmodified-Since headers, a Content-Type that
//     is not one media type, and a body on GET or HEAD; an encoded
//     (compressed) body is a 415 (framing.go). Go's server itself refuses
//     two Host headers, differing Content-Length values and any
//     Transfer-Encoding but "chunked", before the gateway sees them.
//
// # What reaches the client
//
// Upstream response headers, an allow-list that also filters trailers and
// the headers of 1xx responses: Allow, Cache-Control, Content-Disposition,
// Content-Encoding, Content-Language, Content-Length, Content-Location,
// Content-Type, Deprecation, ETag, Expires, Last-Modified, Link, Location,
// Retry-After, Sunset and Vary, plus the names given to -response-headers;
// on a WebSocket switch, also Connection, Upgrade and Sec-WebSocket-Accept,
// -Protocol and -Extensions. Everything else is dropped, among others
// Server, X-Powered-By, X-AspNet-Version, X-Debug-*, Via, Set-Cookie,
// WWW-Authenticate and the upstream's own X-Request-Id. A Location that
// names the upstream's address or path prefix becomes the gateway's path.
//
// An upstream 5xx, whose body may hold a stack trace, SQL or file paths,
// becomes a 502 upstream_unavailable problem without any of it; its status
// goes to the log under the request ID (-pass-upstream-errors forwards
// them, for an upstream known not to leak). So does an upstream that cannot
// be reached or does not answer within -upstream-timeout.
//
// # Trying it
//
// It plays its own development-only identity provider (auth/authtest, see
// startup.go), which signs one-hour demo access tokens that it prints with
// curl commands to try.
//
// It serves plain HTTP, and so only on a loopback address. To serve HTTPS,
// as the quickstart does, pass TLSConfig to tlsconfig.NewHTTPServer, serve
// TLS, and drop the loopback check in run:
//
//	TLSConfig: must(tlsconfig.Server(tlsconfig.Config{Certificates: []tls.Certificate{cert}})),
//	errc <- srv.ServeTLS(ln, "", "")
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/apishield/apishield/audit"
	"github.com/apishield/apishield/auth"
	"github.com/apishield/apishield/auth/authtest"
	apierrors "github.com/apishield/apishield/errors"
	"github.com/apishield/apishield/ratelimit"
	"github.com/apishield/apishield/route"
	"github.com/apishield/apishield/tlsconfig"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "gateway:", err)
		os.Exit(1)
	}
}

// run starts the gateway and serves until ctx is done. It prints the address
// and the curl commands to stdout once the listener is ready.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("gateway", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var f forwardingFlags
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on")
	fs.StringVar(&f.upstream, "upstream", "", "URL of the service to forward to, http:// or https:// (required unless -demo-upstream)")
	demo := fs.Bool("demo-upstream", false, "start a demo upstream in process that echoes what it receives")
	fs.DurationVar(&f.timeout, "upstream-timeout", 25*time.Second,
		"how long to wait for the upstream's response headers; the whole response may take 5s more")
	fs.StringVar(&f.publicHost, "public-host", "",
		"host[:port] clients reach the gateway at, sent upstream as X-Forwarded-Host and Forwarded's host (default: the listen address)")
	fs.StringVar(&f.trustedProxies, "trusted-proxies", "",
		"comma-separated networks of the proxies in front of the gateway, whose X-Forwarded-For is believed (default: none, the peer is the client)")
	fs.StringVar(&f.forwardHeaders, "forward-headers", "",
		"comma-separated client headers to forward besides the default allow-list (see the package documentation)")
	fs.StringVar(&f.responseHeaders, "response-headers", "",
		"comma-separated upstream response headers to pass besides the default allow-list (see the package documentation)")
	redisURL := fs.String("redis", "",
		"Redis that every gateway instance shares its rate limits through: redis://host:6379/0, or a comma list of Cluster nodes; needs RATELIMIT_SECRET (default: limits in memory)")
	fs.BoolVar(&f.passErrors, "pass-upstream-errors", false,
		"pass the upstream's 5xx responses as they are, instead of a 502 problem (only for an upstream known not to leak)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	logger := slog.New(slog.NewJSONHandler(stderr, nil))

	if *demo {
		if f.upstream != "" {
			return errors.New("give -upstream or -demo-upstream, not both")
		}
		u, stopDemo, err := startDemoUpstream()
		if err != nil {
			return err
		}
		defer stopDemo()
		f.upstream = u
	}
	fw, err := newForwarding(f)
	if err != nil {
		return err
	}
	var store ratelimit.Store // nil: in memory
	if *redisURL != "" {
		rs, closeStore, err := newRedisStore(ctx, *redisURL, []byte(os.Getenv("RATELIMIT_SECRET")))
		if err != nil {
			return err
		}
		defer closeStore()
		store = rs
	}

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	defer ln.Close()
	if ip := ln.Addr().(*net.TCPAddr).IP; !ip.IsLoopback() {
		return fmt.Errorf("this example serves plain HTTP, so only on a loopback address, not %s: add TLS first", ip)
	}
	host := displayAddr(*addr, ln.Addr())
	if fw.publicHost == "" {
		fw.publicHost = host
	}
	base := "http://" + host
	dev, err := newDevIssuer(base, audience)
	if err != nil {
		return err
	}
	aud, err := audit.New(audit.Config{
		Handlers:       []slog.Handler{audit.NewJSONHandler(stdout, nil)},
		TrustedProxies: fw.trusted,
	})
	if err != nil {
		return err
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = aud.Close(ctx) // flush the queued audit events, giving a stuck sink five seconds
	}()
	table, err := routes(dev, newProxy(fw, logger))
	if err != nil {
		return err
	}
	handler, err := newHandler(ctx, logger, dev, aud, table, fw, store)
	if err != nil {
		return err
	}
	srv, err := tlsconfig.NewHTTPServer(tlsconfig.HTTPServerConfig{
		Handler: handler, Logger: logger,
		// Longer than the upstream's timeout, so its 502 still reaches the
		// client; it also bounds how long a response may stream.
		WriteTimeout: fw.timeout + 5*time.Second,
	})
	if err != nil {
		return err
	}

	printBanner(stdout, "apishield gateway listening on "+base+", forwarding to "+fw.upstream.Redacted(), base, demoTokens(dev),
		"Try (the statuses of forwarded requests assume -demo-upstream):", curlCommands(base))

	return serve(ctx, srv, func() error { return srv.Serve(ln) })
}

// audience is the aud the gateway's tokens must carry.
const audience = "apishield-gateway"

// parseUpstream accepts only an absolute http or https URL with a host and
// optionally a path prefix, so a typo fails at start-up rather than on
// every request.
func parseUpstream(s string) (*url.URL, error) {
	if s == "" {
		return nil, errors.New("-upstream is required: the URL of the service to forward to, or use -demo-upstream")
	}
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("-upstream: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("-upstream must be an http:// or https:// URL, not %q", u.Redacted())
	}
	if u.Host == "" {
		return nil, fmt.Errorf("-upstream %q has no host", u.Redacted())
	}
	if u.User != nil {
		// The proxy would not send them, and they would end up in logs.
		return nil, fmt.Errorf("-upstream %q must not carry credentials", u.Redacted())
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("-upstream %q must not have a query or fragment", u.Redacted())
	}
	return u, nil
}

// newHandler builds the gateway's middleware stack around the routes of
// table, with the rate limits' state in store (nil: in memory).
func newHandler(ctx context.Context, logger *slog.Logger, dev *authtest.Issuer, aud *audit.Auditor, table []apiRoute, fw *forwarding, store ratelimit.Store) (http.Handler, error) {
	responder, err := apierrors.NewResponder(apierrors.Config{Logger: logger})
	if err != nil {
		return nil, err
	}
	jwt, err := newVerifier(ctx, dev, audience, logger)
	if err != nil {
		return nil, err
	}
	// Anonymous requests pass auth without a principal; the policy decides
	// (only the gateway's own public routes let them through).
	authn, err := auth.New(auth.Config{Authenticators: []auth.Authenticator{jwt}, AllowAnonymous: true, Logger: logger})
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	for _, rt := range table {
		mux.Handle(rt.pattern, rt.handler)
	}
	policy, err := newPolicy(mux, table, logger)
	if err != nil {
		return nil, err
	}
	guard, err := newGuard(mux, table, fw.request)
	if err != nil {
		return nil, err
	}
	perIP, perSubject, err := rateLimits(logger, fw.trusted, store)
	if err != nil {
		return nil, err
	}

	// Outermost first: errors (request ID, panics) → route (the pattern the
	// mux will match, so the audit event names it even for a request
	// refused before the mux) → audit → rate limit by IP → the guard's
	// refusals (guard.go) → auth → rate limit by subject → authz policy →
	// routes, each forwarding route with its validator (policy.go).
	var h http.Handler = apierrors.Mux(mux)
	h = policy.Handler(h)
	h = perSubject.Handler(h)
	h = authn.Handler(h)
	h = guard.Handler(h)
	h = perIP.Handler(h)
	h = aud.Handler(h)
	h = route.Mux(mux)(h)
	return responder.Handler(h), nil
}

// curlCommands are the commands printed at start. Each ends with the status
// it should produce with -demo-upstream; the test runs every one of them.
func curlCommands(base string) []string {
	const (
		token    = `-H "Authorization: Bearer $TOKEN" `
		reader   = `-H "Authorization: Bearer $READER" `
		jsonBody = `-H 'Content-Type: application/json' `
	)
	return []string{
		"curl -i " + base + "/healthz  # 200",
		"curl -i " + base + "/v1/items  # 401",
		"curl -i -H 'Authorization: Bearer not-a-token' " + base + "/v1/items  # 401",
		"curl -i " + token + base + "/v1/items  # 200",
		"curl -i " + reader + base + "/v1/items/42  # 200",
		"curl -i " + token + "-H 'X-Apishield-Subject: admin' " + base + "/v1/items  # 200 (the upstream still sees demo-user)",
		"curl -i -X POST " + token + jsonBody + `-d '{"name":"pen","price":3}' ` + base + "/v1/items  # 201",
		"curl -i -X POST " + reader + jsonBody + `-d '{"name":"pen","price":3}' ` + base + "/v1/items  # 403",
		"curl -i -X POST " + token + jsonBody + `-d '{"name":"","price":-1,"owner":"me"}' ` + base + "/v1/items  # 422",
		"curl -i " + token + base + "/v1/nope  # 404 (never forwarded)",
		"curl -i " + token + base + "/admin  # 404 (never forwarded)",
		"curl -i -X DELETE " + token + base + "/v1/items/42  # 405 (never forwarded)",
		"curl -i " + token + "-H 'X-HTTP-Method-Override: DELETE' " + base + "/v1/items/42  # 400 (nor through a method override)",
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

// healthz is the gateway's own health, answered without the upstream.
func healthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	io.WriteString(w, `{"status":"ok"}`+"\n")
}
