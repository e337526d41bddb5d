package clientip

import (
	"errors"
	"fmt"
	"net/netip"
	"net/textproto"
	"strings"
)

// ErrInvalidConfig is wrapped by every error New and ParsePrefixes return.
var ErrInvalidConfig = errors.New("clientip: invalid config")

// Header names the Resolver can consult. Exactly one is consulted per Resolver.
const (
	// HeaderXForwardedFor is the de facto comma-separated list that proxies append to.
	HeaderXForwardedFor = "X-Forwarded-For"
	// HeaderForwarded is the RFC 7239 header; only its for= parameter is used.
	HeaderForwarded = "Forwarded"
	// HeaderXRealIP is the single-address header nginx-style proxies overwrite.
	HeaderXRealIP = "X-Real-IP"
)

// Defaults applied by New for zero Config fields.
const (
	// DefaultMaxHops is how many header entries are examined when Config.MaxHops is zero.
	DefaultMaxHops = 16
	// DefaultMaxHeaderBytes is how many header bytes are examined when
	// Config.MaxHeaderBytes is zero.
	DefaultMaxHeaderBytes = 8 << 10
)

// Config configures a Resolver. A Config must not be modified while New is
// running; New copies what it keeps.
type Config struct {
	// TrustedProxies lists the networks whose connections and header
	// entries are believed. Only a peer inside one of them may tell us who
	// the client is. If empty, nobody is trusted: the socket peer
	// (http.Request.RemoteAddr) is the client and no header is read.
	// IPv4-mapped IPv6 prefixes (::ffff:10.0.0.0/104) are converted to their
	// IPv4 form, because addresses are unmapped before they are compared.
	// Use ParsePrefixes to build it from configuration strings.
	TrustedProxies []netip.Prefix

	// Header is the one forwarding header the trusted proxies set:
	// HeaderXForwardedFor, HeaderForwarded or HeaderXRealIP (matched
	// case-insensitively). If empty, HeaderXForwardedFor.
	//
	// Only one header is ever consulted. A proxy rewrites or appends to the
	// header it knows and passes every other header through untouched, so
	// honouring a second header would let a client forge exactly the one
	// the proxy does not write.
	Header string

	// MaxHops bounds how many header entries are examined, counted from
	// the right. When the bound is reached with every entry so far trusted,
	// the last trusted entry is the answer. If zero, DefaultMaxHops.
	// Negative is an error.
	MaxHops int

	// MaxHeaderBytes bounds how many bytes of the header (all its lines
	// together, counted from the right) are examined. An entry cut by the
	// bound is not parsed; the last trusted entry is the answer. If zero,
	// DefaultMaxHeaderBytes. Negative is an error.
	MaxHeaderBytes int
}

// ParsePrefixes parses configuration strings into prefixes for
// Config.TrustedProxies. Each string is a CIDR ("10.0.0.0/8",
// "2001:db8::/32") or a bare address ("192.0.2.1", "2001:db8::1"), which
// becomes a single-address prefix. Surrounding spaces are ignored; empty
// strings, zones and host bits set in a CIDR are errors, because a typo in a
// trust list must not silently widen or narrow it. Errors wrap
// ErrInvalidConfig.
func ParsePrefixes(ss []string) ([]netip.Prefix, error) {
	out := make([]netip.Prefix, 0, len(ss))
	for i, s := range ss {
		s = strings.TrimSpace(s)
		var p netip.Prefix
		if strings.IndexByte(s, '/') >= 0 {
			var err error
			p, err = netip.ParsePrefix(s)
			if err != nil {
				return nil, fmt.Errorf("%w: trusted proxy %d %q: %v", ErrInvalidConfig, i, s, err)
			}
			if p != p.Masked() {
				return nil, fmt.Errorf("%w: trusted proxy %d %q has host bits set (did you mean %s?)", ErrInvalidConfig, i, s, p.Masked())
			}
		} else {
			a, err := netip.ParseAddr(s)
			if err != nil {
				return nil, fmt.Errorf("%w: trusted proxy %d %q: %v", ErrInvalidConfig, i, s, err)
			}
			if a.Zone() != "" {
				return nil, fmt.Errorf("%w: trusted proxy %d %q: zones are not allowed", ErrInvalidConfig, i, s)
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		out = append(out, p)
	}
	return out, nil
}

// normalizePrefix makes p comparable with unmapped, zoneless addresses.
func normalizePrefix(p netip.Prefix) (netip.Prefix, bool) {
	if !p.IsValid() {
		return netip.Prefix{}, false
	}
	if a := p.Addr(); a.Is4In6() && p.Bits() >= 96 {
		p = netip.PrefixFrom(a.Unmap(), p.Bits()-96)
	}
	return p.Masked(), true
}

// canonicalHeader maps a configured header name to its canonical map key.
func canonicalHeader(name string) (key string, forwarded bool, err error) {
	switch {
	case name == "" || strings.EqualFold(name, HeaderXForwardedFor):
		return textproto.CanonicalMIMEHeaderKey(HeaderXForwardedFor), false, nil
	case strings.EqualFold(name, HeaderForwarded):
		return textproto.CanonicalMIMEHeaderKey(HeaderForwarded), true, nil
	case strings.EqualFold(name, HeaderXRealIP):
		return textproto.CanonicalMIMEHeaderKey(HeaderXRealIP), false, nil
	}
	return "", false, fmt.Errorf("%w: header %q is not one of %s, %s, %s",
		ErrInvalidConfig, name, HeaderXForwardedFor, HeaderForwarded, HeaderXRealIP)
}
