// Command quickstart is the smallest apishield API: a standard-library
// ServeMux behind apishield's middleware, with problem responses for every
// failure. Copy it as a starting point.
//
//	go run ./examples/quickstart            # listens on localhost:8080
//	go run ./examples/quickstart -addr :9000
//
// It needs no configuration and prints curl commands to try.
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
	"os"
	"os/signal"
	"syscall"
	"time"

	apierrors "github.com/apishield/apishield/errors"
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
	addr := fs.String("addr", "localhost:8080", "address to listen on")
	if err := fs.Parse(args); err != nil {
		return err
	}
	logger := slog.New(slog.NewJSONHandler(stderr, nil))

	handler, err := newHandler(logger)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    32 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	base := "http://" + displayAddr(*addr, ln.Addr())
	fmt.Fprintf(stdout, "apishield quickstart listening on %s\n\nTry:\n", base)
	for _, c := range curlCommands(base) {
		fmt.Fprintf(stdout, "  %s\n", c)
	}
	fmt.Fprintln(stdout, "\nPress Ctrl-C to stop.")

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// newHandler builds the API and its middleware stack, outermost first.
func newHandler(logger *slog.Logger) (http.Handler, error) {
	responder, err := apierrors.NewResponder(apierrors.Config{Logger: logger})
	if err != nil {
		return nil, err
	}
	v, err := newValidators()
	if err != nil {
		return nil, err
	}
	items := newItemStore()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", healthz)
	mux.Handle("GET /v1/items", v.listItems.Handler(http.HandlerFunc(items.list)))
	mux.Handle("POST /v1/items", v.createItem.Handler(http.HandlerFunc(items.create)))
	mux.HandleFunc("GET /v1/items/{id}", items.get)

	// errors.Responder → (later: audit → ratelimit → auth → …) → routes,
	// each route with its validate.Validator.
	return responder.Handler(apierrors.Mux(mux)), nil
}

// curlCommands are the commands printed at start. Each ends with the status
// it should produce; the quickstart's test runs every one of them.
func curlCommands(base string) []string {
	return []string{
		"curl -i " + base + "/healthz  # 200",
		"curl -i " + base + "/v1/items  # 200",
		"curl -i -X POST -H 'Content-Type: application/json' -d '{\"name\":\"pen\",\"price\":3}' " + base + "/v1/items  # 201",
		"curl -i " + base + "/v1/items/1  # 200",
		"curl -i -X POST -H 'Content-Type: application/json' -d '{\"name\":' " + base + "/v1/items  # 400",
		"curl -i -X POST -H 'Content-Type: application/json' -d '{\"name\":\"\",\"price\":-1,\"owner\":\"me\"}' " + base + "/v1/items  # 422",
		"curl -i -X POST -H 'Content-Type: text/plain' -d '{\"name\":\"pen\",\"price\":3}' " + base + "/v1/items  # 415",
		"curl -i '" + base + "/v1/items?limit=0'  # 422",
		"curl -i " + base + "/v1/items/999  # 404",
		"curl -i " + base + "/v1/nope  # 404",
		"curl -i -X DELETE " + base + "/v1/items  # 405",
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

func healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}
