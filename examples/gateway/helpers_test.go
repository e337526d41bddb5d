package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/apishield/apishield/audit"
	"github.com/apishield/apishield/auth/authtest"
)

// testGateway is a gateway built by newHandler, as run builds it, but served
// by httptest with extra routes in its table, for behaviour the demo table
// has no route for.
type testGateway struct {
	base string
	dev  *authtest.Issuer
}

// newTestGateway serves a gateway in front of upstream whose table is the
// demo one plus extra(proxy).
func newTestGateway(t *testing.T, upstream string, extra func(proxy http.Handler) []apiRoute) testGateway {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	base := "http://" + srv.Listener.Addr().String()
	dev, err := newDevIssuer(base, audience)
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.DiscardHandler)
	aud, err := audit.New(audit.Config{Handlers: []slog.Handler{slog.DiscardHandler}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { aud.Close(context.Background()) })
	fw, err := newForwarding(forwardingFlags{upstream: upstream, timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	fw.publicHost = strings.TrimPrefix(base, "http://")
	proxy := newProxy(fw, logger)
	table, err := routes(dev, proxy)
	if err != nil {
		t.Fatal(err)
	}
	if extra != nil {
		table = append(table, extra(proxy)...)
	}
	h, err := newHandler(context.Background(), logger, dev, aud, table, fw, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = h
	srv.Start()
	t.Cleanup(srv.Close)
	return testGateway{base: base, dev: dev}
}

// token issues a one-hour token for demo-user with scopes.
func (g testGateway) token(t *testing.T, scopes ...string) string {
	t.Helper()
	return g.dev.Token(authtest.Claims{Subject: "demo-user", Scopes: scopes})
}

// rawResponse is what came back on a raw connection.
type rawResponse struct {
	status int
	header http.Header
	body   string
	conn   net.Conn      // still open, for a switched protocol
	br     *bufio.Reader // reads conn past the response head
}

// rawRequest writes raw, bytes Go's client would not send, to the server at
// base, and reads one response. The connection closes with the test.
func rawRequest(t *testing.T, base, raw string) rawResponse {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(10 * time.Second)) // a hung gateway fails the test instead of stalling it
	if _, err := io.WriteString(c, raw); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(c)
	method, _, _ := strings.Cut(raw, " ") // a HEAD response has no body to read
	resp, err := http.ReadResponse(br, &http.Request{Method: method})
	if err != nil {
		t.Fatalf("reading the response to %q: %v", raw, err)
	}
	out := rawResponse{status: resp.StatusCode, header: resp.Header, conn: c, br: br}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		b, _ := io.ReadAll(resp.Body)
		out.body = string(b)
	}
	return out
}

// reason is the "reason" of a problem body, or "" if it is not one.
func reason(body string) string {
	var p struct {
		Reason string `json:"reason"`
	}
	json.Unmarshal([]byte(body), &p)
	return p.Reason
}

// do sends req and returns the status and body.
func do(t *testing.T, req *http.Request) (int, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
