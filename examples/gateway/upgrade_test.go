package main

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/apishield/apishield/authz"
)

// TestUpgradeRefused: a request that asks to switch protocols is refused
// with a problem on every route of the demo table, which allows none, and
// never reaches the upstream, which would have switched.
func TestUpgradeRefused(t *testing.T) {
	t.Parallel()
	up := newRecordingUpstream(t)
	g := start(t, "-upstream", up.URL)
	auth := "Authorization: Bearer " + g.Env["TOKEN"] + "\r\n"
	for _, c := range []struct{ name, path, headers string }{
		{"websocket", "/v1/items/1", auth + "Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"},
		{"h2c", "/v1/items", auth + "Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n"},
		{"mixed case", "/v1/items", auth + "Connection: keep-alive, UPGRADE\r\nUpgrade: WebSocket\r\n"},
		{"Upgrade alone", "/v1/items", auth + "Upgrade: websocket\r\n"},
		{"Connection: upgrade alone", "/v1/items", auth + "Connection: upgrade\r\n"},
		{"HTTP2-Settings alone", "/v1/items", auth + "HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n"},
		{"two Upgrade lines", "/v1/items", auth + "Connection: Upgrade\r\nUpgrade: websocket\r\nUpgrade: h2c\r\n"},
		{"public route", "/healthz", "Connection: Upgrade\r\nUpgrade: websocket\r\n"},
		// Connection names the headers a proxy drops before forwarding: a
		// client could strip headers the gateway checked (Content-Type).
		{"Connection names a header", "/v1/items", auth + "Connection: Accept-Language\r\nAccept-Language: en\r\n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			resp := rawRequest(t, g.Base, "GET "+c.path+" HTTP/1.1\r\nHost: x\r\n"+c.headers+"\r\n")
			if resp.status != http.StatusBadRequest || reason(resp.body) != "malformed_request" {
				t.Errorf("got status %d, body %q; want 400 malformed_request", resp.status, resp.body)
			}
		})
	}
	if got := up.received(); len(got) != 0 {
		t.Errorf("upstream received %d requests, want none: %v", len(got), got)
	}
}

// TestUpgradeAllowedRoute: a route that lists a protocol switches to it
// after the whole stack has passed the handshake, and only to it.
func TestUpgradeAllowedRoute(t *testing.T) {
	t.Parallel()
	up := newRecordingUpstream(t)
	g := newTestGateway(t, up.URL, func(proxy http.Handler) []apiRoute {
		return []apiRoute{{pattern: "GET /v1/live", rule: authz.AllScopes("items:read"), handler: proxy, upgrades: []string{"websocket"}}}
	})
	auth := "Authorization: Bearer " + g.token(t, "items:read") + "\r\n"
	ws := "Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"

	resp := rawRequest(t, g.base, "GET /v1/live HTTP/1.1\r\nHost: x\r\n"+auth+ws+"\r\n")
	if resp.status != http.StatusSwitchingProtocols || !strings.EqualFold(resp.header.Get("Upgrade"), "websocket") {
		t.Fatalf("got status %d, header %v, body %q; want 101 to websocket", resp.status, resp.header, resp.body)
	}
	io.WriteString(resp.conn, "ping")
	buf := make([]byte, 4)
	if _, err := io.ReadFull(resp.br, buf); err != nil || string(buf) != "ping" {
		t.Fatalf("read %q, %v through the tunnel, want the echo", buf, err)
	}
	got := up.received()
	if len(got) != 1 || got[0].header.Get("X-Apishield-Subject") != "demo-user" || got[0].header.Get("Sec-Websocket-Key") == "" {
		t.Fatalf("upstream received %v, want the handshake with the verified identity", got)
	}

	for _, c := range []struct {
		name, headers string
		status        int
		reason        string
	}{
		{"another protocol", auth + "Connection: Upgrade\r\nUpgrade: h2c\r\n", 400, "malformed_request"},
		{"a list", auth + "Connection: Upgrade\r\nUpgrade: websocket, h2c\r\n", 400, "malformed_request"},
		{"HTTP2-Settings beside websocket", auth + ws + "HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n", 400, "malformed_request"},
		{"no token", ws, 401, "unauthenticated"},
	} {
		t.Run(c.name, func(t *testing.T) {
			resp := rawRequest(t, g.base, "GET /v1/live HTTP/1.1\r\nHost: x\r\n"+c.headers+"\r\n")
			if resp.status != c.status || reason(resp.body) != c.reason {
				t.Errorf("got status %d, body %q; want %d %s", resp.status, resp.body, c.status, c.reason)
			}
		})
	}
	if got := up.received(); len(got) != 1 {
		t.Errorf("upstream received %d requests, want only the allowed handshake", len(got))
	}
}

// TestUpgradeTable: a protocol in the table must be one protocol name.
func TestUpgradeTable(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name   string
		protos []string
		ok     bool
	}{
		{"none", nil, true},
		{"websocket", []string{"websocket"}, true},
		{"versioned", []string{"TLS/1.2"}, true},
		{"list", []string{"websocket,h2c"}, false},
		{"spaces", []string{"web socket"}, false},
		{"empty", []string{""}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := upgradeTable([]apiRoute{{pattern: "GET /x", upgrades: c.protos}})
			if got := err == nil; got != c.ok {
				t.Errorf("upgradeTable(%q): err = %v, want ok = %v", c.protos, err, c.ok)
			}
		})
	}
}
