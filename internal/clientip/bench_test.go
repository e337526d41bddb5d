package clientip

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
)

// benchRequest builds a request once; the benchmarks measure only the call.
func benchRequest(remote string, h http.Header) *http.Request {
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.RemoteAddr = remote
	req.Header = h
	return req
}

var sinkAddr netip.Addr

// BenchmarkFloorParseAddrPort is the floor: parsing RemoteAddr alone, which
// any answer to "who is the client" must do.
func BenchmarkFloorParseAddrPort(b *testing.B) {
	req := benchRequest("203.0.113.7:54321", http.Header{})
	b.ReportAllocs()
	for b.Loop() {
		ap, _ := netip.ParseAddrPort(req.RemoteAddr)
		sinkAddr = ap.Addr()
	}
}

// BenchmarkFloorParse3HopXFF is the floor for a 3-hop walk: parsing the
// peer and the three entries, already split, with no trust decisions.
func BenchmarkFloorParse3HopXFF(b *testing.B) {
	req := benchRequest("10.0.0.3:54321", http.Header{})
	entries := []string{"198.51.100.1", "10.0.0.1", "10.0.0.2"}
	b.ReportAllocs()
	for b.Loop() {
		ap, _ := netip.ParseAddrPort(req.RemoteAddr)
		sinkAddr = ap.Addr()
		for _, e := range entries {
			sinkAddr, _ = netip.ParseAddr(e)
		}
	}
}

func BenchmarkClientIP(b *testing.B) {
	trust := mustPrefixes(b, "10.0.0.0/8", "172.16.0.0/12", "2001:db8:ffff::/48")
	for _, bc := range []struct {
		name   string
		cfg    Config
		remote string
		h      http.Header
	}{
		{"NoProxies", Config{}, "203.0.113.7:54321", http.Header{"X-Forwarded-For": {"6.6.6.6"}}},
		{"UntrustedPeer", Config{TrustedProxies: trust}, "203.0.113.7:54321", http.Header{"X-Forwarded-For": {"6.6.6.6"}}},
		{"XFF3Hops", Config{TrustedProxies: trust}, "10.0.0.3:54321", http.Header{"X-Forwarded-For": {"198.51.100.1, 10.0.0.1, 10.0.0.2"}}},
		{"XFF3HopsIPv6", Config{TrustedProxies: trust}, "[2001:db8:ffff::3]:443", http.Header{"X-Forwarded-For": {"[2001:db8:1::1]:4711, 2001:db8:ffff::1, 2001:db8:ffff::2"}}},
		{"Forwarded3Hops", Config{TrustedProxies: trust, Header: HeaderForwarded}, "10.0.0.3:54321", http.Header{"Forwarded": {`for=198.51.100.1;proto=https, for=10.0.0.1, for="10.0.0.2:8080"`}}},
		{"CFConnectingIP", Config{TrustedProxies: trust, Header: HeaderCFConnectingIP}, "10.0.0.3:54321", http.Header{"Cf-Connecting-Ip": {"198.51.100.1"}}},
		{"CFConnectingIPWithPort", Config{TrustedProxies: trust, Header: HeaderCFConnectingIP}, "10.0.0.3:54321", http.Header{"Cf-Connecting-Ip": {"198.51.100.1:443"}}},
		{"XFF8KiBForged", Config{TrustedProxies: trust}, "10.0.0.3:54321", http.Header{"X-Forwarded-For": {strings.Repeat("6.6.6.6, ", 1000) + "198.51.100.1, 10.0.0.1"}}},
		{"XFFAllTrustedCapped", Config{TrustedProxies: trust}, "10.0.0.3:54321", http.Header{"X-Forwarded-For": {strings.Repeat("10.0.0.9, ", 1000) + "10.0.0.1"}}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			r := MustNew(bc.cfg)
			req := benchRequest(bc.remote, bc.h)
			b.ReportAllocs()
			for b.Loop() {
				sinkAddr = r.ClientIP(req)
			}
		})
	}
}

func BenchmarkAppendKey(b *testing.B) {
	buf := make([]byte, 0, 64)
	for _, s := range []string{"198.51.100.1", "2001:db8:1:2:3:4:5:6"} {
		a := netip.MustParseAddr(s)
		b.Run(map[bool]string{true: "IPv4", false: "IPv6"}[a.Is4()], func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				buf = AppendKey(buf[:0], a, DefaultIPv6Bits)
			}
		})
	}
}
