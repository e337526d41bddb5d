package audit

import (
	"errors"
	"net/http"
	"net/netip"
)

// newResolver returns the client-IP resolver. Until the shared resolver is
// wired in, only the socket peer is used and trusted proxies are refused.
func newResolver(trusted []netip.Prefix, header string) (func(*http.Request) netip.Addr, error) {
	if len(trusted) > 0 || header != "" {
		return nil, errors.New("TrustedProxies is not supported yet")
	}
	return func(r *http.Request) netip.Addr {
		ap, err := netip.ParseAddrPort(r.RemoteAddr)
		if err != nil {
			return netip.Addr{}
		}
		return ap.Addr().Unmap()
	}, nil
}
