package clientip

import (
	"fmt"
	"net/http"
	"net/netip"
	"slices"
	"strings"
)

// Resolver decides which address is the client of a request. It is built
// by New and is safe for concurrent use. The zero Resolver trusts nobody:
// it returns the socket peer and never reads a header, and so does a nil
// *Resolver, so a caller may leave its resolver unset.
type Resolver struct {
	trusted   []netip.Prefix
	header    string // canonical map key
	kind      headerKind
	forwarded bool // kind == kindForwarded, read in the walk's loop
	maxHops   int
	maxBytes  int
}

// New validates cfg and returns a Resolver. Errors wrap ErrInvalidConfig.
func New(cfg Config) (*Resolver, error) {
	key, kind, err := canonicalHeader(cfg.Header)
	if err != nil {
		return nil, err
	}
	if cfg.Header != "" && len(cfg.TrustedProxies) == 0 {
		// Fail closed, and loudly: a header nobody may set is a trust
		// list that was forgotten, not a choice.
		return nil, fmt.Errorf("%w: Header %q is set but TrustedProxies is empty, so it would never be believed; list the proxies that set it", ErrInvalidConfig, cfg.Header)
	}
	if cfg.MaxHops < 0 {
		return nil, fmt.Errorf("%w: MaxHops %d is negative", ErrInvalidConfig, cfg.MaxHops)
	}
	if cfg.MaxHeaderBytes < 0 {
		return nil, fmt.Errorf("%w: MaxHeaderBytes %d is negative", ErrInvalidConfig, cfg.MaxHeaderBytes)
	}
	r := &Resolver{
		header:    key,
		kind:      kind,
		forwarded: kind == kindForwarded,
		maxHops:   cfg.MaxHops,
		maxBytes:  cfg.MaxHeaderBytes,
	}
	if r.maxHops == 0 {
		r.maxHops = DefaultMaxHops
	}
	if r.maxBytes == 0 {
		r.maxBytes = DefaultMaxHeaderBytes
	}
	for i, p := range cfg.TrustedProxies {
		np, ok := NormalizePrefix(p)
		if !ok {
			return nil, fmt.Errorf("%w: trusted proxy %d is not a valid prefix", ErrInvalidConfig, i)
		}
		if !slices.Contains(r.trusted, np) {
			r.trusted = append(r.trusted, np)
		}
	}
	return r, nil
}

// MustNew is New for start-up code: it panics if cfg is invalid.
func MustNew(cfg Config) *Resolver {
	r, err := New(cfg)
	if err != nil {
		panic(err)
	}
	return r
}

// Header reports the canonical name of the one header r consults, or ""
// if r trusts nobody and so never reads a header.
func (r *Resolver) Header() string {
	if r == nil || len(r.trusted) == 0 {
		return ""
	}
	return r.header
}

// ClientIP returns the address of the client of req, unmapped (no
// ::ffff:1.2.3.4 forms) and without a zone.
//
// If the socket peer is not a trusted proxy, it is the client. Otherwise
// the configured header's entries are walked from right to left across all
// its lines in order, skipping trusted addresses: the first untrusted
// address is the client, and if every entry is trusted the leftmost is.
// An entry that does not parse, or the hop or byte bound, stops the walk
// and the last trusted address seen (at least the peer) is returned, never
// the unparsable entry and never anything left of it.
//
// A single-address header (X-Real-IP, CF-Connecting-IP, True-Client-IP,
// Fastly-Client-IP) from a trusted peer is the client if it is exactly one
// line holding one bare address, trusted or not; anything else (no line,
// two lines, a list, a port, garbage) gives the peer.
//
// If req.RemoteAddr is not an IP address (a unix socket peer is "@" or "",
// as are requests built by hand in tests), ClientIP returns the zero Addr,
// whose IsValid is false, and no header is believed.
func (r *Resolver) ClientIP(req *http.Request) netip.Addr {
	return r.Resolve(req.RemoteAddr, req.Header)
}

// Resolve is ClientIP for callers that hold the peer address and header
// outside an *http.Request. remoteAddr has the form of
// http.Request.RemoteAddr ("192.0.2.1:1234", "[2001:db8::1]:443" or a bare
// address); h must have canonical keys, as net/http provides.
func (r *Resolver) Resolve(remoteAddr string, h http.Header) netip.Addr {
	peer := ParseRemoteAddr(remoteAddr)
	if r == nil || !peer.IsValid() || !r.isTrusted(peer) {
		return peer
	}
	if r.kind == kindSingle {
		return r.single(h[r.header], peer)
	}
	return r.walk(h[r.header], peer)
}

// single reads a single-address header from a trusted peer. One proxy
// wrote it by overwriting whatever the client sent, so it is one line and
// one address; any other shape means someone else wrote into it, and the
// peer is the answer, as when a walk meets an unparsable entry.
func (r *Resolver) single(values []string, peer netip.Addr) netip.Addr {
	if len(values) != 1 {
		return peer
	}
	v := trimOWS(values[0])
	if v == "" || len(v) > maxSingleBytes || len(v) > r.maxBytes || !addrShaped(v) {
		return peer
	}
	a, err := netip.ParseAddr(v) // refuses ports, brackets, lists and names
	if err != nil {
		return peer
	}
	return a.WithZone("").Unmap()
}

// addrShaped is a cheap test that v could be a bare address, so that the
// common wrong shapes (a port, brackets, a list, a name) are refused
// without the allocation of netip's parse error: only hex digits, dots and
// colons, optionally followed by a zone, and never exactly one colon, which
// is IPv4 with a port.
func addrShaped(v string) bool {
	colons := 0
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case c == '%':
			return colons >= 2 && i+1 < len(v)
		case c == ':':
			colons++
		case c == '.' || '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F':
		default:
			return false
		}
	}
	return colons != 1
}

// ParseRemoteAddr parses an http.Request.RemoteAddr: "ip:port",
// "[ipv6]:port" or a bare address. The result is unmapped and zoneless; it
// is the zero Addr if s is not an IP address (unix sockets, empty).
func ParseRemoteAddr(s string) netip.Addr {
	ap, err := netip.ParseAddrPort(s)
	if err == nil {
		return ap.Addr().WithZone("").Unmap()
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}
	}
	return a.WithZone("").Unmap()
}

// isTrusted reports whether a is inside a trusted prefix.
func (r *Resolver) isTrusted(a netip.Addr) bool {
	for _, p := range r.trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// walk runs the right-to-left walk over the header's lines. The peer is
// trusted; it is the answer if the header adds nothing usable.
func (r *Resolver) walk(values []string, peer netip.Addr) netip.Addr {
	last := peer
	budget, hops := r.maxBytes, 0
	for i := len(values) - 1; i >= 0; i-- {
		v := values[i]
		// Only the rightmost budget bytes are looked at; the entry they
		// cut through is incomplete and ends the walk below.
		truncated := false
		if len(v) > budget {
			v, truncated = v[len(v)-budget:], true
		}
		budget -= len(v)
		for {
			sep := -1
			if r.forwarded {
				var ok bool
				if sep, ok = lastElementSep(v); !ok {
					return last
				}
			} else {
				sep = strings.LastIndexByte(v, ',')
			}
			if sep < 0 && truncated {
				return last
			}
			if hops++; hops > r.maxHops {
				return last
			}
			var a netip.Addr
			var ok bool
			if r.forwarded {
				a, ok = parseForwardedElement(v[sep+1:])
			} else {
				a, ok = parseNode(trimOWS(v[sep+1:]), false)
			}
			if !ok {
				return last
			}
			if !r.isTrusted(a) {
				return a
			}
			last = a
			if sep < 0 {
				break
			}
			v = v[:sep]
		}
	}
	return last
}
