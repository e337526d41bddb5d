package main

import (
	"context"
	"fmt"
	"io"
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
