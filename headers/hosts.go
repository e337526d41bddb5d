package headers

import (
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"slices"
	"strings"

	"go.opentelemetry.io/otel/metric"

	apierrors "github.com/apishield/apishield/errors"
	"github.com/apishield/apishield/internal/record"
	"github.com/apishield/apishield/internal/telemetry"
)

// Errors a refused Host is reported with. [Hosts.Check] returns them
// inside an *apierrors.Problem; find them with errors.Is.
var (
	// ErrNoHost: the request names no host (HTTP/1.0 without Host).
	ErrNoHost = errors.New("headers: the request names no host")
	// ErrMalformedHost: the Host value is not a host name, an IPv4
	// address or a bracketed IPv6 address with an optional port.
	ErrMalformedHost = errors.New("headers: malformed host")
	// ErrHostMismatch: the request target's authority (absolute form) and
	// the Host header name different hosts.
	ErrHostMismatch = errors.New("headers: request target and Host differ")
	// ErrHostNotAllowed: the host is not on the allow-list.
	ErrHostNotAllowed = errors.New("headers: host not allowed")
)

// HostsConfig configures [NewHosts].
type HostsConfig struct {
	// Allow lists the hosts the API serves. It is required: a Host check
	// that names no hosts cannot know them, so an empty list is a config
	// error, never "allow all". An entry is
	//   - a DNS name, "api.example.com", matched case-insensitively, with
	//     a trailing dot on either side folded away;
	//   - a wildcard, "*.example.com", matching exactly one more label
	//     ("eu.example.com", not "example.com" nor "a.eu.example.com", as
	//     in TLS certificates); its suffix needs at least two labels;
	//   - an IPv4 address, "192.0.2.10", or a bracketed IPv6 address,
	//     "[2001:db8::1]", compared as addresses ("[2001:DB8:0::1]" matches);
	// each optionally with a port, "api.example.com:8443". An entry without
	// a port matches the host on any port; an entry with one matches only
	// a Host naming that port. Clients leave out the default port, so
	// "api.example.com:443" does not match "Host: api.example.com": list
	// ports only to tell apart services that share a name.
	Allow []string

	// MeterProvider receives the Handler's decisions, counted in
	// apishield.headers.host_decisions (see the package documentation).
	// If nil, the global provider of go.opentelemetry.io/otel when
	// NewHosts runs, which does nothing until the application installs an
	// SDK.
	MeterProvider metric.MeterProvider
}

// hostEntry is what one host allows: any port, or the listed ones.
type hostEntry struct {
	anyPort bool
	ports   []int
}

func (e hostEntry) allows(port int) bool {
	return e.anyPort || (port > 0 && slices.Contains(e.ports, port))
}

// Hosts is a Host allow-list: it refuses requests whose Host is not one
// the API serves, closing host-header injection (password-reset links,
// cache keys and redirects built from an attacker's Host) and DNS
// rebinding. Build it with [NewHosts]. It is read-only after NewHosts and
// safe for concurrent use.
type Hosts struct {
	names map[string]hostEntry     // lower-case, no trailing dot
	wild  map[string]hostEntry     // suffix after "*.", lower-case
	addrs map[netip.Addr]hostEntry // IP literals

	// The lengths of the keys of names and wild: a host whose name (or
	// suffix) has no key of its length skips that map's hashed lookup, as
	// a tenant's name under a wildcard usually does for names.
	nameLens, wildLens lengthSet

	decisions *telemetry.Counter
}

// lengthSet is a set of string lengths below 256 (a DNS name has 253
// bytes at most).
type lengthSet [4]uint64

func (s *lengthSet) add(n int) { s[n>>6&3] |= 1 << (n & 63) }

func (s *lengthSet) has(n int) bool { return n < 256 && s[n>>6]&(1<<(n&63)) != 0 }

// NewHosts validates cfg and returns the allow-list. Errors wrap
// [ErrInvalidConfig].
func NewHosts(cfg HostsConfig) (*Hosts, error) {
	if len(cfg.Allow) == 0 {
		return nil, fmt.Errorf("%w: HostsConfig.Allow lists no hosts; a Host check must name the hosts it allows", ErrInvalidConfig)
	}
	hs := &Hosts{
		names: make(map[string]hostEntry),
		wild:  make(map[string]hostEntry),
		addrs: make(map[netip.Addr]hostEntry),

		decisions: newHostCounter(cfg.MeterProvider),
	}
	for _, raw := range cfg.Allow {
		s := strings.TrimSpace(raw)
		wildcard := strings.HasPrefix(s, "*.")
		if wildcard {
			s = s[2:]
		}
		h, ok := parseHost(s)
		if !ok {
			return nil, fmt.Errorf("%w: HostsConfig.Allow: %q is not a host name, IP address or wildcard, with an optional port", ErrInvalidConfig, raw)
		}
		switch {
		case wildcard && h.addr.IsValid():
			return nil, fmt.Errorf("%w: HostsConfig.Allow: %q: a wildcard needs a DNS name, not an address", ErrInvalidConfig, raw)
		case wildcard && !strings.Contains(h.name, "."):
			return nil, fmt.Errorf("%w: HostsConfig.Allow: %q: a wildcard's suffix needs two labels or more", ErrInvalidConfig, raw)
		case wildcard:
			add(hs.wild, strings.ToLower(h.name), h.port)
			hs.wildLens.add(len(h.name))
		case h.addr.IsValid():
			add(hs.addrs, h.addr, h.port)
		default:
			add(hs.names, strings.ToLower(h.name), h.port)
			hs.nameLens.add(len(h.name))
		}
	}
	return hs, nil
}

func add[K comparable](m map[K]hostEntry, k K, port int) {
	e := m[k]
	if port < 0 {
		e.anyPort = true
	} else if !slices.Contains(e.ports, port) {
		e.ports = append(e.ports, port)
	}
	m[k] = e
}

// Allowed reports whether a Host value, as in [http.Request.Host], is on
// the allow-list. A malformed value is not.
func (hs *Hosts) Allowed(hostport string) bool {
	h, ok := parseHost(hostport)
	return ok && hs.match(h)
}

// match looks h up without allocating: a name with upper-case letters is
// lowered into a stack buffer, and map lookups keyed by string(bytes) do
// not copy.
func (hs *Hosts) match(h host) bool {
	if h.addr.IsValid() {
		e, ok := hs.addrs[h.addr]
		return ok && e.allows(h.port)
	}
	var buf [256]byte
	name := buf[:len(h.name)]
	for i := 0; i < len(h.name); i++ {
		name[i] = lower(h.name[i])
	}
	if hs.nameLens.has(len(name)) {
		if e, ok := hs.names[string(name)]; ok && e.allows(h.port) {
			return true
		}
	}
	dot := indexByte(h.name, '.')
	if dot < 0 || !hs.wildLens.has(len(name)-dot-1) {
		return false
	}
	e, ok := hs.wild[string(name[dot+1:])]
	return ok && e.allows(h.port)
}

// Check decides whether r's host is allowed. It reads r.Host (which
// net/http sets from the request target's authority when the target is in
// absolute form, as RFC 9112 §3.2.2 requires), refuses a request whose
// r.URL.Host or Host header disagrees with it, and never consults
// X-Forwarded-Host or Forwarded. It returns nil, or an *apierrors.Problem
// wrapping [ErrNoHost], [ErrHostMismatch] or [ErrHostNotAllowed] (421
// host_not_allowed) or [ErrMalformedHost] (400 malformed_request), ready
// for apierrors.Write.
func (hs *Hosts) Check(r *http.Request) error {
	if err := hs.check(r); err != nil {
		return problem(err)
	}
	return nil
}

func (hs *Hosts) check(r *http.Request) error {
	hostport := r.Host
	if hostport == "" && r.URL != nil {
		hostport = r.URL.Host
	}
	if hostport == "" {
		return ErrNoHost
	}
	h, ok := parseHost(hostport)
	if !ok {
		return ErrMalformedHost
	}
	// Siblings of r.Host: a request built outside net/http's server may
	// carry both a target authority and a Host header; they must agree.
	if r.URL != nil && r.URL.Host != "" && r.URL.Host != hostport {
		if u, ok := parseHost(r.URL.Host); !ok || !sameHost(u, h) {
			return ErrHostMismatch
		}
	}
	if vs := r.Header["Host"]; len(vs) > 0 {
		if len(vs) > 1 {
			return ErrMalformedHost
		}
		if v, ok := parseHost(vs[0]); !ok || !sameHost(v, h) {
			return ErrHostMismatch
		}
	}
	if !hs.match(h) {
		return ErrHostNotAllowed
	}
	return nil
}

// problem turns a check error into the problem the client sees.
func problem(err error) *apierrors.Problem {
	var p *apierrors.Problem
	switch err {
	case ErrNoHost:
		p = apierrors.New(http.StatusMisdirectedRequest, apierrors.ReasonHostNotAllowed, "The request names no host.")
	case ErrMalformedHost:
		p = apierrors.New(http.StatusBadRequest, apierrors.ReasonMalformedRequest, "The request's Host is malformed.")
	case ErrHostMismatch:
		p = apierrors.New(http.StatusMisdirectedRequest, apierrors.ReasonHostNotAllowed, "The request target and the Host header name different hosts.")
	default:
		p = apierrors.New(http.StatusMisdirectedRequest, apierrors.ReasonHostNotAllowed, "The Host the request names is not one this API serves.")
	}
	return p.WithCause(err)
}

// Handler returns middleware that answers requests [Hosts.Check] refuses
// with its problem, and records the decision for audit. Put it outermost,
// inside errors.Recover, audit and the headers [Middleware] (so the
// refusal carries the security headers too), so nothing runs for a
// refused host.
func (hs *Hosts) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w, r, rec := record.Install(w, r)
		if err := hs.check(r); err != nil {
			p := problem(err)
			rec.AddDecision(record.Decision{Package: pkg, Outcome: record.Deny, Reason: p.Reason, Rule: ruleHosts})
			hs.decisions.Decision(r.Context(), outcomeDeny, decisionEvent)
			apierrors.Write(w, r, p)
			return
		}
		rec.AddDecision(record.Decision{Package: pkg, Outcome: record.Allow, Rule: ruleHosts})
		hs.decisions.Count(outcomeAllow)
		next.ServeHTTP(w, r)
	})
}

const (
	pkg       = "headers"
	ruleHosts = "hosts"
)
