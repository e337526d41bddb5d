package audit

import (
	"net/http"
	"net/netip"

	"github.com/apishield/apishield/internal/clientip"
)

// newResolver returns the client-IP resolver: the one ratelimit uses, so
// an event's source.ip is the address the limiter counted.
func newResolver(trusted []netip.Prefix, header string) (func(*http.Request) netip.Addr, error) {
	r, err := clientip.New(clientip.Config{TrustedProxies: trusted, Header: header})
	if err != nil {
		return nil, err
	}
	return r.ClientIP, nil
}
