package ipfilter

import (
	"net/http"
	"testing"

	"github.com/apishield/apishield/internal/record"
)

// benchStack is the outer middleware of BenchmarkFloor and BenchmarkAllow:
// installRecord, but taking the request ID from X-Request-Id as errors'
// Responder does behind a trusted proxy, so that generating an ID (a
// crypto/rand read, the noisiest part of installing a record) does not
// drown the filter's cost.
func benchStack(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w, r, rec := record.InstallTrusted(w, r, true)
		if r.URL.Path == "/admin" {
			rec.SetRoute("GET /admin")
		}
		next.ServeHTTP(w, r)
	})
}

// benchRequest is request with the X-Request-Id benchStack keeps.
func benchRequest(method, target, peer string, header ...string) *http.Request {
	return request(method, target, peer, append([]string{"X-Request-Id", "01J0BENCH0000000000000000"}, header...)...)
}

// benchAllow is ten rules of the kind a service lists: private networks,
// an office, a partner, a few IPv6 prefixes and single addresses.
var (
	benchAllow = []string{
		"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "192.0.2.0/24", "198.51.100.0/24",
		"2001:db8:1::/48", "2001:db8:2::/48", "2001:db8:3::1", "203.0.113.7", "100.64.0.0/10",
	}
	benchDeny = []string{"10.66.0.0/16", "2001:db8:1:66::/64"}
)

// BenchmarkFloor is the empty handler behind the outer middleware that
// installs the request record, as in a full stack: what every request
// costs without the filter.
func BenchmarkFloor(b *testing.B) {
	h := benchStack(okHandler)
	r := benchRequest("GET", "/v1/items", "198.51.100.9:54321")
	b.ReportAllocs()
	for b.Loop() {
		h.ServeHTTP(discardWriter{}, r)
	}
}

// BenchmarkAllow is the allow path with ten allow and two deny rules, in
// the same stack as BenchmarkFloor; subtract the floor for the filter's
// cost.
func BenchmarkAllow(b *testing.B) {
	for _, bc := range []struct {
		name string
		cfg  Config
		r    func() *http.Request
	}{
		{"Peer", Config{Allow: benchAllow, Deny: benchDeny},
			func() *http.Request { return benchRequest("GET", "/v1/items", "198.51.100.9:54321") }},
		{"PeerIPv6", Config{Allow: benchAllow, Deny: benchDeny},
			func() *http.Request { return benchRequest("GET", "/v1/items", "[2001:db8:2::9]:443") }},
		{"XFF2Hops", Config{Allow: benchAllow, Deny: benchDeny, TrustedProxies: prefixes("10.0.0.0/8")},
			func() *http.Request {
				return benchRequest("GET", "/v1/items", "10.0.0.3:54321", "X-Forwarded-For", "198.51.100.9, 10.0.0.1")
			}},
		{"CFConnectingIP", Config{Allow: benchAllow, Deny: benchDeny, TrustedProxies: prefixes("10.0.0.0/8"), Header: "CF-Connecting-IP"},
			func() *http.Request {
				return benchRequest("GET", "/v1/items", "10.0.0.3:54321", "CF-Connecting-IP", "198.51.100.9")
			}},
		{"PerRoute", Config{Allow: benchAllow, Deny: benchDeny, Routes: map[string]Rules{"GET /admin": {Allow: []string{"192.0.2.0/24"}}}},
			func() *http.Request { return benchRequest("GET", "/admin", "192.0.2.9:54321") }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			h := benchStack(MustNew(bc.cfg).Handler(okHandler))
			r := bc.r()
			b.ReportAllocs()
			for b.Loop() {
				h.ServeHTTP(discardWriter{}, r)
			}
		})
	}
}

// BenchmarkCheck is the decision alone, without the record: resolving the
// client, finding the route's lists and matching them.
func BenchmarkCheck(b *testing.B) {
	f := MustNew(Config{Allow: benchAllow, Deny: benchDeny})
	r := request("GET", "/v1/items", "198.51.100.9:54321")
	b.ReportAllocs()
	for b.Loop() {
		if f.Check(r) != nil {
			b.Fatal("refused")
		}
	}
}

// BenchmarkDeny is the refusal, problem response included.
func BenchmarkDeny(b *testing.B) {
	h := benchStack(MustNew(Config{Allow: benchAllow, Deny: benchDeny}).Handler(okHandler))
	r := benchRequest("GET", "/v1/items", "203.0.113.9:54321")
	b.ReportAllocs()
	for b.Loop() {
		h.ServeHTTP(discardWriter{}, r)
	}
}
