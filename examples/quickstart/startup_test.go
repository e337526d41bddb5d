package main

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// TestServe: serve returns the server's own failure, and nil after a
// clean shutdown when ctx is done.
func TestServe(t *testing.T) {
	t.Run("a failing server's error", func(t *testing.T) {
		boom := errors.New("boom")
		srv := &http.Server{}
		if err := serve(context.Background(), srv, func() error { return boom }); err != boom {
			t.Fatalf("serve: %v, want %v", err, boom)
		}
	})
	t.Run("a clean shutdown when ctx is done", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		srv := &http.Server{Handler: http.NotFoundHandler()}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- serve(ctx, srv, func() error { return srv.Serve(ln) }) }()
		resp, err := http.Get("http://" + ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		cancel()
		if err := <-done; err != nil {
			t.Fatalf("serve after ctx is done: %v, want nil", err)
		}
	})
}

// TestBanner: the lines CI and the tests read back.
func TestBanner(t *testing.T) {
	var b strings.Builder
	printBanner(&b, "headline", "http://x", []demoToken{{name: "TOKEN", token: "t0", about: "demo"}}, "Try:", []string{"curl -i http://x/  # 200"})
	want := "headline\n\n" +
		"Demo access tokens from the development issuer at http://x, valid for 1 hour:\n" +
		"  export TOKEN=t0  # demo\n" +
		"\nTry:\n" +
		"  curl -i http://x/  # 200\n" +
		"\nPress Ctrl-C to stop.\n"
	if b.String() != want {
		t.Fatalf("printBanner:\n%s\nwant:\n%s", b.String(), want)
	}
}

// TestDemoTokens: each demo token verifies with the example's verifier and
// carries what its line says; READER cannot write.
func TestDemoTokens(t *testing.T) {
	t.Parallel()
	dev, err := newDevIssuer("http://127.0.0.1:1", audience)
	if err != nil {
		t.Fatal(err)
	}
	jwt, err := newVerifier(t.Context(), dev, audience, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]struct {
		subject, scope string
		admin, mfa     bool
	}{
		"TOKEN":     {"demo-user", "items:write", false, false},
		"READER":    {"reader-user", "items:read", false, false},
		"ADMIN":     {"admin-user", "items:read", true, false},
		"ADMIN_MFA": {"admin-user", "items:read", true, true},
	}
	tokens := demoTokens(dev)
	if len(tokens) != len(want) {
		t.Fatalf("%d demo tokens, want %d", len(tokens), len(want))
	}
	for _, d := range tokens {
		p, err := jwt.Verify(t.Context(), d.token)
		if err != nil {
			t.Fatalf("%s: %v", d.name, err)
		}
		w := want[d.name]
		if p.Subject != w.subject || !p.HasScope(w.scope) || p.HasRole("admin") != w.admin || slices.Contains(p.AMR, "mfa") != w.mfa {
			t.Errorf("%s: principal %+v", d.name, p)
		}
		if d.name == "READER" && p.HasScope("items:write") {
			t.Error("READER can write")
		}
	}
}
