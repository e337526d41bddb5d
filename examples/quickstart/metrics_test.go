package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// isMetricsCommand reports whether a printed command is the one that
// fetches the metrics.
func isMetricsCommand(line string) bool {
	cmd, _, _ := strings.Cut(line, "  #")
	return strings.HasSuffix(cmd, "/metrics")
}

// metricsCommand returns the printed metrics command's URL and status.
func metricsCommand(t *testing.T, commands []string) (url, status string) {
	t.Helper()
	var found []string
	for _, c := range commands {
		if isMetricsCommand(c) {
			found = append(found, c)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d metrics commands printed, want 1: %q", len(found), found)
	}
	cmd, status, _ := strings.Cut(found[0], "  # ")
	f := strings.Fields(cmd)
	if len(f) != 3 || f[0] != "curl" || f[1] != "-i" {
		t.Fatalf("metrics command %q, want curl -i URL", found[0])
	}
	return f[2], status
}

func get(t *testing.T, url string) (*http.Response, string) {
	t.Helper()
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(body)
}

// TestMetricsCommand: the printed metrics command answers its status with
// Prometheus's text format, the quickstart named in target_info and the Go
// runtime's metrics beside it, over plain HTTP on a loopback address, on a
// listener of its own whichever scheme the API serves.
func TestMetricsCommand(t *testing.T) {
	for _, mode := range []struct {
		name  string
		flags []string
	}{{"https", nil}, {"http", []string{"-http"}}} {
		t.Run(mode.name, func(t *testing.T) {
			p := started(t, mode.flags...)
			url, status := metricsCommand(t, p.Commands)
			if status != "200" {
				t.Errorf("metrics command promises %q, want 200", status)
			}
			if !strings.HasPrefix(url, "http://127.0.0.1:") || strings.HasPrefix(p.Base, strings.TrimSuffix(url, "/metrics")) {
				t.Fatalf("metrics URL %q, API at %q: want plain HTTP on 127.0.0.1, another listener", url, p.Base)
			}
			resp, body := get(t, url)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("GET %s: %d %s", url, resp.StatusCode, body)
			}
			if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
				t.Errorf("Content-Type %q, want Prometheus's text format", ct)
			}
			for _, want := range []string{
				`target_info{service_name="apishield-quickstart"`,
				"\ngo_goroutines ",
				"\nprocess_start_time_seconds ",
			} {
				if !strings.Contains(body, want) {
					t.Errorf("metrics lack %q:\n%s", want, body)
				}
			}
			// Anything else there is a problem, as on the API.
			resp, body = get(t, strings.TrimSuffix(url, "/metrics")+"/debug/pprof/")
			if resp.StatusCode != http.StatusNotFound || resp.Header.Get("Content-Type") != "application/problem+json" {
				t.Errorf("GET /debug/pprof/ on the metrics listener: %d %q %s, want a 404 problem",
					resp.StatusCode, resp.Header.Get("Content-Type"), body)
			}
		})
	}
}

// TestMetricsDisabled: -metrics-addr "" serves no metrics and prints no
// metrics URL or command.
func TestMetricsDisabled(t *testing.T) {
	p := started(t, "-http", "-metrics-addr", "")
	for _, c := range p.Commands {
		if isMetricsCommand(c) {
			t.Errorf("metrics command printed with -metrics-addr \"\": %q", c)
		}
	}
}

// TestMetricsAddrLoopbackOnly: the metrics are refused anywhere but on a
// loopback address, before anything listens, and accepted on each
// loopback form.
func TestMetricsAddrLoopbackOnly(t *testing.T) {
	for _, tt := range []struct {
		addr, wantErr string
	}{
		{"0.0.0.0:0", "loopback address only"},
		{":0", "loopback address only"},
		{"[::]:0", "loopback address only"},
		{"192.0.2.10:9464", "loopback address only"},
		{"metrics.example:9464", "loopback address only"},
		{"localhost.example:9464", "loopback address only"},
		{"127.0.0.1", "missing port"},
		{defaultMetricsAddr, ""},
		{"127.0.0.1:0", ""},
		{"127.9.9.9:0", ""},
		{"localhost:0", ""},
		{"[::1]:0", ""},
	} {
		t.Run(tt.addr, func(t *testing.T) {
			err := checkMetricsAddr(tt.addr)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("checkMetricsAddr(%q) = %v, want it accepted", tt.addr, err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("checkMetricsAddr(%q) = %v, want an error saying %q", tt.addr, err, tt.wantErr)
			}
		})
	}
	err := run(context.Background(), []string{"-http", "-addr", "127.0.0.1:0", "-metrics-addr", "0.0.0.0:0"}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "loopback address only") {
		t.Fatalf("run with -metrics-addr 0.0.0.0:0: %v, want a refusal", err)
	}
}

// TestMetricsAddrInUse: a metrics address already taken stops the start,
// rather than serving without the metrics the operator asked for.
func TestMetricsAddrInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	err = run(context.Background(), []string{"-http", "-addr", "127.0.0.1:0", "-metrics-addr", ln.Addr().String(),
		"-cert-out", filepath.Join(t.TempDir(), "cert.pem")}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "address already in use") {
		t.Fatalf("run with a taken -metrics-addr: %v, want address already in use", err)
	}
}
