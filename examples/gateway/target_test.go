package main

import (
	"net/http"
	"strings"
	"testing"
)

// TestPathsRefused: a path an upstream could read differently from the
// gateway is refused, whatever route it would match: encoded dots (dot
// segments after one more decoding), encoded percent signs (double
// encoding), encoded control bytes, ";" (matrix and Tomcat path
// parameters), encoded slashes, backslashes, and bytes that are not UTF-8
// (overlong dots).
func TestPathsRefused(t *testing.T) {
	t.Parallel()
	up := newRecordingUpstream(t)
	g := start(t, "-upstream", up.URL)
	auth := "Authorization: Bearer " + g.Env["TOKEN"] + "\r\n"
	for _, path := range []string{
		"/v1/items/%2e%2e",
		"/v1/items/.%2e",
		"/v1/items/%2E",
		"/v1/items/a%2ejson",
		"/v1/items/%252e%252e",
		"/v1/items/%25",
		"/v1/items/a%00",
		"/v1/items/a%0a",
		"/v1/items/a%0D",
		"/v1/items/a%1f",
		"/v1/items/a%7f",
		"/v1/items/1;jsessionid=x",
		"/v1/items;x=1",
		"/v1/items/1%3bx",
		"/v1/items/a%c0%ae", // an overlong ".", which lenient decoders accept
		"/v1/items/a%ff",
		"/v1/items/a%2F..%2F..%2Fadmin",
		"/v1/items/a%5C..%5Cadmin",
		"/v1/items/a\\..\\admin",
		"/healthz;x", // the gateway's own routes too
	} {
		t.Run(path, func(t *testing.T) {
			resp := rawRequest(t, g.Base, "GET "+path+" HTTP/1.1\r\nHost: x\r\n"+auth+"\r\n")
			if resp.status != http.StatusBadRequest || reason(resp.body) != "malformed_request" {
				t.Errorf("got status %d, body %q; want 400 malformed_request", resp.status, resp.body)
			}
		})
	}
	if got := up.received(); len(got) != 0 {
		t.Errorf("upstream received %d requests, want none: %v", len(got), got)
	}
}

// TestPathsForwarded: the upstream gets the path the policy matched, in
// one canonical encoding.
func TestPathsForwarded(t *testing.T) {
	t.Parallel()
	up := newRecordingUpstream(t)
	g := start(t, "-upstream", up.URL)
	auth := "Authorization: Bearer " + g.Env["TOKEN"] + "\r\n"
	for _, c := range []struct{ path, uri string }{
		{"/v1/items/a%20b", "/v1/items/a%20b"},
		{"/v1/items/caf%C3%A9", "/v1/items/caf%C3%A9"},
		{"/v1/items/caf\xc3\xa9", "/v1/items/caf%C3%A9"},
		{"/v1/items/%41%42", "/v1/items/AB"},
		{"/v1/items/a+b", "/v1/items/a+b"},
	} {
		resp := rawRequest(t, g.Base, "GET "+c.path+" HTTP/1.1\r\nHost: x\r\n"+auth+"\r\n")
		if resp.status != http.StatusOK {
			t.Errorf("GET %s: got status %d, body %q; want 200", c.path, resp.status, resp.body)
			continue
		}
		got := up.received()
		if last := got[len(got)-1]; last.uri != c.uri {
			t.Errorf("GET %s: upstream got %q, want %q", c.path, last.uri, c.uri)
		}
	}
}

// TestQueriesRefused: a query string is forwarded only if it parses
// entirely as the gateway parsed it: no ";" separators (which hid
// access_token from the query-token refusal), no malformed escapes, no
// encoded control bytes, and no access token or method override under any
// spelling an upstream framework reads as one.
func TestQueriesRefused(t *testing.T) {
	t.Parallel()
	up := newRecordingUpstream(t)
	g := start(t, "-upstream", up.URL)
	auth := "Authorization: Bearer " + g.Env["TOKEN"] + "\r\n"
	for _, query := range []string{
		"x=1;access_token=abc",
		"access_token=abc;x=1",
		"a=1;b=2",
		"access_token=abc",
		"Access_Token=abc",
		"access.token=abc",
		"access%5Ftoken=abc",
		"access_token[]=abc",
		"q=%zz",
		"q=%",
		"q=%00",
		"q=a%0d%0aSet-Cookie:%20x",
		"q=%7F",
	} {
		t.Run(query, func(t *testing.T) {
			resp := rawRequest(t, g.Base, "GET /v1/items?"+query+" HTTP/1.1\r\nHost: x\r\n"+auth+"\r\n")
			if resp.status != http.StatusBadRequest || reason(resp.body) != "malformed_request" {
				t.Errorf("got status %d, body %q; want 400 malformed_request", resp.status, resp.body)
			}
		})
	}
	if got := up.received(); len(got) != 0 {
		t.Errorf("upstream received %d requests, want none: %v", len(got), got)
	}

	// Anything else is forwarded exactly as it came, escapes included.
	const query = "q=100%25+sure&fields=name&fields=price&empty="
	resp := rawRequest(t, g.Base, "GET /v1/items?"+query+" HTTP/1.1\r\nHost: x\r\n"+auth+"\r\n")
	if resp.status != http.StatusOK {
		t.Fatalf("got status %d, body %q; want 200", resp.status, resp.body)
	}
	if got := up.received(); len(got) != 1 || got[0].query != query || !strings.HasSuffix(got[0].uri, "?"+query) {
		t.Errorf("upstream received %v, want the query %q", got, query)
	}
}
