package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/apishield/apishield/examples/internal/curltest"
)

// TestDocumentedCommands runs every curl command the example prints, in
// order, as a new user would, and checks the status each one documents and
// the shape of its body: JSON, a request ID, and a problem for every error.
func TestDocumentedCommands(t *testing.T) {
	t.Parallel()
	p := curltest.Start(t, run, []string{"-addr", "127.0.0.1:0"})
	if len(p.Commands) < 10 {
		t.Fatalf("only %d curl commands printed", len(p.Commands))
	}
	for _, line := range p.Commands {
		t.Run(line, func(t *testing.T) {
			c := curltest.Parse(t, line, p.Env)
			if c.Request.URL.Scheme != "http" {
				t.Fatalf("URL scheme %q, want http", c.Request.URL.Scheme)
			}
			curltest.Check(t, c)
		})
	}
}

// TestPlainHTTPOnlyOnLoopback: the example's plain HTTP must not be
// exposed beyond the machine.
func TestPlainHTTPOnlyOnLoopback(t *testing.T) {
	t.Parallel()
	err := run(context.Background(), []string{"-addr", "0.0.0.0:0"}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Fatalf("err = %v, want a refusal to serve plain HTTP beyond loopback", err)
	}
}

func TestBadFlag(t *testing.T) {
	t.Parallel()
	if err := run(context.Background(), []string{"-nope"}, io.Discard, io.Discard); err == nil {
		t.Fatal("run accepted an unknown flag")
	}
}

func TestAddressInUse(t *testing.T) {
	t.Parallel()
	addr := strings.TrimPrefix(curltest.Start(t, run, []string{"-addr", "127.0.0.1:0"}).Base, "http://")
	err := run(context.Background(), []string{"-addr", addr}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(fmt.Sprint(err), "address already in use") {
		t.Fatalf("second listener on %s: err = %v, want address already in use", addr, err)
	}
}

// TestContractAudited: the document the example enforces has no finding
// in its inventory (cmd/apishield-openapi exits 0 on it), and the router
// serves exactly its operations (newHandler would not start otherwise).
func TestContractAudited(t *testing.T) {
	t.Parallel()
	c, err := newContract(newItemStore(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	inv := c.Inventory()
	if n := inv.Findings(); n != 0 {
		var b strings.Builder
		inv.WriteMarkdown(&b)
		t.Fatalf("%d findings in the example's own contract:\n%s", n, b.String())
	}
}

// TestResponseLeakRefused: a handler that sends a field the document's
// Item leaves out (here, the owner) gets a 500 instead of leaking it.
func TestResponseLeakRefused(t *testing.T) {
	t.Parallel()
	c, err := newContract(newItemStore(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	leaky := c.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"status":"ok","owner":"demo-user"}`))
	}))
	rr := httptest.NewRecorder()
	leaky.ServeHTTP(rr, httptest.NewRequest(http.MethodGet, "/v1/status", nil))
	if rr.Code != http.StatusInternalServerError || strings.Contains(rr.Body.String(), "demo-user") {
		t.Fatalf("leaky response: %d %s, want a 500 without the owner", rr.Code, rr.Body)
	}
}
