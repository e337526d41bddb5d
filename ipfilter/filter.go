package ipfilter

import (
	"errors"
	"net/http"
	"net/netip"

	apierrors "github.com/apishield/apishield/errors"
	"github.com/apishield/apishield/internal/clientip"
	"github.com/apishield/apishield/internal/record"
	"github.com/apishield/apishield/internal/routetable"
	"github.com/apishield/apishield/internal/telemetry"
	"github.com/apishield/apishield/route"
)

// pkgName is the package name decisions are recorded under.
const pkgName = "ipfilter"

// ErrNotAllowed is matched (errors.Is) by every refusal Check and
// CheckAddr return.
var ErrNotAllowed = errors.New("ipfilter: address not allowed")

// Rule texts recorded for decisions no list entry made.
const (
	// RuleNotAllowed refuses an address outside the allow-list.
	RuleNotAllowed = "not_allowed"
	// RuleUnknownAddress is a request whose client address cannot be told
	// (a unix-socket peer): refused under an allow-list, skipped otherwise.
	RuleUnknownAddress = "unknown_address"
	// RuleNotDenied allows an address no deny entry matched, when no
	// allow-list applies.
	RuleNotDenied = "not_denied"
)

// A DeniedError is a refusal: the address and the rule that refused it,
// "deny 203.0.113.0/24", RuleNotAllowed or RuleUnknownAddress. It matches
// ErrNotAllowed. Its text is for the log; the client only ever sees the
// 403 address_not_allowed problem, never the rule.
type DeniedError struct {
	Addr netip.Addr // invalid for RuleUnknownAddress
	Rule string
}

// Error describes the refusal for the log.
func (e *DeniedError) Error() string {
	a := "unknown address"
	if e.Addr.IsValid() {
		a = e.Addr.String()
	}
	return "ipfilter: " + a + " refused by " + e.Rule
}

// Is reports whether target is ErrNotAllowed.
func (e *DeniedError) Is(target error) bool { return target == ErrNotAllowed }

// problem is what a refused client sees; the same for every refusal, so
// it tells a scanner nothing about the lists.
var problem = apierrors.New(http.StatusForbidden, apierrors.ReasonAddressNotAllowed,
	"The client's address is not allowed for this route.")

// Filter allows or refuses requests by client address. It is built by New,
// read-only afterwards and safe for concurrent use.
type Filter struct {
	resolver *clientip.Resolver
	global   *policy
	routes   routetable.Table[*policy]

	decisions *telemetry.Counter
}

// ClientIP returns the client address of r as the filter resolves it: the
// socket peer, or what the configured header says when the peer is a
// trusted proxy; unmapped and zoneless. It is invalid when the peer is not
// an IP address (a unix socket). The Handler uses exactly this address,
// as do ratelimit.ByIP and audit when configured with the same
// TrustedProxies and Header.
func (f *Filter) ClientIP(r *http.Request) netip.Addr {
	return f.resolver.ClientIP(r)
}

// Check decides r: nil if its client may call its route, else a 403
// address_not_allowed *errors.Problem whose cause is a *DeniedError, so
// errors.Is(err, ErrNotAllowed) holds and errors.Write sends it as is. The
// route is route.Pattern(r). Check records and counts nothing; the Handler does.
func (f *Filter) Check(r *http.Request) error {
	ip := f.ClientIP(r)
	if rule, ok := f.decide(ip, f.pattern(r)); !ok {
		return refusal(ip, rule)
	}
	return nil
}

// CheckAddr decides addr on the route pattern ("GET /v1/items/{id}", or ""
// for the global lists), for callers outside HTTP: nil if allowed, else a
// *DeniedError. addr is unmapped and its zone dropped before matching; an
// invalid addr is a client that cannot be told.
func (f *Filter) CheckAddr(addr netip.Addr, pattern string) error {
	addr = addr.WithZone("").Unmap()
	rule, ok := f.decide(addr, pattern)
	if ok {
		return nil
	}
	return &DeniedError{Addr: addr, Rule: rule}
}

// Handler refuses requests whose client address the lists do not allow
// with a 403 address_not_allowed problem written by errors.Write, and
// records the decision and the client address in the request record, so
// audit logs them and ClientIP reads the address back.
func (f *Filter) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w, r, rec := record.Install(w, r)
		ip := f.ClientIP(r)
		pattern := f.pattern(r)
		rule, ok := f.decide(ip, pattern)
		if ip.IsValid() {
			rec.SetClientIP(ip)
		}
		if ok {
			d := record.Decision{Package: pkgName, Outcome: record.Allow, Rule: rule}
			if !ip.IsValid() {
				d.Outcome = record.Skip
			}
			rec.AddRouteDecision(pattern, d)
			f.decisions.Count(outcomeAllow)
			next.ServeHTTP(w, r)
			return
		}
		rec.AddRouteDecision(pattern, record.Decision{Package: pkgName, Outcome: record.Deny,
			Reason: apierrors.ReasonAddressNotAllowed, Rule: rule})
		f.decisions.Decision(r.Context(), outcomeDeny, decisionEvent)
		apierrors.Write(w, r, refusal(ip, rule))
	})
}

// pattern returns r's route pattern, or "" without looking when there are
// no per-route rules.
func (f *Filter) pattern(r *http.Request) string {
	if f.routes.Len() == 0 {
		return ""
	}
	return route.Pattern(r)
}

// decide returns whether addr may call the route with pattern, and the
// rule that said so. addr must be unmapped and zoneless, or invalid.
func (f *Filter) decide(addr netip.Addr, pattern string) (rule string, ok bool) {
	p := f.global
	if rp, found := f.routes.Lookup(pattern); found {
		p = rp
	}
	if !addr.IsValid() {
		return RuleUnknownAddress, p.allow.empty()
	}
	if d, denied := p.deny.match(addr); denied {
		return d.text, false
	}
	if p.allow.empty() {
		return RuleNotDenied, true
	}
	if a, allowed := p.allow.match(addr); allowed {
		return a.text, true
	}
	return RuleNotAllowed, false
}

// refusal is the problem for addr refused by rule.
func refusal(addr netip.Addr, rule string) error {
	return problem.WithCause(&DeniedError{Addr: addr, Rule: rule})
}
