package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"net/textproto"
	"slices"
	"strings"
	"sync"
	"testing"
)

// leakyHeaders are what upstream stacks say about themselves.
var leakyHeaders = map[string]string{
	"Server":              "Apache/2.4.1 (Unix) OpenSSL/1.0.1e",
	"X-Powered-By":        "PHP/5.3.3",
	"X-Aspnet-Version":    "4.0.30319",
	"X-Aspnetmvc-Version": "5.2",
	"X-Debug-Token":       "a1b2c3",
	"X-Debug-Token-Link":  "http://10.0.0.5:9000/_profiler/a1b2c3",
	"X-Runtime":           "0.012",
	"X-Backend-Server":    "app-3.internal",
	"Via":                 "1.1 varnish",
	"X-Request-Id":        "upstream-own-id",
	"Set-Cookie":          "debug=1",
	"Www-Authenticate":    "Basic realm=internal",
}

// leakyUpstream answers every request with status, the leaky headers, and
// a body with a stack trace.
func leakyUpstream(t *testing.T, status int) *httptest.Server {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for k, v := range leakyHeaders {
			w.Header().Set(k, v)
		}
		w.Header().Set("Content-Type", "text/plain")
		w.Header().Set("Retry-After", "5")
		w.WriteHeader(status)
		io.WriteString(w, "panic: runtime error: invalid memory address\ngoroutine 1 [running]:\nmain.handler()\n\t/srv/app/internal/db/query.go:42 SELECT * FROM users\n")
	}))
	t.Cleanup(up.Close)
	return up
}

// TestUpstream5xxReplaced: an upstream 5xx becomes a 502 problem with
// nothing of the upstream's in it.
func TestUpstream5xxReplaced(t *testing.T) {
	t.Parallel()
	for _, status := range []int{500, 501, 503, 504, 599} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			t.Parallel()
			g := start(t, "-upstream", leakyUpstream(t, status).URL)
			got, raw, p := problem(t, g, "GET", "/v1/items", nil)
			if got != http.StatusBadGateway || p["reason"] != "upstream_unavailable" {
				t.Fatalf("status %d, body %s: want 502 upstream_unavailable", got, raw)
			}
			for _, leak := range []string{"panic", "goroutine", "query.go", "SELECT", "/srv/"} {
				if strings.Contains(raw, leak) {
					t.Errorf("the problem leaks %q: %s", leak, raw)
				}
			}
		})
	}
}

// TestPassUpstreamErrors: -pass-upstream-errors forwards the upstream's
// 5xx as it is, but its headers still through the allow-list.
func TestPassUpstreamErrors(t *testing.T) {
	t.Parallel()
	g := start(t, "-upstream", leakyUpstream(t, 503).URL, "-pass-upstream-errors")
	status, body, h := fetch(t, g, "/v1/items")
	if status != http.StatusServiceUnavailable || !strings.Contains(body, "goroutine") || h.Get("Retry-After") != "5" {
		t.Fatalf("status %d, Retry-After %q, body %q: want the upstream's 503", status, h.Get("Retry-After"), body)
	}
	checkNoLeakyHeaders(t, h)
}

// TestResponseHeaderAllowList: the client gets the allow-listed upstream
// headers (and -response-headers), never what the upstream says about
// itself.
func TestResponseHeaderAllowList(t *testing.T) {
	t.Parallel()
	allowed := http.Header{
		"Cache-Control": {"max-age=60"},
		"Etag":          {`"v1"`},
		"Last-Modified": {"Tue, 01 Dec 2026 10:00:00 GMT"},
		"Link":          {`</v1/items?page=2>; rel="next"`},
		"Deprecation":   {"@1767225600"},
		"Sunset":        {"Wed, 01 Dec 2027 00:00:00 GMT"},
	}
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for k, v := range leakyHeaders {
			w.Header().Set(k, v)
		}
		for k, v := range allowed {
			w.Header()[k] = v
		}
		w.Header().Set("X-Upstream-Page", "2")
		echoUpstream(w, r)
	}))
	t.Cleanup(up.Close)
	for _, c := range []struct {
		name  string
		flags []string
		extra bool
	}{
		{"default", nil, false},
		{"-response-headers", []string{"-response-headers", "X-Upstream-Page"}, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			g := start(t, append([]string{"-upstream", up.URL}, c.flags...)...)
			status, body, h := fetch(t, g, "/v1/items")
			if status != http.StatusOK {
				t.Fatalf("status %d, body %s", status, body)
			}
			checkNoLeakyHeaders(t, h)
			for k, v := range allowed {
				if !slices.Equal(h[k], v) {
					t.Errorf("%s = %q, want the upstream's %q", k, h[k], v)
				}
			}
			if got := h.Get("X-Upstream-Page") != ""; got != c.extra {
				t.Errorf("X-Upstream-Page passed: %v, want %v", got, c.extra)
			}
		})
	}
	for _, name := range []string{"Connection", "Transfer-Encoding", "X-Request-Id", "X-Apishield-Subject", "Bad Name"} {
		err := run(context.Background(), []string{"-addr", "127.0.0.1:0", "-demo-upstream", "-response-headers", name}, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), "-response-headers") {
			t.Errorf("-response-headers %q: err = %v, want a refusal naming the flag", name, err)
		}
	}
}

// checkNoLeakyHeaders fails the test if h carries one of leakyHeaders'
// values, or more than the gateway's own request ID.
func checkNoLeakyHeaders(t *testing.T, h http.Header) {
	t.Helper()
	for k, v := range leakyHeaders {
		if slices.Contains(h[k], v) {
			t.Errorf("the client got the upstream's %s: %q", k, v)
		}
	}
	if ids := h.Values("X-Request-Id"); len(ids) != 1 {
		t.Errorf("X-Request-Id = %q, want the gateway's one", ids)
	}
}

// TestUpstreamInformationalAndTrailers: the headers of a 1xx response
// (103 Early Hints) and the trailers go through the same allow-list, though
// ReverseProxy copies them apart from the response's headers.
func TestUpstreamInformationalAndTrailers(t *testing.T) {
	t.Parallel()
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Link", "</style.css>; rel=preload")
		w.Header().Set("X-Debug-Token", "early")
		w.WriteHeader(http.StatusEarlyHints)
		w.Header().Del("Link")
		w.Header().Del("X-Debug-Token")
		w.Header().Set("Trailer", "X-Debug-Trace, Etag")
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		io.WriteString(w, `{"ok":true}`)
		w.Header().Set("X-Debug-Trace", "at db.go:42")
		w.Header().Set("Etag", `"v2"`)
		w.Header().Set(http.TrailerPrefix+"X-Debug-Late", "unannounced")
	}))
	t.Cleanup(up.Close)
	g := start(t, "-upstream", up.URL)

	var mu sync.Mutex
	var early []textproto.MIMEHeader
	trace := &httptrace.ClientTrace{Got1xxResponse: func(code int, h textproto.MIMEHeader) error {
		mu.Lock()
		defer mu.Unlock()
		early = append(early, h)
		return nil
	}}
	req, _ := http.NewRequestWithContext(httptrace.WithClientTrace(context.Background(), trace), "GET", g.Base+"/v1/items", nil)
	req.Header.Set("Authorization", "Bearer "+g.Env["TOKEN"])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(early) != 1 || early[0].Get("Link") == "" || early[0].Get("X-Debug-Token") != "" {
		t.Errorf("1xx headers = %v, want the Link and not X-Debug-Token", early)
	}
	if resp.Trailer.Get("Etag") != `"v2"` || resp.Trailer.Get("X-Debug-Trace") != "" || resp.Trailer.Get("X-Debug-Late") != "" {
		t.Errorf("trailers = %v, want Etag only", resp.Trailer)
	}
	// ReverseProxy clears the response's headers after a 1xx; the
	// gateway's own must still be on the final one.
	if ids := resp.Header.Values("X-Request-Id"); len(ids) != 1 || resp.Header.Get("Ratelimit") == "" {
		t.Errorf("final response headers %v, want the gateway's request ID and rate limit", resp.Header)
	}
}

// TestUpstreamLocation: a Location that names the upstream becomes the
// gateway's path, so the client never learns the upstream's address or
// path prefix; a Location elsewhere is left alone.
func TestUpstreamLocation(t *testing.T) {
	t.Parallel()
	var upHost string
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Location", strings.ReplaceAll(r.URL.Query().Get("loc"), "UP", upHost))
		w.WriteHeader(http.StatusCreated)
		io.WriteString(w, "{}")
	}))
	t.Cleanup(up.Close)
	upHost = strings.TrimPrefix(up.URL, "http://")
	g := start(t, "-upstream", up.URL+"/api/")
	for _, c := range []struct{ loc, want string }{
		{"http://UP/api/v1/items/7", "/v1/items/7"},
		{"http://UP/api/v1/items/7?x=1", "/v1/items/7?x=1"},
		{"/api/v1/items/8", "/v1/items/8"},
		{"//UP/api/v1/items/9", "/v1/items/9"},
		{"http://UP/other", "/other"},
		{"https://cdn.example.com/a.png", "https://cdn.example.com/a.png"},
		{"/v1/items/10", "/v1/items/10"},
	} {
		status, body, h := fetch(t, g, "/v1/items?loc="+urlQueryEscape(c.loc))
		if status != http.StatusCreated || h.Get("Location") != c.want {
			t.Errorf("upstream Location %q: status %d, Location %q, body %s; want %q", c.loc, status, h.Get("Location"), body, c.want)
		}
	}
}

func urlQueryEscape(s string) string {
	r := strings.NewReplacer("%", "%25", "&", "%26", "+", "%2B", "?", "%3F", "=", "%3D", "#", "%23", " ", "%20")
	return r.Replace(s)
}
