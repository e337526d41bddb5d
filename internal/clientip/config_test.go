package clientip

import (
	"errors"
	"net/netip"
	"slices"
	"testing"
)

func TestNewRejectsBadConfig(t *testing.T) {
	t.Parallel()
	trust := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	for _, tc := range []struct {
		name string
		cfg  Config
	}{
		{"unknown header", Config{Header: "X-Client-IP", TrustedProxies: trust}},
		{"two headers in one string", Config{Header: "X-Forwarded-For, Forwarded", TrustedProxies: trust}},
		{"header without trusted proxies", Config{Header: HeaderXForwardedFor}},
		{"CDN header without trusted proxies", Config{Header: HeaderCFConnectingIP}},
		{"header with empty trusted proxies", Config{Header: HeaderXRealIP, TrustedProxies: []netip.Prefix{}}},
		{"negative hops", Config{MaxHops: -1}},
		{"negative bytes", Config{MaxHeaderBytes: -1}},
		{"zero prefix", Config{TrustedProxies: []netip.Prefix{{}}}},
		{"prefix with bad bits", Config{TrustedProxies: []netip.Prefix{netip.PrefixFrom(netip.MustParseAddr("10.0.0.0"), 33)}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r, err := New(tc.cfg)
			if !errors.Is(err, ErrInvalidConfig) {
				t.Fatalf("New(%+v) error = %v, want one wrapping ErrInvalidConfig", tc.cfg, err)
			}
			if r != nil {
				t.Errorf("New(%+v) returned a Resolver with an error", tc.cfg)
			}
		})
	}
}

func TestNewDefaultsAndHeaderNames(t *testing.T) {
	t.Parallel()
	trust := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	for _, tc := range []struct{ in, want string }{
		{"", "X-Forwarded-For"},
		{"x-forwarded-for", "X-Forwarded-For"},
		{"FORWARDED", "Forwarded"},
		{"X-Real-IP", "X-Real-Ip"},
		{"cf-connecting-ip", "Cf-Connecting-Ip"},
		{"TRUE-CLIENT-IP", "True-Client-Ip"},
		{"Fastly-Client-IP", "Fastly-Client-Ip"},
	} {
		r, err := New(Config{Header: tc.in, TrustedProxies: trust})
		if err != nil {
			t.Fatalf("New(Header %q): %v", tc.in, err)
		}
		if got := r.Header(); got != tc.want {
			t.Errorf("New(Header %q).Header() = %q, want %q", tc.in, got, tc.want)
		}
		if r.maxHops != DefaultMaxHops || r.maxBytes != DefaultMaxHeaderBytes {
			t.Errorf("New(Header %q) bounds = %d hops, %d bytes, want %d, %d", tc.in, r.maxHops, r.maxBytes, DefaultMaxHops, DefaultMaxHeaderBytes)
		}
	}
	r, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	if got := r.Header(); got != "" {
		t.Errorf("Header() without trusted proxies = %q, want empty: no header is read", got)
	}
}

func TestNewCopiesAndNormalizesTrustList(t *testing.T) {
	t.Parallel()
	in := []netip.Prefix{
		netip.MustParsePrefix("::ffff:10.0.0.0/104"),
		netip.PrefixFrom(netip.MustParseAddr("192.0.2.77"), 24), // host bits set: masked
		netip.MustParsePrefix("10.0.0.0/8"),                     // duplicate after unmapping
	}
	r, err := New(Config{TrustedProxies: in})
	if err != nil {
		t.Fatal(err)
	}
	in[0] = netip.MustParsePrefix("0.0.0.0/0") // must not reach r
	wantList := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.0.2.0/24")}
	if !slices.Equal(r.trusted, wantList) {
		t.Errorf("trusted = %v, want %v", r.trusted, wantList)
	}
}

func TestMustNewPanicsOnBadConfig(t *testing.T) {
	t.Parallel()
	defer func() {
		if recover() == nil {
			t.Error("MustNew with a bad header did not panic")
		}
	}()
	MustNew(Config{Header: "bogus"})
}

func TestParsePrefixes(t *testing.T) {
	t.Parallel()
	got, err := ParsePrefixes([]string{"10.0.0.0/8", " 192.0.2.1 ", "2001:db8::/32", "2001:db8::1", "::ffff:192.0.2.1"})
	if err != nil {
		t.Fatal(err)
	}
	wantList := []netip.Prefix{
		netip.MustParsePrefix("10.0.0.0/8"),
		netip.MustParsePrefix("192.0.2.1/32"),
		netip.MustParsePrefix("2001:db8::/32"),
		netip.MustParsePrefix("2001:db8::1/128"),
		netip.MustParsePrefix("::ffff:192.0.2.1/128"), // New unmaps it
	}
	if !slices.Equal(got, wantList) {
		t.Errorf("ParsePrefixes = %v, want %v", got, wantList)
	}
	r := MustNew(Config{TrustedProxies: got})
	if !r.isTrusted(netip.MustParseAddr("192.0.2.1")) {
		t.Error("mapped bare address in trust list does not trust its IPv4 form")
	}

	for _, bad := range []string{"", "   ", "10.0.0.1/8", "10.0.0.0/33", "fe80::1%eth0", "example.com", "10.0.0.0/", "/8", "010.0.0.1"} {
		if _, err := ParsePrefixes([]string{"10.0.0.0/8", bad}); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("ParsePrefixes(%q) error = %v, want one wrapping ErrInvalidConfig", bad, err)
		}
	}
}
