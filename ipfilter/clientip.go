package ipfilter

import (
	"net/http"
	"net/netip"

	"github.com/apishield/apishield/internal/record"
)

// ClientIP returns the client address recorded for r by an outer
// apishield middleware: a Filter's Handler, or ratelimit.ByIP, which use
// the same resolver. It is for handlers and proxies that need the address
// the stack decided on (to log it, or to pass it upstream in
// X-Forwarded-For): reading it back costs no second walk of the header and
// cannot disagree with the filter. ok is false if no such middleware ran
// for r, or the client address could not be told (a unix-socket peer).
// Outside a stack, use Filter.ClientIP.
func ClientIP(r *http.Request) (addr netip.Addr, ok bool) {
	rec := record.From(r.Context())
	if rec == nil {
		return netip.Addr{}, false
	}
	addr = rec.ClientIP()
	return addr, addr.IsValid()
}
