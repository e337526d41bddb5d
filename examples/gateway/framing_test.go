package main

import (
	"net/http"
	"testing"
)

// TestFramingRefused: headers that describe the body or its target must
// be unambiguous, and GET and HEAD carry no body; otherwise the gateway's
// validators and the upstream could read different bodies (or one could
// read a body the other takes for the next request).
func TestFramingRefused(t *testing.T) {
	t.Parallel()
	up := newRecordingUpstream(t)
	g := start(t, "-upstream", up.URL)
	auth := "Authorization: Bearer " + g.Env["TOKEN"] + "\r\n"
	const item = `{"name":"pen","price":3}`
	for _, c := range []struct {
		name, request string
		status        int
		reason        string
	}{
		{"two Content-Type", "POST /v1/items HTTP/1.1\r\nHost: x\r\n" + auth + "Content-Type: application/json\r\nContent-Type: text/plain\r\nContent-Length: 24\r\n\r\n" + item, 400, "malformed_request"},
		{"two equal Content-Type", "POST /v1/items HTTP/1.1\r\nHost: x\r\n" + auth + "Content-Type: application/json\r\nContent-Type: application/json\r\nContent-Length: 24\r\n\r\n" + item, 400, "malformed_request"},
		{"Content-Type list", "GET /v1/items HTTP/1.1\r\nHost: x\r\n" + auth + "Content-Type: application/json, text/plain\r\n\r\n", 400, "malformed_request"},
		{"Content-Type, twice a parameter", "GET /v1/items HTTP/1.1\r\nHost: x\r\n" + auth + "Content-Type: application/json; charset=utf-8; charset=latin1\r\n\r\n", 400, "malformed_request"},
		{"two Content-Encoding", "GET /v1/items HTTP/1.1\r\nHost: x\r\n" + auth + "Content-Encoding: identity\r\nContent-Encoding: gzip\r\n\r\n", 400, "malformed_request"},
		{"Content-Encoding", "GET /v1/items HTTP/1.1\r\nHost: x\r\n" + auth + "Content-Encoding: gzip\r\n\r\n", 415, "unsupported_media_type"},
		{"two Idempotency-Key", "GET /v1/items HTTP/1.1\r\nHost: x\r\n" + auth + "Idempotency-Key: a\r\nIdempotency-Key: b\r\n\r\n", 400, "malformed_request"},
		{"GET with a body", "GET /v1/items HTTP/1.1\r\nHost: x\r\n" + auth + "Content-Length: 5\r\n\r\nhello", 400, "malformed_request"},
		{"GET with a chunked body", "GET /v1/items HTTP/1.1\r\nHost: x\r\n" + auth + "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", 400, "malformed_request"},
		{"GET with an empty chunked body", "GET /v1/items HTTP/1.1\r\nHost: x\r\n" + auth + "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400, "malformed_request"},
		{"HEAD with a body", "HEAD /v1/items HTTP/1.1\r\nHost: x\r\n" + auth + "Content-Length: 5\r\n\r\nhello", 400, ""},
		{"public route with a body", "GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello", 400, "malformed_request"},
	} {
		t.Run(c.name, func(t *testing.T) {
			resp := rawRequest(t, g.Base, c.request)
			if resp.status != c.status || reason(resp.body) != c.reason || resp.header.Get("Content-Type") != "application/problem+json" {
				t.Errorf("got status %d, Content-Type %q, body %q; want a %d %s problem", resp.status, resp.header.Get("Content-Type"), resp.body, c.status, c.reason)
			}
		})
	}
	// Go's server refuses these itself, with a plain-text 400 or 501,
	// before any handler runs: the smuggling forms the gateway cannot see.
	for _, c := range []struct{ name, request string }{
		{"two Content-Length", "POST /v1/items HTTP/1.1\r\nHost: x\r\n" + auth + "Content-Type: application/json\r\nContent-Length: 24\r\nContent-Length: 5\r\n\r\n" + item},
		{"Content-Length list", "POST /v1/items HTTP/1.1\r\nHost: x\r\n" + auth + "Content-Type: application/json\r\nContent-Length: 24, 5\r\n\r\n" + item},
		{"two Transfer-Encoding", "POST /v1/items HTTP/1.1\r\nHost: x\r\n" + auth + "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"},
		{"Transfer-Encoding other than chunked", "POST /v1/items HTTP/1.1\r\nHost: x\r\n" + auth + "Content-Type: application/json\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n"},
		{"two Host", "GET /v1/items HTTP/1.1\r\nHost: x\r\nHost: y\r\n" + auth + "\r\n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if resp := rawRequest(t, g.Base, c.request); resp.status != http.StatusBadRequest && resp.status != http.StatusNotImplemented {
				t.Errorf("got status %d, body %q; want Go's 400 or 501", resp.status, resp.body)
			}
		})
	}
	if got := up.received(); len(got) != 0 {
		t.Errorf("upstream received %d requests, want none: %v", len(got), got)
	}
}
