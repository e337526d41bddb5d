package main

import (
	"context"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// TestRequestHeaderAllowList: the upstream receives the allow-listed client
// headers and the gateway's own, and none of the trust headers a client
// could forge: client addresses, original URLs, remote users.
func TestRequestHeaderAllowList(t *testing.T) {
	t.Parallel()
	up := newRecordingUpstream(t)
	g := start(t, "-upstream", up.URL)
	req, _ := http.NewRequest("GET", g.Base+"/v1/items/7", nil)
	req.Header.Set("Authorization", "Bearer "+g.Env["READER"])
	allowed := http.Header{
		"Accept":          {"application/json"},
		"Accept-Language": {"en"},
		"If-None-Match":   {`"v1"`},
		"User-Agent":      {"test/1"},
		"Traceparent":     {"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"},
	}
	for k, v := range allowed {
		req.Header[k] = v
	}
	for _, name := range []string{
		"X-Real-IP", "True-Client-IP", "X-Client-IP", "CF-Connecting-IP", "Fastly-Client-IP", "X-Cluster-Client-IP",
		"X-Original-URL", "X-Rewrite-URL", "X-Original-Host", "X-Original-Forwarded-For", "X-Host",
		"X-Forwarded-User", "X-Remote-User", "X-Forwarded-Port", "X-Forwarded-Prefix", "X-Forwarded-Server",
		"X-Forwarded-Scheme", "X-Forwarded-Ssl", "Front-End-Https", "Referer", "Origin", "X-Custom",
		"Cookie", "Proxy-Authorization",
	} {
		req.Header.Set(name, "127.0.0.1")
	}
	if status, body := do(t, req); status != http.StatusOK {
		t.Fatalf("status %d, body %s", status, body)
	}
	got := up.received()
	if len(got) != 1 {
		t.Fatalf("upstream received %d requests", len(got))
	}
	h := got[0].header
	want := []string{
		"Accept", "Accept-Encoding", "Accept-Language", "Forwarded", "If-None-Match", "Traceparent", "User-Agent",
		"X-Apishield-Auth-Method", "X-Apishield-Client-Id", "X-Apishield-Scopes", "X-Apishield-Subject",
		"X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto", "X-Request-Id",
	}
	if names := slices.Sorted(maps.Keys(h)); !slices.Equal(names, want) {
		t.Errorf("upstream got headers %q, want exactly %q", names, want)
	}
	for k, v := range allowed {
		if !slices.Equal(h[k], v) {
			t.Errorf("upstream got %s = %q, want %q", k, h[k], v)
		}
	}
}

// TestForwardedHost: X-Forwarded-Host and Forwarded name the configured
// public host (by default the listen address), never the client's Host.
func TestForwardedHost(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name  string
		flags []string
		want  func(base string) string
	}{
		{"default", nil, func(base string) string { return strings.TrimPrefix(base, "http://") }},
		{"-public-host", []string{"-public-host", "api.example.com"}, func(string) string { return "api.example.com" }},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			up := newRecordingUpstream(t)
			g := start(t, append([]string{"-upstream", up.URL}, c.flags...)...)
			req, _ := http.NewRequest("GET", g.Base+"/v1/items", nil)
			req.Host = "evil.example"
			req.Header.Set("Authorization", "Bearer "+g.Env["READER"])
			req.Header.Set("X-Forwarded-Host", "evil.example")
			if status, body := do(t, req); status != http.StatusOK {
				t.Fatalf("status %d, body %s", status, body)
			}
			got := up.received()
			if len(got) != 1 {
				t.Fatalf("upstream received %d requests", len(got))
			}
			want := c.want(g.Base)
			if h := got[0].header.Values("X-Forwarded-Host"); !slices.Equal(h, []string{want}) {
				t.Errorf("X-Forwarded-Host = %q, want %q", h, want)
			}
			if f := got[0].header.Get("Forwarded"); !strings.Contains(f, `host="`+want+`"`) || strings.Contains(f, "evil") {
				t.Errorf("Forwarded = %q, want host=%q", f, want)
			}
		})
	}
}

// TestForwardedFor: X-Forwarded-For is the one client address the gateway
// resolved (through -trusted-proxies, as its rate limit and audit log do),
// never the header the client sent.
func TestForwardedFor(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name, xff   string
		flags       []string
		want, wantF string
	}{
		{"no proxy trusted", "203.0.113.9", nil, "127.0.0.1", "for=127.0.0.1"},
		{"trusted proxy", "203.0.113.9", []string{"-trusted-proxies", "127.0.0.1/32"}, "203.0.113.9", "for=203.0.113.9"},
		{"trusted proxy, forged chain", "198.51.100.1, 203.0.113.9", []string{"-trusted-proxies", "127.0.0.1/32"}, "203.0.113.9", "for=203.0.113.9"},
		{"trusted proxy, IPv6", "2001:db8::7", []string{"-trusted-proxies", "127.0.0.0/8,10.0.0.0/8"}, "2001:db8::7", `for="[2001:db8::7]"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			up := newRecordingUpstream(t)
			g := start(t, append([]string{"-upstream", up.URL}, c.flags...)...)
			req, _ := http.NewRequest("GET", g.Base+"/v1/items", nil)
			req.Header.Set("Authorization", "Bearer "+g.Env["READER"])
			req.Header.Set("X-Forwarded-For", c.xff)
			req.Header.Set("Forwarded", "for=198.51.100.99")
			if status, body := do(t, req); status != http.StatusOK {
				t.Fatalf("status %d, body %s", status, body)
			}
			got := up.received()
			if len(got) != 1 {
				t.Fatalf("upstream received %d requests", len(got))
			}
			if h := got[0].header.Values("X-Forwarded-For"); !slices.Equal(h, []string{c.want}) {
				t.Errorf("X-Forwarded-For = %q, want %q", h, c.want)
			}
			if f := got[0].header.Values("Forwarded"); len(f) != 1 || !strings.HasPrefix(f[0], c.wantF+";") {
				t.Errorf("Forwarded = %q, want it to start %q", f, c.wantF)
			}
		})
	}
}

// TestForwardHeadersFlag: -forward-headers adds names to the allow-list,
// but never one that carries credentials, identity, routing or a client
// address.
func TestForwardHeadersFlag(t *testing.T) {
	t.Parallel()
	up := newRecordingUpstream(t)
	g := start(t, "-upstream", up.URL, "-forward-headers", "Prefer, x-tenant-id")
	req, _ := http.NewRequest("GET", g.Base+"/v1/items", nil)
	req.Header.Set("Authorization", "Bearer "+g.Env["READER"])
	req.Header.Set("Prefer", "return=minimal")
	req.Header.Set("X-Tenant-Id", "t1")
	if status, body := do(t, req); status != http.StatusOK {
		t.Fatalf("status %d, body %s", status, body)
	}
	if got := up.received(); len(got) != 1 || got[0].header.Get("Prefer") != "return=minimal" || got[0].header.Get("X-Tenant-Id") != "t1" {
		t.Errorf("upstream received %v, want Prefer and X-Tenant-Id", got)
	}

	for _, c := range []struct{ flag, value string }{
		{"-forward-headers", "Authorization"},
		{"-forward-headers", "cookie"},
		{"-forward-headers", "X-Forwarded-For"},
		{"-forward-headers", "X-Original-URL"},
		{"-forward-headers", "X-Real-IP"},
		{"-forward-headers", "X-Apishield-Subject"},
		{"-forward-headers", "X-Request-Id"},
		{"-forward-headers", "Upgrade"},
		{"-forward-headers", "Host"},
		{"-forward-headers", "X-HTTP-Method-Override"},
		{"-forward-headers", "X_Tenant"},
		{"-forward-headers", "X Tenant"},
		{"-forward-headers", "Prefer,,Accept"},
		{"-public-host", "http://api.example.com"},
		{"-public-host", "api.example.com/x"},
		{"-public-host", `api".example.com`},
		{"-public-host", "user@api.example.com"},
		{"-trusted-proxies", "not-a-network"},
	} {
		err := run(context.Background(), []string{"-addr", "127.0.0.1:0", "-demo-upstream", c.flag, c.value}, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), c.flag) {
			t.Errorf("%s %q: err = %v, want a refusal naming %s", c.flag, c.value, err, c.flag)
		}
	}
}
