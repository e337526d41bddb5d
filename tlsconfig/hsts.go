package tlsconfig

import (
	"net/http"
	"strconv"
	"time"
)

// DefaultHSTSMaxAge is the HSTS max-age used when [HSTSConfig].MaxAge is
// zero: two years, as hstspreload.org recommends.
const DefaultHSTSMaxAge = 2 * 365 * 24 * time.Hour

// minPreloadMaxAge is the shortest max-age browsers' preload lists accept.
const minPreloadMaxAge = 365 * 24 * time.Hour

// HSTSConfig configures [NewHSTS].
type HSTSConfig struct {
	// MaxAge is how long browsers must use HTTPS only for this host. Zero
	// means [DefaultHSTSMaxAge]; it must be at least one second (to withdraw
	// HSTS, serve "max-age=0" yourself).
	MaxAge time.Duration
	// IncludeSubDomains extends the policy to every subdomain. False by
	// default, because it breaks any subdomain still served over HTTP.
	IncludeSubDomains bool
	// Preload adds the "preload" directive, asking to be put on browsers'
	// built-in lists. It requires IncludeSubDomains and a MaxAge of at least
	// one year, and is hard to undo, so it is off by default.
	Preload bool
}

// HSTS is middleware that sets Strict-Transport-Security (RFC 6797). It is
// safe for concurrent use.
type HSTS struct {
	value string
}

// NewHSTS validates cfg and returns the middleware. Errors wrap
// [ErrInvalidConfig].
func NewHSTS(cfg HSTSConfig) (*HSTS, error) {
	age := cfg.MaxAge
	if age == 0 {
		age = DefaultHSTSMaxAge
	}
	if age < time.Second {
		return nil, invalid("HSTS MaxAge %v is shorter than one second", cfg.MaxAge)
	}
	if cfg.Preload && (!cfg.IncludeSubDomains || age < minPreloadMaxAge) {
		return nil, invalid("HSTS Preload needs IncludeSubDomains and a MaxAge of at least one year")
	}
	v := "max-age=" + strconv.FormatInt(int64(age/time.Second), 10)
	if cfg.IncludeSubDomains {
		v += "; includeSubDomains"
	}
	if cfg.Preload {
		v += "; preload"
	}
	return &HSTS{value: v}, nil
}

// Value returns the Strict-Transport-Security header value the middleware
// sends.
func (h *HSTS) Value() string { return h.value }

// Handler sets Strict-Transport-Security on responses to requests that
// arrived over TLS. RFC 6797 §7.2 forbids sending it over plain HTTP, where
// an attacker could strip or forge it; behind a TLS-terminating proxy, set
// the header at the proxy instead.
func (h *HSTS) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.TLS != nil {
			// The key is already canonical, so skip Header.Set's work.
			w.Header()["Strict-Transport-Security"] = []string{h.value}
		}
		next.ServeHTTP(w, r)
	})
}
