package clientip

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
)

// testTrusted is the trust list most cases use: a private IPv4 network,
// an IPv6 /48 and a single address.
var testTrusted = []string{"10.0.0.0/8", "2001:db8:ffff::/48", "192.0.2.10"}

func newTestResolver(t *testing.T, cfg Config) *Resolver {
	t.Helper()
	r, err := New(cfg)
	if err != nil {
		t.Fatalf("New(%+v): %v", cfg, err)
	}
	return r
}

func mustPrefixes(t testing.TB, ss ...string) []netip.Prefix {
	t.Helper()
	ps, err := ParsePrefixes(ss)
	if err != nil {
		t.Fatalf("ParsePrefixes(%q): %v", ss, err)
	}
	return ps
}

// want parses an expected address; "" means the invalid Addr.
func want(s string) netip.Addr {
	if s == "" {
		return netip.Addr{}
	}
	return netip.MustParseAddr(s)
}

type resolveCase struct {
	name    string
	cfg     Config // TrustedProxies filled from trusted unless noTrust
	noTrust bool
	remote  string
	header  map[string][]string
	want    string
}

func runResolveCases(t *testing.T, cases []resolveCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := tc.cfg
			if !tc.noTrust && cfg.TrustedProxies == nil {
				cfg.TrustedProxies = mustPrefixes(t, testTrusted...)
			}
			r := newTestResolver(t, cfg)
			req := httptest.NewRequest(http.MethodGet, "/", nil)
			req.RemoteAddr = tc.remote
			for k, vs := range tc.header {
				for _, v := range vs {
					req.Header.Add(k, v)
				}
			}
			if got, w := r.ClientIP(req), want(tc.want); got != w {
				t.Errorf("ClientIP(remote %q, header %q) = %v, want %v", tc.remote, tc.header, got, w)
			}
		})
	}
}

func xff(lines ...string) map[string][]string { return map[string][]string{"X-Forwarded-For": lines} }

func TestClientIPXForwardedFor(t *testing.T) {
	t.Parallel()
	runResolveCases(t, []resolveCase{
		// Spoofing without a trusted peer.
		{name: "no trust list ignores client XFF", noTrust: true, remote: "203.0.113.7:1234", header: xff("198.51.100.1"), want: "203.0.113.7"},
		{name: "untrusted peer ignores XFF", remote: "203.0.113.7:1234", header: xff("10.0.0.1"), want: "203.0.113.7"},
		{name: "untrusted peer ignores XFF naming a proxy", remote: "203.0.113.7:1234", header: xff("198.51.100.1, 10.0.0.1"), want: "203.0.113.7"},

		// Ordinary proxy chains.
		{name: "trusted peer without header is the client", remote: "10.0.0.1:1234", want: "10.0.0.1"},
		{name: "one proxy", remote: "10.0.0.1:1234", header: xff("198.51.100.1"), want: "198.51.100.1"},
		{name: "three hops", remote: "10.0.0.3:1234", header: xff("198.51.100.1, 10.0.0.1, 10.0.0.2"), want: "198.51.100.1"},
		{name: "single-address trust entry", remote: "192.0.2.10:1", header: xff("198.51.100.1"), want: "198.51.100.1"},
		{name: "neighbour of single-address trust entry is not trusted", remote: "192.0.2.11:1", header: xff("198.51.100.1"), want: "192.0.2.11"},
		{name: "every proxy trusted gives leftmost", remote: "10.0.0.3:1234", header: xff("10.0.0.1, 10.0.0.2"), want: "10.0.0.1"},
		{name: "no spaces", remote: "10.0.0.3:1234", header: xff("198.51.100.1,10.0.0.2"), want: "198.51.100.1"},
		{name: "tabs and spaces", remote: "10.0.0.3:1234", header: xff("\t198.51.100.1 ,\t10.0.0.2 "), want: "198.51.100.1"},

		// Attacker-supplied entries left of the proxy's.
		{name: "attacker prepends an address", remote: "10.0.0.1:1234", header: xff("6.6.6.6, 198.51.100.1"), want: "198.51.100.1"},
		{name: "attacker prepends a trusted address", remote: "10.0.0.1:1234", header: xff("10.9.9.9, 198.51.100.1"), want: "198.51.100.1"},
		{name: "attacker prepends many", remote: "10.0.0.1:1234", header: xff("1.1.1.1, 2.2.2.2, 3.3.3.3, 198.51.100.1"), want: "198.51.100.1"},
		{name: "attacker garbage left of client", remote: "10.0.0.1:1234", header: xff("<script>, ' OR 1=1, 198.51.100.1"), want: "198.51.100.1"},

		// Garbage stops the walk at the last trusted hop.
		{name: "garbage rightmost gives peer", remote: "10.0.0.1:1234", header: xff("198.51.100.1, garbage"), want: "10.0.0.1"},
		{name: "garbage between hides what is left of it", remote: "10.0.0.1:1234", header: xff("198.51.100.1, nonsense, 10.0.0.2"), want: "10.0.0.2"},
		{name: "empty element stops", remote: "10.0.0.1:1234", header: xff("198.51.100.1, , 10.0.0.2"), want: "10.0.0.2"},
		{name: "trailing comma stops", remote: "10.0.0.1:1234", header: xff("198.51.100.1,"), want: "10.0.0.1"},
		{name: "empty header value", remote: "10.0.0.1:1234", header: xff(""), want: "10.0.0.1"},
		{name: "port out of range", remote: "10.0.0.1:1234", header: xff("198.51.100.1:99999"), want: "10.0.0.1"},
		{name: "port not numeric", remote: "10.0.0.1:1234", header: xff("198.51.100.1:http"), want: "10.0.0.1"},
		{name: "obfuscated port refused in XFF", remote: "10.0.0.1:1234", header: xff("198.51.100.1:_x"), want: "10.0.0.1"},
		{name: "leading zeros refused", remote: "10.0.0.1:1234", header: xff("010.0.0.1"), want: "10.0.0.1"},
		{name: "hostname refused", remote: "10.0.0.1:1234", header: xff("localhost"), want: "10.0.0.1"},
		{name: "IPv4 in brackets refused", remote: "10.0.0.1:1234", header: xff("[198.51.100.1]"), want: "10.0.0.1"},
		{name: "unclosed bracket refused", remote: "10.0.0.1:1234", header: xff("[2001:db8::1"), want: "10.0.0.1"},
		{name: "junk after bracket refused", remote: "10.0.0.1:1234", header: xff("[2001:db8::1]x"), want: "10.0.0.1"},
		{name: "quoted XFF refused", remote: "10.0.0.1:1234", header: xff(`"198.51.100.1"`), want: "10.0.0.1"},

		// Multiple header lines are one list, in order.
		{name: "two lines", remote: "10.0.0.3:1234", header: xff("6.6.6.6, 198.51.100.1", "10.0.0.2"), want: "198.51.100.1"},
		{name: "attacker line first", remote: "10.0.0.1:1234", header: xff("6.6.6.6", "198.51.100.1"), want: "198.51.100.1"},
		{name: "walk crosses lines", remote: "10.0.0.1:1234", header: xff("198.51.100.1", "10.0.0.2, 10.0.0.5"), want: "198.51.100.1"},
		{name: "garbage line stops before earlier lines", remote: "10.0.0.1:1234", header: xff("198.51.100.1", "junk", "10.0.0.2"), want: "10.0.0.2"},
		{name: "empty last line stops", remote: "10.0.0.1:1234", header: xff("198.51.100.1", ""), want: "10.0.0.1"},

		// Ports, IPv6, mapped and zoned forms.
		{name: "IPv4 with port", remote: "10.0.0.1:1234", header: xff("198.51.100.1:5678"), want: "198.51.100.1"},
		{name: "bare IPv6", remote: "10.0.0.1:1234", header: xff("2001:db8::1"), want: "2001:db8::1"},
		{name: "bracketed IPv6", remote: "10.0.0.1:1234", header: xff("[2001:db8::1]"), want: "2001:db8::1"},
		{name: "bracketed IPv6 with port", remote: "10.0.0.1:1234", header: xff("[2001:db8::1]:443"), want: "2001:db8::1"},
		{name: "IPv6 peer trusted", remote: "[2001:db8:ffff::1]:443", header: xff("198.51.100.1"), want: "198.51.100.1"},
		{name: "IPv6 proxy chain", remote: "[2001:db8:ffff::1]:443", header: xff("2001:db8:1::7, 2001:db8:ffff::2"), want: "2001:db8:1::7"},
		{name: "mapped peer matches IPv4 trust", remote: "[::ffff:10.0.0.1]:80", header: xff("198.51.100.1"), want: "198.51.100.1"},
		{name: "mapped entry is unmapped", remote: "10.0.0.1:80", header: xff("::ffff:198.51.100.1"), want: "198.51.100.1"},
		{name: "mapped trusted entry is skipped", remote: "10.0.0.1:80", header: xff("198.51.100.1, ::ffff:10.0.0.2"), want: "198.51.100.1"},
		{name: "mapped untrusted peer is unmapped", remote: "[::ffff:203.0.113.7]:80", header: xff("198.51.100.1"), want: "203.0.113.7"},
		{name: "zone dropped from entry", remote: "10.0.0.1:80", header: xff("fe80::1%eth0"), want: "fe80::1"},
		{name: "zone dropped from peer", remote: "[fe80::1%eth0]:80", want: "fe80::1"},
		{name: "mapped trust prefix", cfg: Config{TrustedProxies: mustPrefixes(t, "::ffff:10.0.0.0/104")}, remote: "10.1.2.3:80", header: xff("198.51.100.1"), want: "198.51.100.1"},

		// Peers that are not IP addresses.
		{name: "unix socket peer", remote: "@", header: xff("198.51.100.1"), want: ""},
		{name: "empty peer", remote: "", header: xff("198.51.100.1"), want: ""},
		{name: "peer without port", remote: "10.0.0.1", header: xff("198.51.100.1"), want: "198.51.100.1"},
		{name: "peer hostname", remote: "localhost:80", header: xff("198.51.100.1"), want: ""},

		// Trusting everyone believes the leftmost parseable entry: documented misconfiguration.
		{name: "trust all believes the client", cfg: Config{TrustedProxies: mustPrefixes(t, "0.0.0.0/0", "::/0")}, remote: "203.0.113.7:1", header: xff("6.6.6.6, 198.51.100.1"), want: "6.6.6.6"},
	})
}

func TestClientIPBounds(t *testing.T) {
	t.Parallel()
	longForged := strings.Repeat("6.6.6.6, ", 10000) + "198.51.100.1"
	longTrusted := strings.Repeat("10.0.0.9, ", 10000) + "10.0.0.2"
	runResolveCases(t, []resolveCase{
		{name: "hops within cap", cfg: Config{MaxHops: 4}, remote: "10.0.0.9:1", header: xff("198.51.100.1, 10.0.0.1, 10.0.0.2, 10.0.0.3"), want: "198.51.100.1"},
		{name: "hops beyond cap give last trusted", cfg: Config{MaxHops: 3}, remote: "10.0.0.9:1", header: xff("198.51.100.1, 10.0.0.1, 10.0.0.2, 10.0.0.3"), want: "10.0.0.1"},
		{name: "hop cap counts across lines", cfg: Config{MaxHops: 2}, remote: "10.0.0.9:1", header: xff("198.51.100.1", "10.0.0.1", "10.0.0.2"), want: "10.0.0.1"},
		{name: "bytes exactly enough", cfg: Config{MaxHeaderBytes: len("198.51.100.1, 10.0.0.2")}, remote: "10.0.0.9:1", header: xff("198.51.100.1, 10.0.0.2"), want: "198.51.100.1"},
		// The cut leaves "98.51.100.1", a valid but different address; it must not be used.
		{name: "bytes cut an entry", cfg: Config{MaxHeaderBytes: len("198.51.100.1, 10.0.0.2") - 1}, remote: "10.0.0.9:1", header: xff("198.51.100.1, 10.0.0.2"), want: "10.0.0.2"},
		{name: "bytes cap across lines", cfg: Config{MaxHeaderBytes: 8}, remote: "10.0.0.9:1", header: xff("198.51.100.1", "10.0.0.2"), want: "10.0.0.2"},
		{name: "bytes cap reaches earlier line", cfg: Config{MaxHeaderBytes: 20}, remote: "10.0.0.9:1", header: xff("198.51.100.1", "10.0.0.2"), want: "198.51.100.1"},
		{name: "bytes cap cuts earlier line", cfg: Config{MaxHeaderBytes: 19}, remote: "10.0.0.9:1", header: xff("198.51.100.1", "10.0.0.2"), want: "10.0.0.2"},
		{name: "long forged prefix does not hide the client", remote: "10.0.0.1:1", header: xff(longForged), want: "198.51.100.1"},
		{name: "long trusted chain stops at hop cap", remote: "10.0.0.1:1", header: xff(longTrusted), want: "10.0.0.9"},
		{name: "long trusted chain stops at byte cap", cfg: Config{MaxHops: 1 << 20}, remote: "10.0.0.1:1", header: xff(longTrusted), want: "10.0.0.9"},
		{name: "many empty lines stop", remote: "10.0.0.1:1", header: xff(append([]string{"198.51.100.1"}, make([]string, 1000)...)...), want: "10.0.0.1"},
	})
}

func fwd(lines ...string) map[string][]string { return map[string][]string{"Forwarded": lines} }

func TestClientIPForwarded(t *testing.T) {
	t.Parallel()
	f := Config{Header: HeaderForwarded}
	runResolveCases(t, []resolveCase{
		{name: "simple", cfg: f, remote: "10.0.0.1:1", header: fwd("for=198.51.100.1"), want: "198.51.100.1"},
		{name: "RFC example with proto and by", cfg: f, remote: "10.0.0.1:1", header: fwd("for=192.0.2.60;proto=http;by=203.0.113.43"), want: "192.0.2.60"},
		{name: "for not first", cfg: f, remote: "10.0.0.1:1", header: fwd("proto=https;for=198.51.100.1"), want: "198.51.100.1"},
		{name: "case-insensitive name", cfg: f, remote: "10.0.0.1:1", header: fwd("For=198.51.100.1"), want: "198.51.100.1"},
		{name: "upper-case name", cfg: f, remote: "10.0.0.1:1", header: fwd("FOR=198.51.100.1"), want: "198.51.100.1"},
		{name: "quoted IPv6 with port", cfg: f, remote: "10.0.0.1:1", header: fwd(`for="[2001:db8::1]:4711"`), want: "2001:db8::1"},
		{name: "quoted bracketed IPv6", cfg: f, remote: "10.0.0.1:1", header: fwd(`for="[2001:db8::1]"`), want: "2001:db8::1"},
		{name: "unquoted bracketed IPv6 tolerated", cfg: f, remote: "10.0.0.1:1", header: fwd(`for=[2001:db8::1]`), want: "2001:db8::1"},
		{name: "quoted IPv4 with port", cfg: f, remote: "10.0.0.1:1", header: fwd(`for="198.51.100.1:8080"`), want: "198.51.100.1"},
		{name: "obfuscated port", cfg: f, remote: "10.0.0.1:1", header: fwd(`for="[2001:db8::1]:_p1"`), want: "2001:db8::1"},
		{name: "RFC multi-element", cfg: f, remote: "10.0.0.1:1", header: fwd("for=192.0.2.43, for=198.51.100.17"), want: "198.51.100.17"},
		{name: "trusted element skipped", cfg: f, remote: "10.0.0.1:1", header: fwd("for=198.51.100.1, for=10.0.0.2;proto=https"), want: "198.51.100.1"},
		{name: "every element trusted", cfg: f, remote: "10.0.0.1:1", header: fwd("for=10.0.0.5, for=10.0.0.2"), want: "10.0.0.5"},
		{name: "empty pairs allowed", cfg: f, remote: "10.0.0.1:1", header: fwd("for=198.51.100.1;;proto=http;"), want: "198.51.100.1"},
		{name: "spaces around pairs tolerated", cfg: f, remote: "10.0.0.1:1", header: fwd("for=198.51.100.1; proto=http"), want: "198.51.100.1"},
		{name: "two lines", cfg: f, remote: "10.0.0.1:1", header: fwd("for=198.51.100.1", "for=10.0.0.2"), want: "198.51.100.1"},
		{name: "mapped unmapped", cfg: f, remote: "10.0.0.1:1", header: fwd(`for="[::ffff:198.51.100.1]"`), want: "198.51.100.1"},

		{name: "unknown stops", cfg: f, remote: "10.0.0.1:1", header: fwd("for=198.51.100.1, for=unknown"), want: "10.0.0.1"},
		{name: "quoted unknown stops", cfg: f, remote: "10.0.0.1:1", header: fwd(`for="unknown"`), want: "10.0.0.1"},
		{name: "obfuscated identifier stops", cfg: f, remote: "10.0.0.1:1", header: fwd("for=_hidden"), want: "10.0.0.1"},
		{name: "quoted obfuscated identifier stops", cfg: f, remote: "10.0.0.1:1", header: fwd(`for="_SEVKISEK"`), want: "10.0.0.1"},
		{name: "obfuscated identifier hides left", cfg: f, remote: "10.0.0.1:1", header: fwd("for=198.51.100.1, for=_hidden, for=10.0.0.2"), want: "10.0.0.2"},
		{name: "element without for stops", cfg: f, remote: "10.0.0.1:1", header: fwd("for=198.51.100.1, proto=https;by=10.0.0.1"), want: "10.0.0.1"},
		{name: "duplicate for refused", cfg: f, remote: "10.0.0.1:1", header: fwd("for=6.6.6.6;for=198.51.100.1"), want: "10.0.0.1"},
		{name: "escaped quote refused", cfg: f, remote: "10.0.0.1:1", header: fwd(`for="198.51.100.1\""`), want: "10.0.0.1"},
		{name: "unterminated quote refused", cfg: f, remote: "10.0.0.1:1", header: fwd(`for="198.51.100.1`), want: "10.0.0.1"},
		{name: "space around equals refused", cfg: f, remote: "10.0.0.1:1", header: fwd("for = 198.51.100.1"), want: "10.0.0.1"},
		{name: "pair without equals refused", cfg: f, remote: "10.0.0.1:1", header: fwd("for"), want: "10.0.0.1"},
		{name: "empty value refused", cfg: f, remote: "10.0.0.1:1", header: fwd("for="), want: "10.0.0.1"},
		{name: "empty quoted value refused", cfg: f, remote: "10.0.0.1:1", header: fwd(`for=""`), want: "10.0.0.1"},

		// Attacker content left of the proxy's element.
		{name: "attacker element left", cfg: f, remote: "10.0.0.1:1", header: fwd("for=6.6.6.6, for=198.51.100.1"), want: "198.51.100.1"},
		{name: "attacker comma inside quotes", cfg: f, remote: "10.0.0.1:1", header: fwd(`for="6.6.6.6, for=7.7.7.7", for=198.51.100.1`), want: "198.51.100.1"},
		{name: "attacker unbalanced quote cannot swallow proxy elements", cfg: f, remote: "10.0.0.1:1", header: fwd(`for="6.6.6.6, for=198.51.100.1`), want: "198.51.100.1"},
		{name: "attacker unbalanced quote stops behind trusted", cfg: f, remote: "10.0.0.1:1", header: fwd(`for="6.6.6.6, for=10.0.0.2`), want: "10.0.0.2"},
		{name: "attacker escaped quotes", cfg: f, remote: "10.0.0.1:1", header: fwd(`for="a\",for=6.6.6.6", for=198.51.100.1`), want: "198.51.100.1"},

		{name: "escaped quote inside a trusted element's extension", cfg: f, remote: "10.0.0.1:1", header: fwd(`for=198.51.100.1, for=10.0.0.3;ext="\", for=10.0.0.2"`), want: "198.51.100.1"},
		// One header only.
		{name: "XFF ignored when Forwarded configured", cfg: f, remote: "10.0.0.1:1", header: xff("198.51.100.1"), want: "10.0.0.1"},
		{name: "Forwarded ignored when XFF configured", remote: "10.0.0.1:1", header: fwd("for=198.51.100.1"), want: "10.0.0.1"},
		{name: "untrusted peer ignores Forwarded", cfg: f, remote: "203.0.113.7:1", header: fwd("for=198.51.100.1"), want: "203.0.113.7"},
		{name: "byte cap inside quoted element", cfg: Config{Header: HeaderForwarded, MaxHeaderBytes: len(`"[2001:db8::1]", for=10.0.0.2`)}, remote: "10.0.0.1:1", header: fwd(`for="[2001:db8::1]", for=10.0.0.2`), want: "10.0.0.2"},
		{name: "hop cap", cfg: Config{Header: HeaderForwarded, MaxHops: 1}, remote: "10.0.0.1:1", header: fwd("for=198.51.100.1, for=10.0.0.2"), want: "10.0.0.2"},
	})
}

// TestClientIPSingleAddressHeaders: X-Real-IP and the CDN headers are
// believed from a trusted peer only as one line holding one bare address;
// every other shape gives the peer, as garbage in X-Forwarded-For does.
func TestClientIPSingleAddressHeaders(t *testing.T) {
	t.Parallel()
	for _, name := range []string{HeaderXRealIP, HeaderCFConnectingIP, HeaderTrueClientIP, HeaderFastlyClientIP} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c := Config{Header: strings.ToLower(name)}
			one := func(v ...string) map[string][]string { return map[string][]string{name: v} }
			runResolveCases(t, []resolveCase{
				{name: "set by proxy", cfg: c, remote: "10.0.0.1:1", header: one("198.51.100.1"), want: "198.51.100.1"},
				{name: "IPv6", cfg: c, remote: "10.0.0.1:1", header: one("2001:db8:cafe::17"), want: "2001:db8:cafe::17"},
				{name: "surrounding blanks", cfg: c, remote: "10.0.0.1:1", header: one(" \t198.51.100.1 "), want: "198.51.100.1"},
				{name: "mapped is unmapped", cfg: c, remote: "10.0.0.1:1", header: one("::ffff:198.51.100.1"), want: "198.51.100.1"},
				{name: "zone dropped", cfg: c, remote: "10.0.0.1:1", header: one("fe80::1%eth0"), want: "fe80::1"},
				{name: "trusted value is the answer", cfg: c, remote: "10.0.0.1:1", header: one("10.0.0.2"), want: "10.0.0.2"},
				{name: "IPv6 peer trusted", cfg: c, remote: "[2001:db8:ffff::1]:443", header: one("198.51.100.1"), want: "198.51.100.1"},

				{name: "untrusted peer", cfg: c, remote: "203.0.113.7:1", header: one("198.51.100.1"), want: "203.0.113.7"},
				{name: "unix socket peer", cfg: c, remote: "@", header: one("198.51.100.1"), want: ""},
				{name: "absent", cfg: c, remote: "10.0.0.1:1", want: "10.0.0.1"},
				{name: "empty", cfg: c, remote: "10.0.0.1:1", header: one(""), want: "10.0.0.1"},
				{name: "client line and proxy line", cfg: c, remote: "10.0.0.1:1", header: one("6.6.6.6", "198.51.100.1"), want: "10.0.0.1"},
				{name: "two equal lines", cfg: c, remote: "10.0.0.1:1", header: one("198.51.100.1", "198.51.100.1"), want: "10.0.0.1"},
				{name: "list", cfg: c, remote: "10.0.0.1:1", header: one("6.6.6.6, 198.51.100.1"), want: "10.0.0.1"},
				{name: "trailing comma", cfg: c, remote: "10.0.0.1:1", header: one("198.51.100.1,"), want: "10.0.0.1"},
				{name: "IPv4 with port", cfg: c, remote: "10.0.0.1:1", header: one("198.51.100.1:443"), want: "10.0.0.1"},
				{name: "bracketed IPv6", cfg: c, remote: "10.0.0.1:1", header: one("[2001:db8::1]"), want: "10.0.0.1"},
				{name: "bracketed IPv6 with port", cfg: c, remote: "10.0.0.1:1", header: one("[2001:db8::1]:443"), want: "10.0.0.1"},
				{name: "CIDR", cfg: c, remote: "10.0.0.1:1", header: one("198.51.100.0/24"), want: "10.0.0.1"},
				{name: "quoted", cfg: c, remote: "10.0.0.1:1", header: one(`"198.51.100.1"`), want: "10.0.0.1"},
				{name: "Forwarded syntax", cfg: c, remote: "10.0.0.1:1", header: one("for=198.51.100.1"), want: "10.0.0.1"},
				{name: "hostname", cfg: c, remote: "10.0.0.1:1", header: one("localhost"), want: "10.0.0.1"},
				{name: "unknown", cfg: c, remote: "10.0.0.1:1", header: one("unknown"), want: "10.0.0.1"},
				{name: "leading zeros", cfg: c, remote: "10.0.0.1:1", header: one("010.0.0.1"), want: "10.0.0.1"},
				{name: "garbage", cfg: c, remote: "10.0.0.1:1", header: one("nope"), want: "10.0.0.1"},
				{name: "empty zone", cfg: c, remote: "10.0.0.1:1", header: one("fe80::1%"), want: "10.0.0.1"},
				{name: "over 64 bytes", cfg: c, remote: "10.0.0.1:1", header: one("fe80::1%" + strings.Repeat("z", 60)), want: "10.0.0.1"},
				{name: "over MaxHeaderBytes", cfg: Config{Header: name, MaxHeaderBytes: 8}, remote: "10.0.0.1:1", header: one("198.51.100.1"), want: "10.0.0.1"},

				// One header only: the configured one, never a sibling.
				{name: "XFF ignored", cfg: c, remote: "10.0.0.1:1", header: xff("198.51.100.1"), want: "10.0.0.1"},
				{name: "Forwarded ignored", cfg: c, remote: "10.0.0.1:1", header: fwd("for=198.51.100.1"), want: "10.0.0.1"},
			})
			for _, other := range []string{HeaderXRealIP, HeaderCFConnectingIP, HeaderTrueClientIP, HeaderFastlyClientIP} {
				if other == name {
					continue
				}
				runResolveCases(t, []resolveCase{{
					name: other + " ignored", cfg: c, remote: "10.0.0.1:1",
					header: map[string][]string{http.CanonicalHeaderKey(other): {"198.51.100.1"}}, want: "10.0.0.1",
				}})
			}
		})
	}
	// The list headers ignore the single-address ones.
	runResolveCases(t, []resolveCase{
		{name: "CF-Connecting-IP ignored under XFF", remote: "10.0.0.1:1", header: map[string][]string{"Cf-Connecting-Ip": {"198.51.100.1"}}, want: "10.0.0.1"},
		{name: "True-Client-IP ignored under Forwarded", cfg: Config{Header: HeaderForwarded}, remote: "10.0.0.1:1", header: map[string][]string{"True-Client-Ip": {"198.51.100.1"}}, want: "10.0.0.1"},
	})
}

func TestZeroResolverTrustsNobody(t *testing.T) {
	t.Parallel()
	var r Resolver
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.RemoteAddr = "203.0.113.7:1"
	req.Header.Set("X-Forwarded-For", "198.51.100.1")
	if got, w := r.ClientIP(req), want("203.0.113.7"); got != w {
		t.Errorf("zero Resolver ClientIP = %v, want %v", got, w)
	}
	if got := r.Header(); got != "" {
		t.Errorf("zero Resolver Header() = %q, want empty", got)
	}
	var nilR *Resolver
	if got, w := nilR.ClientIP(req), want("203.0.113.7"); got != w {
		t.Errorf("nil Resolver ClientIP = %v, want %v", got, w)
	}
	if got := nilR.Header(); got != "" {
		t.Errorf("nil Resolver Header() = %q, want empty", got)
	}
}

// TestClientIPOverHTTP sends real requests through a loopback server, so
// that net/http's own header canonicalisation and RemoteAddr are exercised.
func TestClientIPOverHTTP(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		trust []string
		lines []string
		want  string
	}{
		{name: "loopback trusted", trust: []string{"127.0.0.0/8", "::1"}, lines: []string{"6.6.6.6", "198.51.100.1"}, want: "198.51.100.1"},
		{name: "loopback not trusted", trust: []string{"10.0.0.0/8"}, lines: []string{"198.51.100.1"}, want: "127.0.0.1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := newTestResolver(t, Config{TrustedProxies: mustPrefixes(t, tc.trust...)})
			got := make(chan netip.Addr, 1)
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
				got <- r.ClientIP(req)
			}))
			defer srv.Close()
			req, err := http.NewRequest(http.MethodGet, srv.URL, nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, l := range tc.lines {
				req.Header.Add("x-forwarded-for", l)
			}
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if g, w := <-got, want(tc.want); g != w {
				t.Errorf("ClientIP over HTTP = %v, want %v", g, w)
			}
		})
	}
}

func TestParseRemoteAddr(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"192.0.2.1:1234", "192.0.2.1"},
		{"[2001:db8::1]:443", "2001:db8::1"},
		{"[::ffff:192.0.2.1]:80", "192.0.2.1"},
		{"[fe80::1%eth0]:80", "fe80::1"},
		{"192.0.2.1", "192.0.2.1"},
		{"2001:db8::1", "2001:db8::1"},
		{"@", ""},
		{"", ""},
		{"/run/app.sock", ""},
		{"example.com:80", ""},
	} {
		if got, w := ParseRemoteAddr(tc.in), want(tc.want); got != w {
			t.Errorf("ParseRemoteAddr(%q) = %v, want %v", tc.in, got, w)
		}
	}
}

func TestClientIPAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector changes allocation counts")
	}
	r := newTestResolver(t, Config{TrustedProxies: mustPrefixes(t, testTrusted...)})
	for _, tc := range []struct {
		name, remote string
		xff          string
	}{
		{"untrusted peer", "203.0.113.7:1234", ""},
		{"three hops", "10.0.0.3:1234", "198.51.100.1, 10.0.0.1, 10.0.0.2"},
		{"IPv6 hops", "[2001:db8:ffff::1]:443", "[2001:db8::1]:443, 2001:db8:ffff::2"},
	} {
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.RemoteAddr = tc.remote
		if tc.xff != "" {
			req.Header.Set("X-Forwarded-For", tc.xff)
		}
		if n := testing.AllocsPerRun(100, func() { r.ClientIP(req) }); n != 0 {
			t.Errorf("%s: ClientIP allocates %v times per call, want 0", tc.name, n)
		}
	}
	cdn := newTestResolver(t, Config{TrustedProxies: mustPrefixes(t, testTrusted...), Header: HeaderCFConnectingIP})
	for _, v := range []string{"198.51.100.1", "2001:db8:cafe::17", "198.51.100.1:443", "garbage"} {
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.RemoteAddr = "10.0.0.3:1234"
		req.Header.Set(HeaderCFConnectingIP, v)
		if n := testing.AllocsPerRun(100, func() { cdn.ClientIP(req) }); n != 0 {
			t.Errorf("CF-Connecting-IP %q: ClientIP allocates %v times per call, want 0", v, n)
		}
	}
}
