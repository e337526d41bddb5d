package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/apishield/apishield/authz"
	"github.com/apishield/apishield/examples/internal/curltest"
)

// start runs the gateway on a free loopback port with flags and returns
// what it printed.
func start(t *testing.T, flags ...string) curltest.Printed {
	t.Helper()
	return curltest.Start(t, run, append([]string{"-addr", "127.0.0.1:0"}, flags...))
}

// seen is what a recording upstream received.
type seen struct {
	method, path, query string
	header              http.Header
	body                string
	uri                 string // the request target as it came on the wire
}

// recordingUpstream is a real upstream server (the demo echo handler) that
// remembers every request the gateway forwarded to it. Like a WebSocket or
// h2c backend, it switches to any protocol a request asks for with
// Upgrade, and then echoes the bytes it reads.
type recordingUpstream struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []seen
}

func newRecordingUpstream(t *testing.T) *recordingUpstream {
	u := &recordingUpstream{}
	u.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		u.mu.Lock()
		u.reqs = append(u.reqs, seen{r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Clone(), string(body), r.RequestURI})
		u.mu.Unlock()
		if proto := r.Header.Get("Upgrade"); proto != "" {
			switchProtocols(w, proto)
			return
		}
		echoUpstream(w, r)
	}))
	t.Cleanup(u.Close)
	return u
}

// switchProtocols answers 101 and echoes the connection back to itself.
func switchProtocols(w http.ResponseWriter, proto string) {
	conn, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return
	}
	defer conn.Close()
	brw.WriteString("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: " + proto + "\r\n\r\n")
	brw.Flush()
	io.Copy(conn, brw)
}

func (u *recordingUpstream) received() []seen {
	u.mu.Lock()
	defer u.mu.Unlock()
	return slices.Clone(u.reqs)
}

// TestDocumentedCommands runs every curl command the gateway prints, as a
// new user would, with -demo-upstream, and checks the status each one
// documents and the shape of its body.
func TestDocumentedCommands(t *testing.T) {
	t.Parallel()
	g := start(t, "-demo-upstream")
	if len(g.Commands) < 6 {
		t.Fatalf("only %d curl commands printed", len(g.Commands))
	}
	for _, line := range g.Commands {
		t.Run(line, func(t *testing.T) { runCurl(t, line, g.Env) })
	}
}

// TestCommandsAgainstRealUpstream runs the same commands through a gateway
// in front of an httptest upstream and checks what reached it: exactly the
// requests that succeeded, each with the verified identity and without the
// client's credentials or forged identity headers.
func TestCommandsAgainstRealUpstream(t *testing.T) {
	t.Parallel()
	up := newRecordingUpstream(t)
	g := start(t, "-upstream", up.URL)
	forwarded := 0
	for _, line := range g.Commands {
		want := runCurl(t, line, g.Env)
		if want < 300 && !strings.Contains(line, "/healthz") {
			forwarded++
		}
	}
	got := up.received()
	if len(got) != forwarded {
		t.Fatalf("upstream received %d requests, want %d (only the allowed ones): %v", len(got), forwarded, got)
	}
	for _, s := range got {
		if s.header.Get("Authorization") != "" {
			t.Errorf("%s %s: the client's Authorization reached the upstream", s.method, s.path)
		}
		if sub := s.header.Get(subjectHeader); sub != "demo-user" && sub != "reader-user" {
			t.Errorf("%s %s: %s = %q, want a demo token's subject", s.method, s.path, subjectHeader, sub)
		}
		if len(s.header.Values(subjectHeader)) != 1 {
			t.Errorf("%s %s: %s = %q, want one value", s.method, s.path, subjectHeader, s.header.Values(subjectHeader))
		}
		if s.header.Get(scopesHeader) == "" || s.header.Get(requestIDHeader) == "" {
			t.Errorf("%s %s: no scopes or request ID: %v", s.method, s.path, s.header)
		}
		if s.path == "/v1/nope" || s.path == "/admin" || s.method == http.MethodDelete {
			t.Errorf("%s %s reached the upstream", s.method, s.path)
		}
	}
}

// TestIdentityHeaders: whatever identity, forwarding or credential headers
// the client sends, the upstream sees only what the gateway verified.
func TestIdentityHeaders(t *testing.T) {
	t.Parallel()
	up := newRecordingUpstream(t)
	g := start(t, "-upstream", up.URL)
	req, _ := http.NewRequest("GET", g.Base+"/v1/items/7", nil)
	req.Header.Set("Authorization", "Bearer "+g.Env["READER"])
	req.Header.Set("X-Apishield-Subject", "admin")
	req.Header.Set("X-Apishield-Scopes", "items:read items:write admin")
	req.Header.Set("X-Apishield-Roles", "admin")
	req.Header.Set("X-Forwarded-For", "203.0.113.9")
	req.Header.Set("Forwarded", "for=203.0.113.9")
	req.Header.Set("Cookie", "session=secret")
	req.Header.Set("X-Request-ID", "client-req-1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	// The client is not a trusted proxy: its ID is not the request's.
	ids := resp.Header.Values("X-Request-Id")
	if len(ids) != 1 || ids[0] == "client-req-1" || ids[0] == "" {
		t.Fatalf("response X-Request-ID = %q, want the gateway's own ID once", ids)
	}
	got := up.received()
	if len(got) != 1 {
		t.Fatalf("upstream received %d requests", len(got))
	}
	h := got[0].header
	want := http.Header{
		"X-Apishield-Subject":     {"reader-user"},
		"X-Apishield-Scopes":      {"items:read"},
		"X-Apishield-Auth-Method": {"jwt"},
		"X-Apishield-Client-Id":   {"apishield-demo"},
		"X-Forwarded-For":         {"127.0.0.1"},
		"Forwarded":               {`for=127.0.0.1;host="` + strings.TrimPrefix(g.Base, "http://") + `";proto=http`},
		"X-Request-Id":            {ids[0]},
	}
	for name, v := range want {
		if !slices.Equal(h.Values(name), v) {
			t.Errorf("upstream got %s = %q, want %q", name, h.Values(name), v)
		}
	}
	for _, name := range []string{"Authorization", "Cookie", "X-Apishield-Roles"} {
		if v := h.Values(name); v != nil {
			t.Errorf("upstream got %s = %q, want none", name, v)
		}
	}
	if fwdHost := h.Get("X-Forwarded-Host"); fwdHost != strings.TrimPrefix(g.Base, "http://") {
		t.Errorf("X-Forwarded-Host = %q", fwdHost)
	}
}

// problem fetches path with the demo TOKEN and returns the status and
// problem body.
func problem(t *testing.T, g curltest.Printed, method, path string, body io.Reader) (int, string, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, g.Base+path, body)
	req.Header.Set("Authorization", "Bearer "+g.Env["TOKEN"])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var p map[string]any
	if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" || json.Unmarshal(raw, &p) != nil {
		t.Fatalf("status %d, Content-Type %q, body %s: want a problem", resp.StatusCode, ct, raw)
	}
	return resp.StatusCode, string(raw), p
}

// TestUpstreamDown: an upstream that refuses connections gives a 502
// problem that names neither the upstream nor the error.
func TestUpstreamDown(t *testing.T) {
	t.Parallel()
	up := httptest.NewServer(http.NotFoundHandler())
	up.Close() // its port now refuses connections
	g := start(t, "-upstream", up.URL)
	status, raw, p := problem(t, g, "GET", "/v1/items", nil)
	if status != http.StatusBadGateway || p["reason"] != "upstream_unavailable" {
		t.Fatalf("status %d, body %s: want 502 upstream_unavailable", status, raw)
	}
	u, _ := url.Parse(up.URL)
	for _, leak := range []string{u.Host, u.Port(), "refused", "dial", "tcp"} {
		if strings.Contains(raw, leak) {
			t.Errorf("problem leaks %q: %s", leak, raw)
		}
	}
}

// TestUpstreamTimeout: an upstream that never answers gives a 502 after
// -upstream-timeout rather than holding the client.
func TestUpstreamTimeout(t *testing.T) {
	t.Parallel()
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done() // released when the gateway gives up and closes the connection
	}))
	t.Cleanup(up.Close)
	g := start(t, "-upstream", up.URL, "-upstream-timeout", "100ms")
	status, raw, p := problem(t, g, "GET", "/v1/items", nil)
	if status != http.StatusBadGateway || p["reason"] != "upstream_unavailable" || strings.Contains(raw, "timeout") {
		t.Fatalf("status %d, body %s: want 502 upstream_unavailable without detail", status, raw)
	}
}

// TestUnforwardedBodyBounded: a body on a route without a validator is cut
// at maxForwardBody and refused with 413, not streamed on, whether it is
// read to look for a method override (a form) or streamed.
func TestUnforwardedBodyBounded(t *testing.T) {
	t.Parallel()
	up := newRecordingUpstream(t)
	g := newTestGateway(t, up.URL, func(proxy http.Handler) []apiRoute {
		return []apiRoute{{pattern: "POST /v1/uploads", rule: authz.AllScopes("items:write"), handler: proxy}}
	})
	for _, ctype := range []string{"application/octet-stream", "application/x-www-form-urlencoded"} {
		req, _ := http.NewRequest("POST", g.base+"/v1/uploads", strings.NewReader(strings.Repeat("a", maxForwardBody+1)))
		req.Header.Set("Authorization", "Bearer "+g.token(t, "items:write"))
		req.Header.Set("Content-Type", ctype)
		if status, body := do(t, req); status != http.StatusRequestEntityTooLarge || reason(body) != "payload_too_large" {
			t.Errorf("%s: status %d, body %s: want 413", ctype, status, body)
		}
	}
}

// TestUnknownRoutesRefused: anything outside the route table is refused at
// the gateway, authenticated or not, and never forwarded.
func TestUnknownRoutesRefused(t *testing.T) {
	t.Parallel()
	up := newRecordingUpstream(t)
	g := start(t, "-upstream", up.URL)
	for _, c := range []struct {
		method, path string
		want         int
	}{
		{"GET", "/", 404},
		{"GET", "/v1", 404},
		{"GET", "/v1/items/1/secrets", 404},
		{"GET", "/v1/users", 404},
		{"PUT", "/v1/items/1", 405},
		{"DELETE", "/v1/items", 405},
		{"GET", "/v1/items/../../admin", 404},
	} {
		status, raw, _ := problem(t, g, c.method, c.path, nil)
		if status != c.want {
			t.Errorf("%s %s: status %d, want %d: %s", c.method, c.path, status, c.want, raw)
		}
	}
	if got := up.received(); len(got) != 0 {
		t.Errorf("upstream received %v", got)
	}
}

func TestUpstreamFlag(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{},
		{"-upstream", ""},
		{"-upstream", "ftp://127.0.0.1/"},
		{"-upstream", "file:///etc/passwd"},
		{"-upstream", "localhost:9000"},
		{"-upstream", "127.0.0.1:9000"},
		{"-upstream", "http://"},
		{"-upstream", "/v1"},
		{"-upstream", "http://127.0.0.1:9000/?a=b"},
		{"-upstream", "http://user:secret@127.0.0.1:9000"},
		{"-upstream", "http://127.0.0.1:9000", "-demo-upstream"},
		{"-upstream", "http://127.0.0.1:9000", "-upstream-timeout", "0s"},
	} {
		err := run(context.Background(), append([]string{"-addr", "127.0.0.1:0"}, args...), io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), "upstream") {
			t.Errorf("run %q: err = %v, want a clear refusal naming -upstream", args, err)
		}
	}
}

func TestPlainHTTPOnlyOnLoopback(t *testing.T) {
	t.Parallel()
	err := run(context.Background(), []string{"-demo-upstream", "-addr", "0.0.0.0:0"}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Fatalf("err = %v, want a refusal to serve plain HTTP beyond loopback", err)
	}
}

// runCurl runs one printed command and checks it; it returns the status it
// expected.
func runCurl(t *testing.T, line string, env map[string]string) int {
	t.Helper()
	c := curltest.Parse(t, line, env)
	_, body := curltest.Check(t, c)
	if strings.Contains(line, "X-Apishield-Subject: admin") && !strings.Contains(string(body), `"subject":"demo-user"`) {
		t.Errorf("%s: the forged subject reached the upstream: %s", line, body)
	}
	return c.Want
}

// TestEncodedSlashesRefused: a path the policy saw as one segment must not
// become several at an upstream that decodes it again.
func TestEncodedSlashesRefused(t *testing.T) {
	t.Parallel()
	up := newRecordingUpstream(t)
	g := start(t, "-upstream", up.URL)
	for _, path := range []string{"/v1/items/a%2F..%2F..%2Fadmin", "/v1/items/a%2f", "/v1/items/a%5C..%5Cadmin"} {
		status, raw, p := problem(t, g, "GET", path, nil)
		if status != http.StatusBadRequest || p["reason"] != "malformed_request" {
			t.Errorf("GET %s: status %d, body %s: want 400 malformed_request", path, status, raw)
		}
	}
	if got := up.received(); len(got) != 0 {
		t.Errorf("upstream received %v", got)
	}
	// An ordinary escaped character is forwarded as it came.
	status, raw, _ := fetch(t, g, "/v1/items/a%20b")
	if status != http.StatusOK {
		t.Fatalf("GET /v1/items/a%%20b: status %d, body %s", status, raw)
	}
	if got := up.received(); len(got) != 1 || got[0].path != "/v1/items/a b" {
		t.Errorf("upstream received %v", got)
	}
}

// TestUpstreamBannerHidden: the upstream's Server and X-Powered-By headers
// do not reach the client.
func TestUpstreamBannerHidden(t *testing.T) {
	t.Parallel()
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Server", "Apache/2.4.1")
		w.Header().Set("X-Powered-By", "PHP/5.3")
		w.Header().Set("X-Request-Id", "upstream-own-id")
		echoUpstream(w, r)
	}))
	t.Cleanup(up.Close)
	g := start(t, "-upstream", up.URL)
	req, _ := http.NewRequest("GET", g.Base+"/v1/items", nil)
	req.Header.Set("Authorization", "Bearer "+g.Env["TOKEN"])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Server") != "" || resp.Header.Get("X-Powered-By") != "" {
		t.Errorf("status %d, headers %v", resp.StatusCode, resp.Header)
	}
	if ids := resp.Header.Values("X-Request-Id"); len(ids) != 1 || ids[0] == "upstream-own-id" {
		t.Errorf("X-Request-ID = %q, want the gateway's one", ids)
	}
}

// fetch GETs path with the demo TOKEN and returns the status, body and
// headers, whatever the body type.
func fetch(t *testing.T, g curltest.Printed, path string) (int, string, http.Header) {
	t.Helper()
	req, _ := http.NewRequest("GET", g.Base+path, nil)
	req.Header.Set("Authorization", "Bearer "+g.Env["TOKEN"])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(raw), resp.Header
}

// TestUpstreamPathPrefix: an upstream URL's path is the prefix of every
// forwarded path, and the query string is forwarded.
func TestUpstreamPathPrefix(t *testing.T) {
	t.Parallel()
	up := newRecordingUpstream(t)
	g := start(t, "-upstream", up.URL+"/api/")
	if status, raw, _ := fetch(t, g, "/v1/items/9?fields=name"); status != http.StatusOK {
		t.Fatalf("status %d, body %s", status, raw)
	}
	if got := up.received(); len(got) != 1 || got[0].path != "/api/v1/items/9" || got[0].query != "fields=name" {
		t.Errorf("upstream received %v", got)
	}
}
