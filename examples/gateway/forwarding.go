package main

import (
	"fmt"
	"net/http/httputil"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/apishield/apishield/auth"
	"github.com/apishield/apishield/ipfilter"
	"github.com/apishield/apishield/ratelimit"
)

// forwarding is what crosses from the client to the upstream besides the
// method, path, query and body: the allow-listed client headers, and what
// the gateway itself says about the request (identity, request ID, client
// address, public host and scheme). It is built once from the flags.
type forwarding struct {
	upstream *url.URL
	timeout  time.Duration // for the upstream's response headers
	// publicHost is the host[:port] clients reach the gateway at, sent as
	// X-Forwarded-Host and Forwarded's host. Never the client's Host.
	publicHost string
	// trusted are the networks of the proxies in front of the gateway,
	// whose X-Forwarded-For the rate limit and the audit log believe.
	trusted []netip.Prefix
	// request is the allow-list of client headers forwarded, canonical.
	request map[string]bool
	// response is the allow-list of upstream headers, trailers and 1xx
	// headers passed to the client, canonical.
	response map[string]bool
	// passErrors passes upstream 5xx responses as they are instead of a
	// 502 problem.
	passErrors bool
}

// forwardingFlags are the flags' values that shape forwarding.
type forwardingFlags struct {
	upstream        string
	timeout         time.Duration
	publicHost      string // empty: set after listening, to the listen address
	trustedProxies  string // comma-separated
	forwardHeaders  string // comma-separated, added to defaultRequestHeaders
	responseHeaders string // comma-separated, added to defaultResponseHeaders
	passErrors      bool
}

// newForwarding checks the flags' values; every error names its flag.
func newForwarding(f forwardingFlags) (*forwarding, error) {
	if f.timeout <= 0 {
		return nil, fmt.Errorf("-upstream-timeout must be positive, not %s", f.timeout)
	}
	upstream, err := parseUpstream(f.upstream)
	if err != nil {
		return nil, err
	}
	fw := &forwarding{upstream: upstream, timeout: f.timeout, passErrors: f.passErrors}
	if f.publicHost != "" {
		if fw.publicHost, err = parsePublicHost(f.publicHost); err != nil {
			return nil, err
		}
	}
	if f.trustedProxies != "" {
		if fw.trusted, err = ratelimit.ParseTrustedProxies(splitList(f.trustedProxies)); err != nil {
			return nil, fmt.Errorf("-trusted-proxies: %w", err)
		}
	}
	if fw.request, err = headerList(defaultRequestHeaders, f.forwardHeaders, reservedRequestHeader); err != nil {
		return nil, fmt.Errorf("-forward-headers: %w", err)
	}
	if fw.response, err = headerList(defaultResponseHeaders, f.responseHeaders, reservedResponseHeader); err != nil {
		return nil, fmt.Errorf("-response-headers: %w", err)
	}
	return fw, nil
}

// parsePublicHost accepts a host and optional port, nothing more, so the
// value is safe inside Forwarded's quotes.
func parsePublicHost(s string) (string, error) {
	u, err := url.Parse("http://" + s)
	if err != nil || u.Host != s || u.User != nil || u.Path != "" || u.RawQuery != "" ||
		u.Fragment != "" || strings.ContainsAny(s, "\"\\ ,;") {
		return "", fmt.Errorf("-public-host %q must be a host and optional port, such as api.example.com", s)
	}
	return s, nil
}

// splitList splits a comma-separated flag value, trimming spaces.
func splitList(s string) []string {
	parts := strings.Split(s, ",")
	for i, p := range parts {
		parts[i] = strings.TrimSpace(p)
	}
	return parts
}

// setHeaders replaces the outgoing request's headers with the allow-listed
// ones the client sent and the gateway's own. Anything else the client
// sent, whatever its name (Authorization, Cookie, X-Real-IP,
// X-Original-URL, X-Apishield-*…), does not reach the upstream.
func (fw *forwarding) setHeaders(pr *httputil.ProxyRequest) {
	h := pr.Out.Header
	// ReverseProxy has already removed the hop-by-hop headers and put back
	// Connection and Upgrade for a protocol switch (which the guard allowed
	// for this route), and TE only as "TE: trailers".
	upgrade := strings.ToLower(h.Get("Upgrade"))
	for name := range h {
		switch {
		case fw.request[name], name == "Te":
		case upgrade != "" && (name == "Connection" || name == "Upgrade" || upgradeRequestHeaders[upgrade][name]):
		default:
			delete(h, name)
		}
	}

	// The address the per-IP limit and the audit log resolved (walking
	// X-Forwarded-For right to left through trusted proxies only), read
	// back from the request, so X-Forwarded-For names the client they
	// counted. Without one (a unix-socket peer) the upstream gets none.
	ip, _ := ipfilter.ClientIP(pr.In)
	proto := "http"
	if pr.In.TLS != nil {
		proto = "https"
	}
	if ip.IsValid() {
		h.Set("X-Forwarded-For", ip.String())
	}
	h.Set("X-Forwarded-Host", fw.publicHost)
	h.Set("X-Forwarded-Proto", proto)
	h.Set("Forwarded", forwardedElement(ip, fw.publicHost, proto))

	if id, ok := pr.In.Context().Value(requestIDKey{}).(string); ok {
		h.Set(requestIDHeader, id)
	}
	if p, ok := auth.FromContext(pr.In.Context()); ok {
		h.Set(subjectHeader, p.Subject)
		h.Set(scopesHeader, strings.Join(p.Scopes, " "))
		h.Set(methodHeader, p.Method)
		if p.ClientID != "" {
			h.Set(clientIDHeader, p.ClientID)
		}
	}
}

// forwardedElement is the RFC 7239 Forwarded value for one hop: the
// client's address (if known), the public host and the scheme.
func forwardedElement(ip netip.Addr, host, proto string) string {
	var b strings.Builder
	switch {
	case ip.Is4():
		b.WriteString("for=" + ip.String() + ";")
	case ip.Is6():
		b.WriteString(`for="[` + ip.String() + `]";`)
	}
	b.WriteString(`host="` + host + `";proto=` + proto)
	return b.String()
}
