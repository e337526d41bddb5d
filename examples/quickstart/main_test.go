package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// started runs the quickstart on a free loopback port with extra flags and
// returns the curl commands it printed.
func started(t *testing.T, flags ...string) []string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		args := append([]string{"-addr", "127.0.0.1:0", "-cert-out", filepath.Join(t.TempDir(), "cert.pem")}, flags...)
		done <- run(ctx, args, pw, io.Discard)
		pw.Close()
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	})
	var cmds []string
	sc := bufio.NewScanner(pr)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "curl ") {
			cmds = append(cmds, line)
		}
		if line == "Press Ctrl-C to stop." {
			go io.Copy(io.Discard, pr)
			return cmds
		}
	}
	t.Fatalf("quickstart stopped before printing its commands: %v", sc.Err())
	return nil
}

// TestDocumentedCommands runs every curl command the quickstart prints, as a
// new user would, over HTTPS (the default) and plain HTTP (-http), and checks
// the status each one documents and the shape of its body.
func TestDocumentedCommands(t *testing.T) {
	for _, mode := range []struct {
		name  string
		flags []string
	}{{"https", nil}, {"http", []string{"-http"}}} {
		t.Run(mode.name, func(t *testing.T) {
			cmds := started(t, mode.flags...)
			if len(cmds) < 6 {
				t.Fatalf("only %d curl commands printed", len(cmds))
			}
			for _, line := range cmds {
				t.Run(line, func(t *testing.T) { runCurl(t, line, mode.name) })
			}
		})
	}
}

func runCurl(t *testing.T, line, scheme string) {
	req, want, client := parseCurl(t, line)
	if req.URL.Scheme != scheme {
		t.Fatalf("URL scheme %q, want %q", req.URL.Scheme, scheme)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("status = %d, want %d; body %s", resp.StatusCode, want, body)
	}
	if !json.Valid(body) {
		t.Fatalf("body is not JSON: %q", body)
	}
	if id := resp.Header.Get("X-Request-ID"); id == "" {
		t.Error("no X-Request-ID")
	}
	if hsts := resp.Header.Get("Strict-Transport-Security"); (scheme == "https") != (hsts != "") {
		t.Errorf("Strict-Transport-Security = %q over %s", hsts, scheme)
	}
	if resp.TLS != nil && resp.TLS.Version != tls.VersionTLS13 {
		t.Errorf("negotiated TLS version %#x, want TLS 1.3 with a modern client", resp.TLS.Version)
	}
	if want >= 400 {
		var p struct {
			Status int    `json:"status"`
			Reason string `json:"reason"`
		}
		json.Unmarshal(body, &p)
		if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" || p.Status != want || p.Reason == "" {
			t.Errorf("want a problem: Content-Type %q, body %s", ct, body)
		}
	}
}

// parseCurl turns one printed curl command into a request and the status its
// trailing "# NNN" comment promises. It knows the flags the quickstart
// prints; an unknown flag fails the test, so new commands get covered.
func parseCurl(t *testing.T, line string) (*http.Request, int, *http.Client) {
	t.Helper()
	cmd, comment, ok := strings.Cut(line, "# ")
	if !ok {
		t.Fatalf("no expected status comment in %q", line)
	}
	want, err := strconv.Atoi(strings.Fields(comment)[0])
	if err != nil {
		t.Fatalf("bad status comment in %q", line)
	}
	args := shellSplit(t, cmd)[1:]
	method, url, data, cacert := "", "", "", ""
	hdr := http.Header{}
	for i := 0; i < len(args); i++ {
		next := func() string {
			i++
			if i >= len(args) {
				t.Fatalf("flag %s lacks its value in %q", args[i-1], line)
			}
			return args[i]
		}
		switch a := args[i]; {
		case a == "-i" || a == "-s" || a == "-sS":
		case a == "-X":
			method = next()
		case a == "-H":
			k, v, _ := strings.Cut(next(), ":")
			hdr.Add(k, strings.TrimSpace(v))
		case a == "-d" || a == "--data":
			data = next()
		case a == "--cacert":
			cacert = next()
		case strings.HasPrefix(a, "http://") || strings.HasPrefix(a, "https://"):
			url = a
		default:
			t.Fatalf("parseCurl does not know %q in %q", a, line)
		}
	}
	if method == "" {
		method = "GET"
		if data != "" {
			method = "POST"
		}
	}
	var body io.Reader
	if data != "" {
		body = strings.NewReader(data)
	}
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header = hdr
	client := &http.Client{Timeout: 10 * time.Second}
	if cacert != "" {
		pem, err := os.ReadFile(cacert)
		if err != nil {
			t.Fatalf("--cacert: %v", err)
		}
		roots := x509.NewCertPool()
		if !roots.AppendCertsFromPEM(pem) {
			t.Fatalf("--cacert %s holds no certificate", cacert)
		}
		client.Transport = &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}
	}
	return req, want, client
}

// shellSplit splits a command line on spaces, honouring single quotes, the
// only quoting the quickstart prints.
func shellSplit(t *testing.T, s string) []string {
	var out []string
	var cur strings.Builder
	inQuote, have := false, false
	for _, r := range s {
		switch {
		case r == '\'':
			inQuote, have = !inQuote, true
		case r == ' ' && !inQuote:
			if have {
				out = append(out, cur.String())
				cur.Reset()
				have = false
			}
		default:
			cur.WriteRune(r)
			have = true
		}
	}
	if inQuote {
		t.Fatalf("unbalanced quote in %q", s)
	}
	if have {
		out = append(out, cur.String())
	}
	return out
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
	cmds := started(t)
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
	cmds := started(t, "-http")
	addr := strings.TrimPrefix(strings.Fields(cmds[0])[2], "http://")
	addr = strings.TrimSuffix(addr, "/healthz")
	err := run(context.Background(), []string{"-addr", addr}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(fmt.Sprint(err), "address already in use") {
		t.Fatalf("second listener on %s: err = %v, want address already in use", addr, err)
	}
}
