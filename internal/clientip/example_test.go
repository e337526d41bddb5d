package clientip_test

import (
	"fmt"
	"net/http/httptest"
	"net/netip"

	"github.com/apishield/apishield/internal/clientip"
)

func Example() {
	trusted, err := clientip.ParsePrefixes([]string{"10.0.0.0/8"})
	if err != nil {
		panic(err)
	}
	r := clientip.MustNew(clientip.Config{TrustedProxies: trusted})

	req := httptest.NewRequest("GET", "/", nil)
	req.RemoteAddr = "10.0.0.2:51234" // our load balancer
	// The client wrote "6.6.6.6"; the load balancer appended what it saw.
	req.Header.Set("X-Forwarded-For", "6.6.6.6, 198.51.100.7")
	fmt.Println(r.ClientIP(req))

	req.RemoteAddr = "203.0.113.9:4000" // straight from the internet
	fmt.Println(r.ClientIP(req))
	// Output:
	// 198.51.100.7
	// 203.0.113.9
}

func ExampleConfig_forwarded() {
	r := clientip.MustNew(clientip.Config{
		TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")},
		Header:         clientip.HeaderForwarded,
	})
	req := httptest.NewRequest("GET", "/", nil)
	req.RemoteAddr = "10.0.0.2:51234"
	req.Header.Set("Forwarded", `for="[2001:db8:cafe::17]:4711";proto=https, for=10.0.0.1`)
	fmt.Println(r.ClientIP(req))
	// Output: 2001:db8:cafe::17
}

func ExampleResolver_ClientIP_unixSocket() {
	var r clientip.Resolver // the zero Resolver trusts nobody
	req := httptest.NewRequest("GET", "/", nil)
	req.RemoteAddr = "@" // a unix socket peer
	ip := r.ClientIP(req)
	fmt.Println(ip.IsValid(), string(clientip.AppendKey(nil, ip, 0)))
	// Output: false unknown
}

func ExampleAppendKey() {
	key := make([]byte, 0, 64)
	for _, s := range []string{"192.0.2.1", "2001:db8:1:2:aaaa::1", "2001:db8:1:2:bbbb::2"} {
		key = append(key[:0], "rl:ip:"...)
		key = clientip.AppendKey(key, netip.MustParseAddr(s), clientip.DefaultIPv6Bits)
		fmt.Println(string(key))
	}
	// Output:
	// rl:ip:192.0.2.1
	// rl:ip:2001:db8:1:2::/64
	// rl:ip:2001:db8:1:2::/64
}
