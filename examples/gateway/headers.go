package main

import (
	"fmt"
	"net/http"
	"strings"
)

// defaultRequestHeaders is the allow-list of client headers forwarded
// (-forward-headers adds to it): content negotiation, the body's type and
// length, conditional requests, an idempotency key and W3C trace context.
// Every other header the client sends is dropped.
var defaultRequestHeaders = []string{
	"Accept", "Accept-Encoding", "Accept-Language",
	"Content-Type", "Content-Length",
	"If-Match", "If-None-Match", "If-Modified-Since", "If-Unmodified-Since",
	"Idempotency-Key", "Traceparent", "Tracestate", "User-Agent",
}

// upgradeRequestHeaders are also forwarded on a protocol switch the route
// allows, by protocol.
var upgradeRequestHeaders = map[string]map[string]bool{
	"websocket": {
		"Sec-Websocket-Key": true, "Sec-Websocket-Version": true, "Sec-Websocket-Protocol": true,
		"Sec-Websocket-Extensions": true, "Origin": true, // the upstream's check against cross-site WebSockets
	},
}

// reservedRequestHeader reports whether name (canonical) may never be added
// to the allow-list: credentials, the identity and request ID the gateway
// sets, client addresses, original URLs and remote users that upstreams
// trust, hop-by-hop, framing and upgrade headers, and method overrides.
func reservedRequestHeader(name string) bool {
	switch name {
	case "Authorization", "Cookie", "X-Api-Key", "Host", "Connection", "Upgrade", "Http2-Settings",
		"Keep-Alive", "Te", "Trailer", "Transfer-Encoding", "Content-Encoding", "Expect", "Forwarded",
		"X-Real-Ip", "True-Client-Ip", "X-Client-Ip", "Cf-Connecting-Ip", "Fastly-Client-Ip",
		"X-Cluster-Client-Ip", "X-Rewrite-Url", "X-Remote-User", "X-Remote-Addr", "X-Host", requestIDHeader:
		return true
	}
	for _, p := range []string{"X-Forwarded-", "X-Original-", identityPrefix, "Proxy-", "Sec-Websocket-"} {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return overrideHeaders[name]
}

// headerList is defaults plus the comma-separated names in extra, canonical.
// A name must be a token without "_" (see checkUnderscores), and not
// reserved.
func headerList(defaults []string, extra string, reserved func(string) bool) (map[string]bool, error) {
	m := make(map[string]bool, len(defaults))
	for _, name := range defaults {
		m[http.CanonicalHeaderKey(name)] = true
	}
	if extra == "" {
		return m, nil
	}
	for _, name := range splitList(extra) {
		if !isToken(name) || strings.ContainsFunc(name, foldedChar) {
			return nil, fmt.Errorf("%q is not a header name of letters, digits and \"-\"", name)
		}
		name = http.CanonicalHeaderKey(name)
		if reserved(name) {
			return nil, fmt.Errorf("%s is set by the gateway or never forwarded", name)
		}
		m[name] = true
	}
	return m, nil
}

// gatewayHeaders are the request headers the gateway sets itself on every
// forwarded request, besides the identity headers under identityPrefix.
var gatewayHeaders = map[string]bool{
	requestIDHeader:     true,
	"X-Forwarded-For":   true,
	"X-Forwarded-Host":  true,
	"X-Forwarded-Proto": true,
	"Forwarded":         true,
}

// checkUnderscores refuses a header whose name, read with "_" as "-", is one
// the gateway sets or forwards (allowed). CGI, WSGI, Rack and PHP upstreams turn both
// X-Apishield-Subject and X_Apishield_Subject (and X-Apishield_Subject)
// into the one variable HTTP_X_APISHIELD_SUBJECT, so the client's would
// merge with, or replace, the gateway's. Some (Apache's CGI environment)
// turn any character that is not a letter or digit into "_", so "." and
// the other token characters are read as "-" too.
//
// Why refuse rather than drop every name with "_", as nginx does: a
// client that spells a gateway header with underscores is forging it,
// and a 400 problem puts that in the audit log where a silent drop would
// hide it. Other names with "_" are not on the allow-list, so they are
// dropped, as nginx would.
func checkUnderscores(h http.Header, allowed map[string]bool) error {
	for name := range h {
		if !strings.ContainsFunc(name, foldedChar) {
			continue
		}
		if folded := foldHeaderName(name); strings.HasPrefix(folded, identityPrefix) || gatewayHeaders[folded] || allowed[folded] {
			return malformed("A header name with underscores stands for a header the gateway sets or forwards; it is not accepted.")
		}
	}
	return nil
}

// foldHeaderName returns name, canonical, with every character that is not
// a letter, digit or "-" read as "-".
func foldHeaderName(name string) string {
	if !strings.ContainsFunc(name, foldedChar) {
		return http.CanonicalHeaderKey(name)
	}
	b := []byte(name)
	for i, c := range b {
		if foldedChar(rune(c)) {
			b[i] = '-'
		}
	}
	return http.CanonicalHeaderKey(string(b))
}

// foldedChar reports whether c is read as "-" in a header name: anything
// but a letter, a digit and "-" itself.
func foldedChar(c rune) bool {
	return !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-')
}
