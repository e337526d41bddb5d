package ipfilter

import (
	"errors"
	"net/http"
	"net/netip"
	"strings"
	"testing"

	apierrors "github.com/apishield/apishield/errors"
	"github.com/apishield/apishield/internal/record"
	"github.com/apishield/apishield/route"
)

type filterCase struct {
	name     string
	method   string // GET if empty
	target   string // "/" if empty
	peer     string
	header   []string // name, value, ...
	wantRule string   // the decision's rule; refused unless allowed
	allowed  bool
}

func runFilterCases(t *testing.T, h http.Handler, cases []filterCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			method, target := tc.method, tc.target
			if method == "" {
				method = http.MethodGet
			}
			if target == "" {
				target = "/"
			}
			w, rec := serve(h, request(method, target, tc.peer, tc.header...))
			d := decisionOf(t, rec)
			if d.Rule != tc.wantRule {
				t.Errorf("decision rule = %q, want %q", d.Rule, tc.wantRule)
			}
			if tc.allowed {
				if w.Code != http.StatusNoContent {
					t.Fatalf("status = %d, want 204 (allowed); body %s", w.Code, w.Body)
				}
				want := record.Allow
				if tc.wantRule == RuleUnknownAddress {
					want = record.Skip // nothing to decide: no allow-list, no address
				}
				if d.Outcome != want {
					t.Errorf("decision outcome = %q, want %q", d.Outcome, want)
				}
				return
			}
			if w.Code != http.StatusForbidden {
				t.Fatalf("status = %d, want 403; body %s", w.Code, w.Body)
			}
			if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
				t.Errorf("Content-Type = %q, want application/problem+json", ct)
			}
			p := problemOf(t, w)
			if p["reason"] != apierrors.ReasonAddressNotAllowed {
				t.Errorf("reason = %v, want %s", p["reason"], apierrors.ReasonAddressNotAllowed)
			}
			if strings.Contains(w.Body.String(), tc.wantRule) && tc.wantRule != RuleNotAllowed {
				t.Errorf("body %s names the rule %q; the lists must not leak", w.Body, tc.wantRule)
			}
			if d.Outcome != record.Deny || d.Reason != apierrors.ReasonAddressNotAllowed {
				t.Errorf("decision = %+v, want deny %s", d, apierrors.ReasonAddressNotAllowed)
			}
		})
	}
}

// The lists most cases use: two allowed networks and one allowed address,
// with a denied hole in each network.
var (
	testAllow = []string{"10.0.0.0/8", "2001:db8:1::/48", "192.0.2.1"}
	testDeny  = []string{"10.66.0.0/16", "2001:db8:1:66::/64"}
)

func TestFilterGlobalLists(t *testing.T) {
	t.Parallel()
	h := mustNew(t, Config{Allow: testAllow, Deny: testDeny}).Handler(okHandler)
	runFilterCases(t, h, []filterCase{
		{name: "in allowed network", peer: "10.1.2.3:1234", wantRule: "allow 10.0.0.0/8", allowed: true},
		{name: "allowed address", peer: "192.0.2.1:1234", wantRule: "allow 192.0.2.1/32", allowed: true},
		{name: "IPv6 in allowed network", peer: "[2001:db8:1:2::5]:443", wantRule: "allow 2001:db8:1::/48", allowed: true},
		{name: "mapped peer is IPv4", peer: "[::ffff:10.1.2.3]:1", wantRule: "allow 10.0.0.0/8", allowed: true},
		{name: "no port", peer: "10.1.2.3", wantRule: "allow 10.0.0.0/8", allowed: true},

		{name: "outside every allowed network", peer: "203.0.113.9:1234", wantRule: RuleNotAllowed},
		{name: "neighbour of allowed address", peer: "192.0.2.2:1234", wantRule: RuleNotAllowed},
		{name: "IPv6 outside", peer: "[2001:db8:2::1]:443", wantRule: RuleNotAllowed},
		{name: "deny wins inside allowed network", peer: "10.66.1.1:1234", wantRule: "deny 10.66.0.0/16"},
		{name: "IPv6 deny wins", peer: "[2001:db8:1:66:ffff::1]:443", wantRule: "deny 2001:db8:1:66::/64"},
		{name: "mapped peer in deny", peer: "[::ffff:10.66.0.1]:1", wantRule: "deny 10.66.0.0/16"},
		{name: "unix socket peer refused under allow-list", peer: "@", wantRule: RuleUnknownAddress},
		{name: "empty peer refused under allow-list", peer: "", wantRule: RuleUnknownAddress},
		{name: "hostname peer refused under allow-list", peer: "localhost:80", wantRule: RuleUnknownAddress},
		{name: "forwarding header ignored without trusted proxies", peer: "203.0.113.9:1", header: []string{"X-Forwarded-For", "10.1.2.3"}, wantRule: RuleNotAllowed},
	})
}

// TestFilterFullAddress: the filter matches the whole address, not the /64
// ratelimit groups IPv6 by; only a prefix rule covers a /64.
func TestFilterFullAddress(t *testing.T) {
	t.Parallel()
	h := mustNew(t, Config{Allow: []string{"2001:db8::1", "2001:db8:0:1::/64"}, Deny: []string{"2001:db8:0:1::bad"}}).Handler(okHandler)
	runFilterCases(t, h, []filterCase{
		{name: "the allowed address", peer: "[2001:db8::1]:1", wantRule: "allow 2001:db8::1/128", allowed: true},
		{name: "same /64 as allowed address", peer: "[2001:db8::2]:1", wantRule: RuleNotAllowed},
		{name: "allowed /64", peer: "[2001:db8:0:1:abcd::9]:1", wantRule: "allow 2001:db8:0:1::/64", allowed: true},
		{name: "denied address inside allowed /64", peer: "[2001:db8:0:1::bad]:1", wantRule: "deny 2001:db8:0:1::bad/128"},
		{name: "its neighbour", peer: "[2001:db8:0:1::bae]:1", wantRule: "allow 2001:db8:0:1::/64", allowed: true},
	})
}

func TestFilterZonesAndMappedRules(t *testing.T) {
	t.Parallel()
	h := mustNew(t, Config{Allow: []string{"fe80::/10", "::ffff:192.0.2.0/120"}}).Handler(okHandler)
	runFilterCases(t, h, []filterCase{
		{name: "zoned link-local peer", peer: "[fe80::1%eth0]:1", wantRule: "allow fe80::/10", allowed: true},
		{name: "mapped rule matches IPv4 peer", peer: "192.0.2.77:1", wantRule: "allow 192.0.2.0/24", allowed: true},
		{name: "mapped rule matches mapped peer", peer: "[::ffff:192.0.2.77]:1", wantRule: "allow 192.0.2.0/24", allowed: true},
		{name: "outside mapped rule", peer: "192.0.3.1:1", wantRule: RuleNotAllowed},
	})
}

// TestFilterFamilies: an IPv6 rule never covers an IPv4 client.
func TestFilterFamilies(t *testing.T) {
	t.Parallel()
	h := mustNew(t, Config{Allow: []string{"::/0"}}).Handler(okHandler)
	runFilterCases(t, h, []filterCase{
		{name: "IPv6 client", peer: "[2001:db8::1]:1", wantRule: "allow ::/0", allowed: true},
		{name: "IPv4 client", peer: "192.0.2.1:1", wantRule: RuleNotAllowed},
		{name: "mapped IPv4 client", peer: "[::ffff:192.0.2.1]:1", wantRule: RuleNotAllowed},
	})
}

func TestFilterDenyOnly(t *testing.T) {
	t.Parallel()
	h := mustNew(t, Config{Deny: []string{"203.0.113.0/24", "2001:db8:bad::/48"}}).Handler(okHandler)
	runFilterCases(t, h, []filterCase{
		{name: "anyone else", peer: "198.51.100.1:1", wantRule: RuleNotDenied, allowed: true},
		{name: "IPv6 anyone else", peer: "[2001:db8:1::1]:1", wantRule: RuleNotDenied, allowed: true},
		{name: "unix socket peer skipped without allow-list", peer: "@", wantRule: RuleUnknownAddress, allowed: true},
		{name: "denied network", peer: "203.0.113.200:1", wantRule: "deny 203.0.113.0/24"},
		{name: "denied IPv6", peer: "[2001:db8:bad:1::1]:1", wantRule: "deny 2001:db8:bad::/48"},
	})
}

func TestFilterBehindProxies(t *testing.T) {
	t.Parallel()
	trusted := prefixes("172.16.0.0/12")
	xff := mustNew(t, Config{Allow: testAllow, Deny: testDeny, TrustedProxies: trusted}).Handler(okHandler)
	runFilterCases(t, xff, []filterCase{
		{name: "client via proxy", peer: "172.16.0.1:1", header: []string{"X-Forwarded-For", "10.1.2.3"}, wantRule: "allow 10.0.0.0/8", allowed: true},
		{name: "refused client via proxy", peer: "172.16.0.1:1", header: []string{"X-Forwarded-For", "203.0.113.9"}, wantRule: RuleNotAllowed},
		{name: "denied client via proxy", peer: "172.16.0.1:1", header: []string{"X-Forwarded-For", "10.66.0.9"}, wantRule: "deny 10.66.0.0/16"},
		{name: "client spoofs an allowed address left of its own", peer: "172.16.0.1:1", header: []string{"X-Forwarded-For", "10.1.2.3, 203.0.113.9"}, wantRule: RuleNotAllowed},
		{name: "client spoofs from outside", peer: "203.0.113.9:1", header: []string{"X-Forwarded-For", "10.1.2.3"}, wantRule: RuleNotAllowed},
		{name: "garbage gives the proxy, not allowed", peer: "172.16.0.1:1", header: []string{"X-Forwarded-For", "10.1.2.3, garbage"}, wantRule: RuleNotAllowed},
		{name: "proxy without header is the client", peer: "172.16.0.1:1", wantRule: RuleNotAllowed},
	})
	for _, name := range []string{"CF-Connecting-IP", "True-Client-IP", "Fastly-Client-IP", "X-Real-IP"} {
		h := mustNew(t, Config{Allow: testAllow, Deny: testDeny, TrustedProxies: trusted, Header: name}).Handler(okHandler)
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			runFilterCases(t, h, []filterCase{
				{name: "from edge", peer: "172.16.0.1:1", header: []string{name, "10.1.2.3"}, wantRule: "allow 10.0.0.0/8", allowed: true},
				{name: "refused from edge", peer: "172.16.0.1:1", header: []string{name, "203.0.113.9"}, wantRule: RuleNotAllowed},
				{name: "denied from edge", peer: "172.16.0.1:1", header: []string{name, "10.66.0.1"}, wantRule: "deny 10.66.0.0/16"},
				{name: "from anyone else", peer: "203.0.113.9:1", header: []string{name, "10.1.2.3"}, wantRule: RuleNotAllowed},
				{name: "list gives the edge", peer: "172.16.0.1:1", header: []string{name, "203.0.113.9, 10.1.2.3"}, wantRule: RuleNotAllowed},
				{name: "two lines give the edge", peer: "172.16.0.1:1", header: []string{name, "203.0.113.9", name, "10.1.2.3"}, wantRule: RuleNotAllowed},
				{name: "port gives the edge", peer: "172.16.0.1:1", header: []string{name, "10.1.2.3:443"}, wantRule: RuleNotAllowed},
				{name: "garbage gives the edge", peer: "172.16.0.1:1", header: []string{name, "<10.1.2.3>"}, wantRule: RuleNotAllowed},
				{name: "X-Forwarded-For not read", peer: "172.16.0.1:1", header: []string{"X-Forwarded-For", "10.1.2.3"}, wantRule: RuleNotAllowed},
			})
		})
	}
}

func TestFilterPerRoute(t *testing.T) {
	t.Parallel()
	f := mustNew(t, Config{
		Allow: []string{"10.0.0.0/8"},
		Deny:  []string{"10.66.0.0/16"},
		Routes: map[string]Rules{
			"GET /admin":  {Allow: []string{"192.0.2.0/24"}},
			"/internal/":  {Deny: []string{"10.1.0.0/16"}},
			"/open":       {Allow: []string{"0.0.0.0/0", "::/0"}},
			"/ops/{name}": {Allow: []string{"10.9.0.0/16"}, Deny: []string{"10.9.9.0/24"}},
		},
	})
	mux := http.NewServeMux()
	for _, p := range []string{"GET /admin", "POST /admin", "/internal/", "/open", "/ops/{name}", "/"} {
		mux.Handle(p, okHandler)
	}
	h := route.Mux(mux)(f.Handler(mux))
	runFilterCases(t, h, []filterCase{
		{name: "route allow replaces global", target: "/admin", peer: "192.0.2.5:1", wantRule: "allow 192.0.2.0/24", allowed: true},
		{name: "global allow does not reach route", target: "/admin", peer: "10.1.2.3:1", wantRule: RuleNotAllowed},
		{name: "other method has no entry", method: http.MethodPost, target: "/admin", peer: "10.1.2.3:1", wantRule: "allow 10.0.0.0/8", allowed: true},
		{name: "other method refused by global", method: http.MethodPost, target: "/admin", peer: "192.0.2.5:1", wantRule: RuleNotAllowed},
		{name: "route deny added", target: "/internal/x", peer: "10.1.2.3:1", wantRule: "deny 10.1.0.0/16"},
		{name: "global allow inherited", target: "/internal/x", peer: "10.2.0.1:1", wantRule: "allow 10.0.0.0/8", allowed: true},
		{name: "global allow inherited refuses", target: "/internal/x", peer: "203.0.113.9:1", wantRule: RuleNotAllowed},
		{name: "global deny kept on route", target: "/internal/x", peer: "10.66.0.1:1", wantRule: "deny 10.66.0.0/16"},
		{name: "opened route", target: "/open", peer: "203.0.113.9:1", wantRule: "allow 0.0.0.0/0", allowed: true},
		{name: "opened route IPv6", target: "/open", peer: "[2001:db8::1]:1", wantRule: "allow ::/0", allowed: true},
		{name: "opened route keeps global deny", target: "/open", peer: "10.66.0.1:1", wantRule: "deny 10.66.0.0/16"},
		{name: "opened route refuses unknown address", target: "/open", peer: "@", wantRule: RuleUnknownAddress},
		{name: "wildcard route", target: "/ops/restart", peer: "10.9.1.1:1", wantRule: "allow 10.9.0.0/16", allowed: true},
		{name: "wildcard route deny hole", target: "/ops/restart", peer: "10.9.9.9:1", wantRule: "deny 10.9.9.0/24"},
		{name: "route without entry", target: "/elsewhere", peer: "10.1.2.3:1", wantRule: "allow 10.0.0.0/8", allowed: true},
	})
}

// TestFilterRecordsRouteAndAddress: the decision lands in the record with
// the route, and the resolved address for audit and ClientIP.
func TestFilterRecordsRouteAndAddress(t *testing.T) {
	t.Parallel()
	f := mustNew(t, Config{Allow: []string{"198.51.100.0/24"}, TrustedProxies: prefixes("10.0.0.0/8")})
	var got netip.Addr
	var ok bool
	h := f.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, ok = ClientIP(r)
		w.WriteHeader(http.StatusNoContent)
	}))
	w, rec := serve(h, request("GET", "/", "10.0.0.1:1", "X-Forwarded-For", "198.51.100.7"))
	if w.Code != http.StatusNoContent {
		t.Fatalf("status = %d, want 204", w.Code)
	}
	if want := netip.MustParseAddr("198.51.100.7"); !ok || got != want {
		t.Errorf("ClientIP in handler = %v, %v; want %v, true", got, ok, want)
	}
	if ip := rec.ClientIP(); ip != netip.MustParseAddr("198.51.100.7") {
		t.Errorf("record client IP = %v, want 198.51.100.7", ip)
	}

	_, rec = serve(h, request("GET", "/", "203.0.113.9:1"))
	if ip := rec.ClientIP(); ip != netip.MustParseAddr("203.0.113.9") {
		t.Errorf("refused request: record client IP = %v, want 203.0.113.9 for the audit trail", ip)
	}
}

func TestClientIPWithoutMiddleware(t *testing.T) {
	t.Parallel()
	if a, ok := ClientIP(request("GET", "/", "192.0.2.1:1")); ok || a.IsValid() {
		t.Errorf("ClientIP without a record = %v, %v; want invalid, false", a, ok)
	}
	f := mustNew(t, Config{Deny: []string{"203.0.113.0/24"}})
	var ok bool
	serve(f.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})), request("GET", "/", "@"))
	h := f.Handler(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) { _, ok = ClientIP(r) }))
	serve(h, request("GET", "/", "@"))
	if ok {
		t.Error("ClientIP for a unix-socket peer: ok = true, want false")
	}
}

func TestCheck(t *testing.T) {
	t.Parallel()
	f := mustNew(t, Config{Allow: testAllow, Deny: testDeny})
	if err := f.Check(request("GET", "/", "10.1.2.3:1")); err != nil {
		t.Errorf("Check(allowed) = %v, want nil", err)
	}
	err := f.Check(request("GET", "/", "10.66.0.1:1"))
	if !errors.Is(err, ErrNotAllowed) {
		t.Fatalf("Check(denied) = %v, want one matching ErrNotAllowed", err)
	}
	var p *apierrors.Problem
	if !errors.As(err, &p) || p.Status != http.StatusForbidden || p.Reason != apierrors.ReasonAddressNotAllowed {
		t.Errorf("Check(denied) = %v, want a 403 %s problem", err, apierrors.ReasonAddressNotAllowed)
	}
	var de *DeniedError
	if !errors.As(err, &de) || de.Rule != "deny 10.66.0.0/16" || de.Addr != netip.MustParseAddr("10.66.0.1") {
		t.Errorf("Check(denied) cause = %+v, want DeniedError{10.66.0.1, deny 10.66.0.0/16}", de)
	}
}

func TestCheckAddr(t *testing.T) {
	t.Parallel()
	f := mustNew(t, Config{Allow: testAllow, Deny: testDeny, Routes: map[string]Rules{"GET /admin": {Allow: []string{"192.0.2.0/24"}}}})
	for _, tc := range []struct {
		name, addr, pattern string
		wantRule            string // "" means allowed
	}{
		{"allowed", "10.1.2.3", "", ""},
		{"mapped is unmapped", "::ffff:10.1.2.3", "", ""},
		{"zone dropped", "2001:db8:1::1%eth0", "", ""},
		{"denied", "10.66.0.1", "", "deny 10.66.0.0/16"},
		{"mapped denied", "::ffff:10.66.0.1", "", "deny 10.66.0.0/16"},
		{"not allowed", "203.0.113.9", "", RuleNotAllowed},
		{"route", "192.0.2.9", "GET /admin", ""},
		{"route refuses global", "10.1.2.3", "GET /admin", RuleNotAllowed},
		{"unknown pattern is global", "10.1.2.3", "GET /nowhere", ""},
		{"invalid address", "", "", RuleUnknownAddress},
	} {
		var a netip.Addr
		if tc.addr != "" {
			a = netip.MustParseAddr(tc.addr)
		}
		err := f.CheckAddr(a, tc.pattern)
		if tc.wantRule == "" {
			if err != nil {
				t.Errorf("%s: CheckAddr(%v, %q) = %v, want nil", tc.name, a, tc.pattern, err)
			}
			continue
		}
		var de *DeniedError
		if !errors.As(err, &de) || de.Rule != tc.wantRule || !errors.Is(err, ErrNotAllowed) {
			t.Errorf("%s: CheckAddr(%v, %q) = %v, want a DeniedError by %q", tc.name, a, tc.pattern, err, tc.wantRule)
		}
	}
}

// TestAllowPathAllocations: with the record installed by an outer
// middleware, the allow path allocates nothing beyond what installing the
// record does. A fresh record per request keeps the decision slice from
// growing across runs.
func TestAllowPathAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector changes allocation counts")
	}
	f := mustNew(t, Config{Allow: testAllow, Deny: testDeny, TrustedProxies: prefixes("172.16.0.0/12"),
		Routes: map[string]Rules{"GET /admin": {Allow: []string{"192.0.2.0/24"}}}})
	floor := installRecord(okHandler)
	h := installRecord(f.Handler(okHandler))
	for _, tc := range []struct {
		name string
		r    *http.Request
	}{
		{"peer", request("GET", "/", "10.1.2.3:1")},
		{"via proxy", request("GET", "/", "172.16.0.1:1", "X-Forwarded-For", "203.0.113.9, 10.1.2.3")},
		{"per route", request("GET", "/admin", "192.0.2.9:1")},
	} {
		base := testing.AllocsPerRun(200, func() { floor.ServeHTTP(discardWriter{}, tc.r) })
		n := testing.AllocsPerRun(200, func() { h.ServeHTTP(discardWriter{}, tc.r) })
		if n != base {
			t.Errorf("%s: allow path allocates %v times per request beyond the record's %v, want 0", tc.name, n-base, base)
		}
	}
}

// installRecord is the outer middleware of a full stack: it installs the
// request record, and here also sets the route pattern as route.Func
// would, for requests to /admin.
func installRecord(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w, r, rec := record.Install(w, r)
		if r.URL.Path == "/admin" {
			rec.SetRoute("GET /admin")
		}
		next.ServeHTTP(w, r)
	})
}

type discardWriter struct{}

func (discardWriter) Header() http.Header         { return discardHeader }
func (discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (discardWriter) WriteHeader(int)             {}

// discardHeader is shared; the record's X-Request-Id lands in it.
var discardHeader = http.Header{}
