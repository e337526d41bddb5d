package ipfilter

import (
	"errors"
	"fmt"
	"net/netip"

	"go.opentelemetry.io/otel/metric"

	"github.com/apishield/apishield/internal/clientip"
	"github.com/apishield/apishield/internal/routetable"
)

// ErrInvalidConfig is wrapped by every error New returns.
var ErrInvalidConfig = errors.New("ipfilter: invalid config")

// Rules are the allow- and deny-lists of one route. Each entry is a CIDR
// ("10.0.0.0/8", "2001:db8::/32") or a bare address ("192.0.2.1",
// "2001:db8::1"), as in [Config.Allow].
type Rules struct {
	// Allow replaces the global [Config.Allow] for the route: only these
	// networks may call it. If empty, the global allow-list applies. To
	// open a route to everyone under a global allow-list, list
	// "0.0.0.0/0" and "::/0".
	Allow []string
	// Deny is added to the global [Config.Deny] for the route. The global
	// deny-list always applies: a route cannot lift it. If empty, only the
	// global deny-list applies.
	Deny []string
}

// Config configures a Filter. A Config must not be modified while New is
// running; New copies what it keeps. At least one of Allow, Deny and
// Routes must be set: a filter without rules is a list that failed to
// load, not a choice.
type Config struct {
	// Allow lists the networks that may call every route without its own
	// Rules.Allow. If empty, there is no global allow-list: every address
	// not denied is allowed. When an allow-list applies, an address
	// outside it is refused, and so is a request whose client address
	// cannot be told (a unix-socket peer).
	//
	// Entries are CIDRs or bare addresses. A CIDR with host bits set
	// ("10.0.0.1/8"), a zone ("fe80::1%eth0"), an empty entry or anything
	// else that does not parse is an error: a typo must not silently widen
	// or narrow a list. IPv4-mapped IPv6 entries ("::ffff:192.0.2.0/120")
	// are taken in their IPv4 form, since client addresses are compared
	// unmapped. An IPv4 client matches only IPv4 entries: "::/0" is every
	// IPv6 address, not every address.
	Allow []string

	// Deny lists the networks refused on every route. If empty, nobody is
	// denied globally. Deny wins over allow: an address in both is
	// refused, and an allow entry that a deny entry covers entirely
	// (globally or on its route) is an error, because it could never
	// match. A deny entry inside an allowed network is the way to carve
	// out a hole.
	Deny []string

	// Routes sets rules per route, keyed by route pattern as package route
	// reports it: "METHOD /pattern" for one method, "/pattern" for every
	// method ("GET /v1/items/{id}", "/admin/"). A request whose pattern
	// has no entry, or is unknown (route.Mux, route.Chi or route.Func not
	// outermost), gets the global lists. An entry with neither Allow nor
	// Deny is an error. If nil, every route gets the global lists.
	Routes map[string]Rules

	// TrustedProxies lists the networks of the reverse proxies or CDN edge
	// in front of the service, whose Header is believed: the same value
	// as ratelimit's IPConfig.TrustedProxies and audit's TrustedProxies,
	// so the three packages see the same client. If empty, nobody is
	// trusted and the socket peer is the client. Filtering behind a proxy
	// without listing it filters the proxy's address.
	TrustedProxies []netip.Prefix

	// Header is the one header the trusted proxies set: "X-Forwarded-For"
	// or "Forwarded" (RFC 7239), walked right to left, or a single-address
	// header set by an edge: "X-Real-IP", "CF-Connecting-IP",
	// "True-Client-IP" or "Fastly-Client-IP", believed only as one line
	// holding one bare address (anything else gives the peer). If empty,
	// "X-Forwarded-For". Setting it while TrustedProxies is empty is an
	// error: the header would never be believed.
	Header string

	// MaxHops bounds the X-Forwarded-For or Forwarded entries examined.
	// If zero, 16. Negative is an error.
	MaxHops int

	// MeterProvider receives the decisions of the Handler, counted in
	// apishield.ipfilter.decisions (see the package documentation). If
	// nil, the global provider of go.opentelemetry.io/otel when New runs,
	// which does nothing until the application installs an SDK.
	MeterProvider metric.MeterProvider
}

// policy is the pair of lists that applies to a request.
type policy struct {
	allow set // empty: no allow-list
	deny  set
}

// New validates cfg and returns a Filter. Errors wrap ErrInvalidConfig.
func New(cfg Config) (*Filter, error) {
	bad := func(format string, args ...any) (*Filter, error) {
		return nil, fmt.Errorf("%w: "+format, append([]any{ErrInvalidConfig}, args...)...)
	}
	if len(cfg.Allow) == 0 && len(cfg.Deny) == 0 && len(cfg.Routes) == 0 {
		return bad("no Allow, Deny or Routes: a filter without rules filters nothing")
	}
	res, err := clientip.New(clientip.Config{TrustedProxies: cfg.TrustedProxies, Header: cfg.Header, MaxHops: cfg.MaxHops})
	if err != nil {
		return bad("%v", err)
	}
	allow, err := parseRules("Allow", "allow", cfg.Allow)
	if err != nil {
		return nil, err
	}
	deny, err := parseRules("Deny", "deny", cfg.Deny)
	if err != nil {
		return nil, err
	}
	global, err := newPolicy("", allow, deny, allow)
	if err != nil {
		return nil, err
	}
	perRoute := make(map[string]*policy, len(cfg.Routes))
	for pattern, rs := range cfg.Routes {
		if len(rs.Allow) == 0 && len(rs.Deny) == 0 {
			return bad("route %q has neither Allow nor Deny", pattern)
		}
		ra, err := parseRules(fmt.Sprintf("Routes[%q].Allow", pattern), "allow", rs.Allow)
		if err != nil {
			return nil, err
		}
		rd, err := parseRules(fmt.Sprintf("Routes[%q].Deny", pattern), "deny", rs.Deny)
		if err != nil {
			return nil, err
		}
		// Only the route's own allow entries are checked for being dead:
		// an inherited allow-list that a route's deny entry covers in part
		// or whole is the route refusing some allowed callers.
		own := ra
		if len(ra) == 0 {
			ra = allow
		}
		p, err := newPolicy(pattern, ra, append(append([]rule(nil), deny...), rd...), own)
		if err != nil {
			return nil, err
		}
		perRoute[pattern] = p
	}
	routes, err := routetable.New(perRoute)
	if err != nil {
		return bad("Routes: %v", err)
	}
	return &Filter{resolver: res, global: global, routes: routes, decisions: newDecisionCounter(cfg.MeterProvider)}, nil
}

// MustNew is New for start-up code: it panics if cfg is invalid.
func MustNew(cfg Config) *Filter {
	f, err := New(cfg)
	if err != nil {
		panic(err)
	}
	return f
}

// parseRules parses one list; field names it in errors, verb starts each
// rule's recorded text.
func parseRules(field, verb string, ss []string) ([]rule, error) {
	out := make([]rule, 0, len(ss))
	for i, s := range ss {
		p, err := clientip.ParsePrefix(s)
		if err != nil {
			return nil, fmt.Errorf("%w: %s[%d] %v", ErrInvalidConfig, field, i, err)
		}
		p, _ = clientip.NormalizePrefix(p) // valid: ParsePrefix returned it
		out = append(out, rule{prefix: p, text: verb + " " + p.String()})
	}
	return out, nil
}

// newPolicy builds the sets and refuses the allow rules in check that a
// deny rule covers, which deny-wins would make dead.
func newPolicy(pattern string, allow, deny, check []rule) (*policy, error) {
	p := &policy{allow: newSet(allow), deny: newSet(deny)}
	for _, a := range check {
		if d, ok := p.deny.coveredBy(a.prefix); ok {
			where := "globally"
			if pattern != "" {
				where = fmt.Sprintf("on route %q", pattern)
			}
			return nil, fmt.Errorf("%w: %s is covered by %s %s; deny wins, so it could never match", ErrInvalidConfig, a.text, d.text, where)
		}
	}
	return p, nil
}
