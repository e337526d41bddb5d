package ratelimit

import (
	"fmt"
	"net/http"
	"net/netip"
	"runtime"
	"sync"
	"unsafe"
	"weak"

	"github.com/apishield/apishield/internal/clientip"
	"github.com/apishield/apishield/internal/record"
)

// IPConfig configures ByIP. The zero value keys by the socket peer, with
// IPv6 grouped by /64.
type IPConfig struct {
	// TrustedProxies lists the networks of the reverse proxies in front of
	// the service. Only a connection from one of them may say who the
	// client is, and only through entries trusted proxies wrote: the header
	// is walked right to left and the first untrusted address is the
	// client. If empty, no header is believed and the socket peer is the
	// client: a trust list is never assumed. Use ParseTrustedProxies for
	// configuration strings.
	TrustedProxies []netip.Prefix
	// Header is the one forwarding header the trusted proxies set:
	// "X-Forwarded-For" or "Forwarded" (RFC 7239), walked right to left, or
	// a single-address header set by the edge: "X-Real-IP",
	// "CF-Connecting-IP", "True-Client-IP" or "Fastly-Client-IP", believed
	// only as one line holding one bare address (anything else gives the
	// peer). If empty, "X-Forwarded-For". Setting it without
	// TrustedProxies is an error: the header would never be believed. Use
	// the same value as audit's ForwardedHeader and ipfilter's Header, so
	// every package sees the same client.
	Header string
	// MaxHops bounds the header entries examined. If zero, 16.
	MaxHops int
	// IPv6Bits is the prefix length IPv6 clients are grouped by, since a
	// host can use any address of its /64. If zero, 64; between 48 and 128.
	IPv6Bits int
}

// ParseTrustedProxies parses CIDRs ("10.0.0.0/8") and bare addresses for
// IPConfig.TrustedProxies. Errors wrap ErrInvalidConfig.
func ParseTrustedProxies(ss []string) ([]netip.Prefix, error) {
	p, err := clientip.ParsePrefixes(ss)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	return p, nil
}

// ByIP keys requests by the client's address, resolved by apishield's one
// client-IP resolver (shared with audit), and grouped into an IPv6 prefix.
// Requests whose client cannot be told (a unix-socket peer) share one
// "unknown" bucket rather than escaping the limit. The address is also
// recorded in the request record. Errors wrap ErrInvalidConfig.
func ByIP(cfg IPConfig) (KeyFunc, error) {
	if cfg.IPv6Bits == 0 {
		cfg.IPv6Bits = clientip.DefaultIPv6Bits
	}
	if cfg.IPv6Bits < 48 || cfg.IPv6Bits > 128 {
		return nil, fmt.Errorf("%w: IPv6Bits %d is not between 48 and 128", ErrInvalidConfig, cfg.IPv6Bits)
	}
	res, err := clientip.New(clientip.Config{TrustedProxies: cfg.TrustedProxies, Header: cfg.Header, MaxHops: cfg.MaxHops})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	k := &ipKey{res: res, bits: cfg.IPv6Bits}
	f := KeyFunc(func(dst []byte, r *http.Request) ([]byte, error) {
		return k.key(dst, r, record.From(r.Context()))
	})
	c := closureOf(f)
	addr := uintptr(unsafe.Pointer(c))
	e := ipEntry{f: weak.Make(c), k: k}
	ipKeys.Store(addr, e)
	runtime.AddCleanup(c, func(addr uintptr) { ipKeys.CompareAndDelete(addr, e) }, addr)
	return f, nil
}

// ipKey is what ByIP keys by.
type ipKey struct {
	res  *clientip.Resolver
	bits int
}

// key appends r's key to dst and records the client's address in rec,
// unless rec is nil.
func (k *ipKey) key(dst []byte, r *http.Request, rec *record.Record) ([]byte, error) {
	ip := k.res.ClientIP(r)
	if rec != nil && ip.IsValid() {
		rec.SetClientIP(ip)
	}
	dst = append(dst, "ip:"...)
	return clientip.AppendKey(dst, ip, k.bits), nil
}

// ipKeys holds the ipKey of each KeyFunc ByIP returned, by the address of
// its closure (see closureOf): a Limiter keyed by one calls it with the
// record in hand, so the request need not carry the record in its context
// for it. A request that costs no copy of itself is what makes a refusal
// before authentication cheap. Only apishield's own key function gets the
// bare request; an application's gets a request with the record, as all
// its code does.
//
// The closure is held weakly: a KeyFunc no longer used (a configuration
// reloaded) is collected and its entry removed, and a closure allocated
// later at the same address is never taken for it.
var ipKeys sync.Map // uintptr → ipEntry

// An ipEntry is a ByIP closure, held weakly, and its ipKey.
type ipEntry struct {
	f weak.Pointer[uintptr]
	k *ipKey
}

// closureOf returns f's closure, which each call of ByIP allocates anew:
// an identity for the function value, which Go's == does not give.
func closureOf(f KeyFunc) *uintptr { return *(**uintptr)(unsafe.Pointer(&f)) }

// ipKeyOf returns the ipKey behind f if ByIP returned f, else nil.
func ipKeyOf(f KeyFunc) *ipKey {
	if f == nil {
		return nil
	}
	c := closureOf(f)
	if v, ok := ipKeys.Load(uintptr(unsafe.Pointer(c))); ok {
		if e := v.(ipEntry); e.f.Value() == c {
			return e.k
		}
	}
	return nil
}
