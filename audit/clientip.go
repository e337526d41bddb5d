package audit

import (
	"net/http"
	"net/netip"

	"github.com/apishield/apishield/internal/clientip"
)

// newResolver returns the client-IP resolver: the one ratelimit uses, so
// an event's source.ip is the address the limiter counted.
func newResolver(trusted []netip.Prefix, header string) (*clientip.Resolver, error) {
	return clientip.New(clientip.Config{TrustedProxies: trusted, Header: header})
}

// keepClientIP copies what the resolver needs out of the request, so the
// writer resolves the address off the request path: the peer address and
// the forwarding header's values (a slice header, not a copy).
func (a *Auditor) keepClientIP(e *entry, r *http.Request) {
	e.remoteAddr = r.RemoteAddr
	if h := a.resolver.Header(); h != "" {
		e.fwd = r.Header[h]
	}
}

// resolveClientIP runs on the writer for events whose record had no
// client IP.
func (w *writerState) resolveClientIP(e *entry) {
	if e.clientIP.IsValid() || e.remoteAddr == "" {
		return
	}
	r := w.a.resolver
	if h := r.Header(); h != "" {
		if w.hdr == nil {
			w.hdr = http.Header{}
		}
		w.hdr[h] = e.fwd
	}
	e.clientIP = r.Resolve(e.remoteAddr, w.hdr)
}
