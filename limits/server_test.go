package limits_test

import (
	"bufio"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	apierrors "github.com/apishield/apishield/errors"
	"github.com/apishield/apishield/limits"
	"github.com/apishield/apishield/tlsconfig"
)

// send writes a raw HTTP/1.1 request to addr and reads the response.
func send(t *testing.T, addr, head, body string) (*http.Response, string) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := conn.SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(conn, head+"\r\n"+body); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("reading the response: %v", err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(b)
}

// TestOverHTTP runs the Guard on a real server. It shows how the Guard's
// header limits sit inside the server's: tlsconfig.NewHTTPServer sets
// http.Server.MaxHeaderBytes to 64 KiB, and net/http answers a request
// line and headers past it (plus its 4 KiB of slack) with its own
// plain-text 431 before any handler runs. Below that, the Guard's 32 KiB
// default answers with a 431 problem the audit trail records. And a body
// with Content-Length reaches the handler stopped at that length by the
// server, with no wrapper of the Guard's.
func TestOverHTTP(t *testing.T) {
	t.Parallel()
	g, err := limits.New(limits.Config{})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := tlsconfig.NewHTTPServer(tlsconfig.HTTPServerConfig{Handler: apierrors.Recover(g.Handler(echo))})
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	addr := l.Addr().String()
	fields := func(n int) string {
		var b strings.Builder
		for i := range n {
			b.WriteString("X-Pad-" + string(rune('a'+i%26)) + string(rune('a'+i/26)) + ": " + strings.Repeat("v", 8<<10) + "\r\n")
		}
		return b.String()
	}
	tests := []struct {
		name        string
		head        string
		body        string
		status      int
		contentType string
		echo        string // on 200, if set: what the handler read
	}{
		{"small", "GET /v1/items HTTP/1.1\r\nHost: x\r\n", "", 200, "text/plain", ""},
		{"over the Guard's 32 KiB, under the server's 64 KiB", "GET /v1/items HTTP/1.1\r\nHost: x\r\n" + fields(5), "", 431, "application/problem+json", ""},
		{"over the server's 64 KiB", "GET /v1/items HTTP/1.1\r\nHost: x\r\n" + fields(10), "", 431, "text/plain; charset=utf-8", ""},
		{"GET with a chunked body", "GET /v1/items HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n", "1\r\nx\r\n0\r\n\r\n", 400, "application/problem+json", ""},
		{"TRACE", "TRACE /v1/items HTTP/1.1\r\nHost: x\r\n", "", 405, "application/problem+json", ""},
		{"POST over 1 MiB", "POST /v1/items HTTP/1.1\r\nHost: x\r\nContent-Length: 2000000\r\n", "", 413, "application/problem+json", ""},
		// The refusal comes before the server's "100 Continue", so the
		// client never sends the body.
		{"POST over 1 MiB, expecting 100-continue", "POST /v1/items HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2000000\r\n", "", 413, "application/problem+json", ""},
		{"POST within, longer than its length", "POST /v1/items HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n", "abcdef", 200, "text/plain", "abc"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			resp, body := send(t, addr, tc.head, tc.body)
			if resp.StatusCode != tc.status || resp.Header.Get("Content-Type") != tc.contentType {
				t.Fatalf("status %d Content-Type %q, want %d %q; %.200s", resp.StatusCode, resp.Header.Get("Content-Type"), tc.status, tc.contentType, body)
			}
			if tc.echo != "" && body != tc.echo {
				t.Errorf("handler read %q, want %q", body, tc.echo)
			}
			if tc.contentType == "application/problem+json" {
				var p problemBody
				if err := json.Unmarshal([]byte(body), &p); err != nil || p.Status != tc.status {
					t.Errorf("body %.200s, want a %d problem", body, tc.status)
				}
			}
		})
	}
}
