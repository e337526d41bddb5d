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
	// HeaderCFConnectingIP is the single-address header Cloudflare sets.
	HeaderCFConnectingIP = "CF-Connecting-IP"
	// HeaderTrueClientIP is the single-address header Akamai and
	// Cloudflare (Enterprise) set.
	HeaderTrueClientIP = "True-Client-IP"
	// HeaderFastlyClientIP is the single-address header Fastly sets.
	HeaderFastlyClientIP = "Fastly-Client-IP"
)

// maxSingleBytes bounds a single-address header's value: the longest
// textual IPv6 address is 45 bytes, so anything much longer is not one and
// is not parsed (nor its zone interned).
const maxSingleBytes = 64

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

	// Header is the one forwarding header the trusted proxies set, matched
	// case-insensitively. If empty, HeaderXForwardedFor.
	//
	// The list headers, HeaderXForwardedFor and HeaderForwarded, are walked
	// right to left as ClientIP describes. The single-address headers,
	// HeaderXRealIP, HeaderCFConnectingIP, HeaderTrueClientIP and
	// HeaderFastlyClientIP, are believed only when they hold exactly one
	// line with exactly one bare address ("198.51.100.7", "2001:db8::7"):
	// a second line, a list, a port, brackets or anything else that is
	// not an address means the header was not written by the proxy alone,
	// and the socket peer is the answer, as for an unparsable
	// X-Forwarded-For entry.
	//
	// Only one header is ever consulted. A proxy rewrites or appends to the
	// header it knows and passes every other header through untouched, so
	// honouring a second header would let a client forge exactly the one
	// the proxy does not write. A Header set while TrustedProxies is empty
	// is an error: nobody could be believed, and the setting would
	// silently do nothing.
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
		p, err := ParsePrefix(s)
		if err != nil {
			return nil, fmt.Errorf("%w: trusted proxy %d %v", ErrInvalidConfig, i, err)
		}
		out = append(out, p)
	}
	return out, nil
}

// ParsePrefix parses one configuration string as ParsePrefixes does: a
// CIDR or a bare address, surrounding spaces ignored; an empty string, a
// zone or host bits set in a CIDR is an error. The error quotes s and does
// not wrap ErrInvalidConfig: the caller says which list s came from. The
// prefix is returned as written; see NormalizePrefix.
func ParsePrefix(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	if strings.IndexByte(s, '/') >= 0 {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("%q: %v", s, err)
		}
		if p != p.Masked() {
			return netip.Prefix{}, fmt.Errorf("%q has host bits set (did you mean %s?)", s, p.Masked())
		}
		return p, nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("%q: %v", s, err)
	}
	if a.Zone() != "" {
		return netip.Prefix{}, fmt.Errorf("%q: zones are not allowed", s)
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// NormalizePrefix makes p comparable with the unmapped, zoneless addresses
// a Resolver returns: an IPv4-mapped IPv6 prefix of at least 96 bits
// (::ffff:10.0.0.0/104) becomes its IPv4 form (10.0.0.0/8), and host bits
// are masked. ok is false for an invalid prefix. A mapped prefix shorter
// than 96 bits also covers non-mapped IPv6 addresses and is kept as IPv6.
func NormalizePrefix(p netip.Prefix) (netip.Prefix, bool) {
	if !p.IsValid() {
		return netip.Prefix{}, false
	}
	if a := p.Addr(); a.Is4In6() && p.Bits() >= 96 {
		p = netip.PrefixFrom(a.Unmap(), p.Bits()-96)
	}
	return p.Masked(), true
}

// headerKind is how a header's value is read.
type headerKind uint8

const (
	kindXFF       headerKind = iota // comma-separated list, walked right to left
	kindForwarded                   // RFC 7239 elements, walked right to left
	kindSingle                      // exactly one bare address
)

// headers are the names Config.Header may take and how each is read.
var headers = []struct {
	name string
	kind headerKind
}{
	{HeaderXForwardedFor, kindXFF},
	{HeaderForwarded, kindForwarded},
	{HeaderXRealIP, kindSingle},
	{HeaderCFConnectingIP, kindSingle},
	{HeaderTrueClientIP, kindSingle},
	{HeaderFastlyClientIP, kindSingle},
}

// canonicalHeader maps a configured header name to its canonical map key.
func canonicalHeader(name string) (key string, kind headerKind, err error) {
	if name == "" {
		name = HeaderXForwardedFor
	}
	names := make([]string, 0, len(headers))
	for _, h := range headers {
		if strings.EqualFold(name, h.name) {
			return textproto.CanonicalMIMEHeaderKey(h.name), h.kind, nil
		}
		names = append(names, h.name)
	}
	return "", 0, fmt.Errorf("%w: header %q is not one of %s",
		ErrInvalidConfig, name, strings.Join(names, ", "))
}
