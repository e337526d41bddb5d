package ipfilter_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"

	"github.com/apishield/apishield/ipfilter"
	"github.com/apishield/apishield/route"
)

func Example() {
	f, err := ipfilter.New(ipfilter.Config{
		Allow: []string{"10.0.0.0/8", "2001:db8:1::/48"},
		Deny:  []string{"10.66.0.0/16"}, // a hole in the allowed network
	})
	if err != nil {
		panic(err)
	}
	h := f.Handler(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprint(w, "hello")
	}))
	for _, peer := range []string{"10.1.2.3:4000", "[2001:db8:1::7]:443", "10.66.0.9:4000", "203.0.113.9:4000"} {
		req := httptest.NewRequest("GET", "/v1/items", nil)
		req.RemoteAddr = peer
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		fmt.Println(peer, w.Code)
	}
	// Output:
	// 10.1.2.3:4000 200
	// [2001:db8:1::7]:443 200
	// 10.66.0.9:4000 403
	// 203.0.113.9:4000 403
}

// Per-route rules: the admin routes only from the office, everything else
// from anywhere but a denied network.
func Example_routes() {
	f := ipfilter.MustNew(ipfilter.Config{
		Deny: []string{"203.0.113.0/24"},
		Routes: map[string]ipfilter.Rules{
			"/admin/": {Allow: []string{"192.0.2.0/24"}},
		},
	})
	mux := http.NewServeMux()
	mux.HandleFunc("/admin/", func(http.ResponseWriter, *http.Request) {})
	mux.HandleFunc("/v1/items", func(http.ResponseWriter, *http.Request) {})
	// route.Mux tells the filter the pattern before the mux runs.
	h := route.Mux(mux)(f.Handler(mux))

	for _, tc := range []struct{ path, peer string }{
		{"/admin/users", "192.0.2.10:1"},
		{"/admin/users", "198.51.100.1:1"},
		{"/v1/items", "198.51.100.1:1"},
		{"/v1/items", "203.0.113.5:1"},
	} {
		req := httptest.NewRequest("GET", tc.path, nil)
		req.RemoteAddr = tc.peer
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		fmt.Println(tc.path, tc.peer, w.Code)
	}
	// Output:
	// /admin/users 192.0.2.10:1 200
	// /admin/users 198.51.100.1:1 403
	// /v1/items 198.51.100.1:1 200
	// /v1/items 203.0.113.5:1 403
}

// Behind a CDN, the edge's header is believed only from the edge's
// networks, and only as one bare address.
func ExampleConfig_cdn() {
	f := ipfilter.MustNew(ipfilter.Config{
		Allow:          []string{"198.51.100.0/24"},
		TrustedProxies: []netip.Prefix{netip.MustParsePrefix("173.245.48.0/20")}, // the CDN's published range
		Header:         "CF-Connecting-IP",
	})
	for _, tc := range []struct{ peer, header string }{
		{"173.245.48.1:443", "198.51.100.7"},          // from the edge: believed
		{"203.0.113.9:443", "198.51.100.7"},           // from anyone else: ignored
		{"173.245.48.1:443", "198.51.100.7, 6.6.6.6"}, // a list: the edge is the client
	} {
		req := httptest.NewRequest("GET", "/", nil)
		req.RemoteAddr = tc.peer
		req.Header.Set("CF-Connecting-IP", tc.header)
		fmt.Println(f.ClientIP(req), f.Check(req) == nil)
	}
	// Output:
	// 198.51.100.7 true
	// 203.0.113.9 false
	// 173.245.48.1 false
}

// CheckAddr decides outside HTTP, for a gRPC interceptor or a TCP
// listener's accept loop.
func ExampleFilter_CheckAddr() {
	f := ipfilter.MustNew(ipfilter.Config{Allow: []string{"10.0.0.0/8"}, Deny: []string{"10.66.0.0/16"}})
	for _, s := range []string{"10.1.2.3", "::ffff:10.66.0.1", "192.0.2.1"} {
		err := f.CheckAddr(netip.MustParseAddr(s), "")
		var de *ipfilter.DeniedError
		if errors.As(err, &de) {
			fmt.Println(s, "refused by", de.Rule)
			continue
		}
		fmt.Println(s, "allowed")
	}
	// Output:
	// 10.1.2.3 allowed
	// ::ffff:10.66.0.1 refused by deny 10.66.0.0/16
	// 192.0.2.1 refused by not_allowed
}

// A handler, or a gateway passing the client upstream, reads back the
// address the filter decided on.
func ExampleClientIP() {
	f := ipfilter.MustNew(ipfilter.Config{
		Allow:          []string{"198.51.100.0/24"},
		TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")},
	})
	h := f.Handler(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		if ip, ok := ipfilter.ClientIP(r); ok {
			fmt.Println("X-Forwarded-For:", ip)
		}
	}))
	req := httptest.NewRequest("GET", "/", nil)
	req.RemoteAddr = "10.0.0.2:5000" // the load balancer
	req.Header.Set("X-Forwarded-For", "6.6.6.6, 198.51.100.7")
	h.ServeHTTP(httptest.NewRecorder(), req)
	// Output: X-Forwarded-For: 198.51.100.7
}
