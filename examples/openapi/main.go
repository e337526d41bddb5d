// Command openapi is a starter for an API whose whole contract is its
// OpenAPI document, openapi.yaml: the routes it serves (everything else is
// refused), who may call each operation, every parameter and body, every
// response, the rate limit and the ownership rule all come from that file,
// and package openapi enforces them. The Go code here is handlers and
// wiring; it restates nothing the document says.
//
//	go run ./examples/openapi                       # http://127.0.0.1:8080
//	go run ./examples/openapi -addr 127.0.0.1:9000
//
// It needs no configuration. It plays its own development-only identity
// provider (auth/authtest, see startup.go), which signs one-hour demo access
// tokens, and makes one API key for a service; it prints both with curl
// commands to try. At start-up it checks that its router serves exactly the
// document's operations, so an undocumented route cannot ship.
//
// Print the document's inventory, for an audit or a CI gate, with
//
//	go run github.com/apishield/apishield/cmd/apishield-openapi examples/openapi/openapi.yaml
//
// It serves plain HTTP, and only on a loopback address; examples/quickstart
// shows HTTPS with certificate reload.
package main

import (
	"context"
	"embed"
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

	"github.com/apishield/apishield/audit"
	"github.com/apishield/apishield/auth"
	"github.com/apishield/apishield/auth/authtest"
	"github.com/apishield/apishield/authz"
	apierrors "github.com/apishield/apishield/errors"
	"github.com/apishield/apishield/openapi"
	"github.com/apishield/apishield/ratelimit"
	"github.com/apishield/apishield/tlsconfig"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "openapi:", err)
		os.Exit(1)
	}
}

// The contract, built into the binary so that the server cannot run
// against another copy of it.
//
//go:embed openapi.yaml
var document embed.FS

// audience is the aud the API's tokens must carry.
const audience = "apishield-openapi-example"

// run starts the server and serves until ctx is done. It prints the address
// and the curl commands to stdout once the listener is ready.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("openapi", flag.ContinueOnError)
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
		return fmt.Errorf("plain HTTP serves only on a loopback address, not %s: add TLS (see examples/quickstart) to serve elsewhere", ip)
	}
	base := "http://" + ln.Addr().String()
	dev, err := newDevIssuer(base, audience)
	if err != nil {
		return err
	}
	// DEVELOPMENT ONLY: one API key for a service, in memory. In your copy,
	// keys come from a file (auth.LoadAPIKeysFile) made with examples/apikey.
	key, rec, err := auth.GenerateAPIKey()
	if err != nil {
		return err
	}
	rec.Subject = "billing-service"
	keys, err := auth.NewMemoryStore([]auth.APIKeyRecord{rec})
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
	handler, err := newHandler(ctx, logger, dev, keys, aud)
	if err != nil {
		return err
	}
	srv, err := tlsconfig.NewHTTPServer(tlsconfig.HTTPServerConfig{Handler: handler, Logger: logger}) // timeouts and header limits
	if err != nil {
		return err
	}

	tokens := append(demoTokens(dev), demoToken{"APIKEY", "billing-service, an API key", key})
	printBanner(stdout, "apishield openapi example listening on "+base, base, tokens, "Try:", curlCommands(base))

	return serve(ctx, srv, func() error { return srv.Serve(ln) })
}

// newHandler loads the contract and builds the stack around the router.
func newHandler(ctx context.Context, logger *slog.Logger, dev *authtest.Issuer, keys auth.APIKeyStore, aud *audit.Auditor) (http.Handler, error) {
	items := newItemStore()
	contract, err := newContract(items, logger)
	if err != nil {
		return nil, err
	}

	jwt, err := newVerifier(ctx, dev, audience, logger)
	if err != nil {
		return nil, err
	}
	apiKeys, err := auth.NewAPIKeys(auth.APIKeysConfig{Store: keys})
	if err != nil {
		return nil, err
	}
	// auth reads credentials where the document's schemes put them;
	// anonymous requests go on to the contract, which lets them reach
	// public operations only.
	headers, queries, cookies := contract.APIKeySources()
	authn, err := auth.New(auth.Config{
		Authenticators: []auth.Authenticator{jwt, apiKeys},
		AllowAnonymous: true,
		APIKeyHeader:   otherThanDefault(headers),
		APIKeyQuery:    first(queries),
		APIKeyCookie:   first(cookies),
		Logger:         logger,
	})
	if err != nil {
		return nil, err
	}
	responder, err := apierrors.NewResponder(apierrors.Config{Logger: logger})
	if err != nil {
		return nil, err
	}

	// The API's routes, with the server's base path /v1. Their handlers
	// read only what the contract checked.
	api := http.NewServeMux()
	routes := map[string]http.HandlerFunc{
		"GET /v1/status":           status,
		"GET /v1/items":            items.list,
		"POST /v1/items":           items.create,
		"GET /v1/items/{id}":       items.get,
		"DELETE /v1/items/{id}":    items.remove,
		"GET /v1/items/{id}/price": items.price,
	}
	patterns := make([]string, 0, len(routes))
	for p, h := range routes {
		api.HandleFunc(p, h)
		patterns = append(patterns, p)
	}
	// The router serves exactly the document's operations, or the server
	// does not start: this lists every difference.
	if err := contract.CheckRoutes(patterns...); err != nil {
		return nil, err
	}

	// Outermost first: errors (request ID, panics) → audit → auth → the
	// contract → the router. The development issuer's documents are
	// served beside the API, outside its contract.
	root := http.NewServeMux()
	root.HandleFunc("GET "+authtest.DiscoveryPath, dev.ServeDiscovery)
	root.HandleFunc("GET "+authtest.JWKSPath, dev.ServeJWKS)
	root.Handle("/", contract.Handler(api))
	return responder.Handler(aud.Handler(authn.Handler(root))), nil
}

// newContract loads the document with what it names: the limiter of
// x-apishield-rate-limit and the rule of x-apishield-owner.
func newContract(items *itemStore, logger *slog.Logger) (*openapi.Contract, error) {
	// At most 5 new items a minute per caller, burst 5: the limiter the
	// document's x-apishield-rate-limit "writes" names. Its cost is the
	// operation's x-apishield-cost.
	writes, err := ratelimit.New(ratelimit.Config{
		Name: "writes", Key: ratelimit.BySubject(), Cost: openapi.Cost, Logger: logger,
		Policies: []ratelimit.Policy{{Name: "writes", Limit: 5, Period: time.Minute, Burst: 5}},
	})
	if err != nil {
		return nil, err
	}
	return openapi.Load(document, "openapi.yaml", openapi.Config{
		RateLimiters: map[string]*ratelimit.Limiter{"writes": writes},
		// The rule x-apishield-owner names: only an item's owner may see,
		// price or delete it (OWASP API1, object level authorization);
		// anyone else gets the 404 of an item that does not exist.
		Rules: map[string]authz.Rule{"item-owner": authz.Owner(items.ownerOf)},
		// Every response is checked against the document before it is
		// sent: a handler cannot leak a field the contract leaves out.
		Responses:    openapi.ResponsesEnforce,
		MaxBodyBytes: 64 << 10,
		Logger:       logger,
	})
}

// first returns the first name, or "" for none.
func first(names []string) string {
	if len(names) == 0 {
		return ""
	}
	return names[0]
}

// otherThanDefault returns the first header name auth does not read
// anyway, or "".
func otherThanDefault(headers []string) string {
	for _, h := range headers {
		if http.CanonicalHeaderKey(h) != "X-Api-Key" {
			return h
		}
	}
	return ""
}

// curlCommands are the commands printed at start. Each ends with the status
// it should produce; the example's test runs every one of them, with the
// exported tokens.
func curlCommands(base string) []string {
	const (
		token    = `-H "Authorization: Bearer $TOKEN" `
		reader   = `-H "Authorization: Bearer $READER" `
		apiKey   = `-H "X-API-Key: $APIKEY" `
		jsonBody = `-H 'Content-Type: application/json' `
	)
	return []string{
		"curl -i " + base + "/v1/status  # 200",
		"curl -i " + base + "/v1/items  # 401",
		"curl -i " + token + base + "/v1/items  # 200",
		"curl -i " + token + "'" + base + "/v1/items?limit=2&tag=demo'  # 200",
		"curl -i -X POST " + token + jsonBody + `-d '{"name":"pen","price":3,"tags":["office"]}' ` + base + "/v1/items  # 201",
		"curl -i -X POST " + apiKey + jsonBody + `-d '{"name":"invoice","price":12}' ` + base + "/v1/items  # 201",
		"curl -i -X POST " + reader + jsonBody + `-d '{"name":"pen","price":3}' ` + base + "/v1/items  # 403",
		"curl -i " + token + base + "/v1/items/1  # 200",
		"curl -i " + reader + base + "/v1/items/1  # 404",
		"curl -i " + token + base + "/v1/items/1/price  # 200",
		"curl -i " + token + base + "/v1/items/999  # 404",
		"curl -i " + token + base + "/v1/items/abc  # 400",
		"curl -i " + token + "'" + base + "/v1/items?limit=0'  # 422",
		"curl -i -X POST " + token + jsonBody + `-d '{"name":"pen","price":3,"owner":"me"}' ` + base + "/v1/items  # 422",
		"curl -i -X POST " + token + jsonBody + `-d '{"name":' ` + base + "/v1/items  # 400",
		"curl -i -X POST " + token + `-H 'Content-Type: text/plain' -d 'pen' ` + base + "/v1/items  # 415",
		"curl -i -X DELETE " + reader + base + "/v1/items/1  # 403",
		"curl -i -X PUT " + token + base + "/v1/items/1  # 405",
		"curl -i " + token + base + "/v1/admin  # 404",
		"curl -i -X DELETE " + token + base + "/v1/items/1  # 204",
	}
}
