package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apishield/apishield/examples/internal/curltest"
)

// started runs the quickstart on a free loopback port, its metrics on
// another, with extra flags and returns what it printed.
func started(t *testing.T, flags ...string) curltest.Printed {
	t.Helper()
	args := append([]string{"-addr", "127.0.0.1:0", "-metrics-addr", "127.0.0.1:0",
		"-cert-out", filepath.Join(t.TempDir(), "cert.pem")}, flags...)
	return curltest.Start(t, run, args)
}

// TestDocumentedCommands runs every curl command the quickstart prints, as a
// new user would, over HTTPS (the default) and plain HTTP (-http), and checks
// the status each one documents and the shape of its body. The metrics
// command, plain HTTP on its own listener, is TestMetricsCommand's.
func TestDocumentedCommands(t *testing.T) {
	for _, mode := range []struct {
		name  string
		flags []string
	}{{"https", nil}, {"http", []string{"-http"}}} {
		t.Run(mode.name, func(t *testing.T) {
			p := started(t, mode.flags...)
			if len(p.Commands) < 6 {
				t.Fatalf("only %d curl commands printed", len(p.Commands))
			}
			for _, line := range p.Commands {
				if isMetricsCommand(line) {
					continue
				}
				t.Run(line, func(t *testing.T) {
					c := curltest.Parse(t, line, p.Env)
					if c.Request.URL.Scheme != mode.name {
						t.Fatalf("URL scheme %q, want %q", c.Request.URL.Scheme, mode.name)
					}
					resp, _ := curltest.Check(t, c)
					if hsts := resp.Header.Get("Strict-Transport-Security"); (mode.name == "https") != (hsts != "") {
						t.Errorf("Strict-Transport-Security = %q over %s", hsts, mode.name)
					}
					// The API security-header profile is on every response,
					// refusals from every package included.
					for name, want := range map[string]string{
						"X-Content-Type-Options":       "nosniff",
						"Content-Security-Policy":      "default-src 'none'; frame-ancestors 'none'",
						"Referrer-Policy":              "no-referrer",
						"Cross-Origin-Resource-Policy": "same-origin",
					} {
						if got := resp.Header.Get(name); got != want {
							t.Errorf("%s = %q, want %q", name, got, want)
						}
					}
					if c.Request.Header.Get("Authorization") != "" && resp.Header.Get("Cache-Control") != "no-store" {
						t.Errorf("authenticated response: Cache-Control = %q, want no-store", resp.Header.Get("Cache-Control"))
					}
					if resp.TLS != nil && resp.TLS.Version != tls.VersionTLS13 {
						t.Errorf("negotiated TLS version %#x, want TLS 1.3 with a modern client", resp.TLS.Version)
					}
				})
			}
		})
	}
}

// TestPlainHTTPOnlyOnLoopback: -http must not expose plain HTTP beyond the
// machine.
func TestPlainHTTPOnlyOnLoopback(t *testing.T) {
	err := run(context.Background(), []string{"-http", "-addr", "0.0.0.0:0"}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Fatalf("err = %v, want a refusal to serve plain HTTP beyond loopback", err)
	}
}

// TestCertificateWritten: the file curl --cacert reads holds the server's
// certificate and never its private key.
func TestCertificateWritten(t *testing.T) {
	cmds := started(t).Commands
	f := strings.Fields(cmds[0])
	if f[2] != "--cacert" {
		t.Fatalf("HTTPS commands lack --cacert: %q", cmds[0])
	}
	pem, err := os.ReadFile(f[3])
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(pem), "BEGIN CERTIFICATE") || strings.Contains(string(pem), "PRIVATE KEY") {
		t.Errorf("certificate file:\n%s", pem)
	}
}

func TestBadFlag(t *testing.T) {
	err := run(context.Background(), []string{"-nope"}, io.Discard, io.Discard)
	if err == nil {
		t.Fatal("run accepted an unknown flag")
	}
}

func TestAddressInUse(t *testing.T) {
	addr := strings.TrimPrefix(started(t, "-http").Base, "http://")
	err := run(context.Background(), []string{"-addr", addr}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(fmt.Sprint(err), "address already in use") {
		t.Fatalf("second listener on %s: err = %v, want address already in use", addr, err)
	}
}
