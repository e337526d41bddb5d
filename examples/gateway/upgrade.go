package main

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// A request that switches protocols (Upgrade: websocket, h2c…) turns its
// connection into a raw tunnel to the upstream once the upstream answers 101:
// past the handshake, no rate limit, policy, validator or audit event sees
// what flows through it. So the gateway refuses Upgrade, HTTP2-Settings and
// "Connection: upgrade" on every route except those whose table entry lists
// the protocol (apiRoute.upgrades), and then only that one protocol.
//
// The Connection header has a second use: it names headers that each proxy
// removes before forwarding (RFC 9110 §7.6.1), so "Connection: Content-Type"
// would strip a header the gateway has checked. Only the options that name
// no header are accepted: keep-alive, close, TE (which goes with
// "TE: trailers"), and upgrade (with HTTP2-Settings for h2c) on a route that
// allows it.

// checkUpgrade refuses a Connection header with options other than those,
// and any protocol switch the matched route does not allow.
func (g *guard) checkUpgrade(r *http.Request) error {
	upgrade, settings := false, false
	for _, v := range r.Header["Connection"] {
		for opt := range strings.SplitSeq(v, ",") {
			switch strings.ToLower(strings.TrimSpace(opt)) {
			case "", "keep-alive", "close", "te":
			case "upgrade":
				upgrade = true
			case "http2-settings":
				settings = true
			default:
				return malformed("The Connection header may only carry keep-alive, close and TE, or upgrade on a route that allows it.")
			}
		}
	}
	protos := r.Header["Upgrade"]
	_, sendsSettings := r.Header["Http2-Settings"]
	if !upgrade && !settings && len(protos) == 0 && !sendsSettings {
		return nil
	}
	refused := malformed("This route does not allow switching protocols.")
	if !upgrade || len(protos) != 1 {
		return refused // half an upgrade, or several protocols
	}
	proto := strings.ToLower(strings.TrimSpace(protos[0]))
	if !isProtocol(proto) {
		return refused // a list, or not a protocol name
	}
	_, pattern := g.mux.Handler(r)
	if !slices.Contains(g.upgrades[pattern], proto) {
		return refused
	}
	if (settings || sendsSettings) && proto != "h2c" {
		return refused // HTTP2-Settings belongs to h2c only
	}
	return nil
}

// isProtocol reports whether s is one RFC 9110 §7.8 protocol: a name, and
// optionally "/" and a version.
func isProtocol(s string) bool {
	name, version, hasVersion := strings.Cut(s, "/")
	return isToken(name) && (!hasVersion || isToken(version))
}

// upgradeTable maps each route pattern to the protocols it allows, lower
// case. A protocol must be one name, so a typo such as "websocket,h2c"
// stops the gateway at start-up.
func upgradeTable(table []apiRoute) (map[string][]string, error) {
	m := map[string][]string{}
	for _, rt := range table {
		for _, p := range rt.upgrades {
			if !isProtocol(p) {
				return nil, fmt.Errorf("route %q: upgrade protocol %q is not one protocol name", rt.pattern, p)
			}
			m[rt.pattern] = append(m[rt.pattern], strings.ToLower(p))
		}
	}
	return m, nil
}
