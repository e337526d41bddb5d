package ipfilter

import (
	"errors"
	"net/netip"
	"testing"
)

func TestNewRejectsBadConfig(t *testing.T) {
	t.Parallel()
	trusted := prefixes("10.0.0.0/8")
	for _, tc := range []struct {
		name string
		cfg  Config
	}{
		{"no rules", Config{}},
		{"only proxies", Config{TrustedProxies: trusted}},
		{"empty lists", Config{Allow: []string{}, Deny: []string{}, Routes: map[string]Rules{}}},
		{"empty entry", Config{Allow: []string{""}}},
		{"blank entry", Config{Deny: []string{"  "}}},
		{"host bits set", Config{Allow: []string{"10.0.0.1/8"}}},
		{"bits out of range", Config{Allow: []string{"10.0.0.0/33"}}},
		{"zone", Config{Allow: []string{"fe80::1%eth0"}}},
		{"hostname", Config{Deny: []string{"example.com"}}},
		{"leading zeros", Config{Deny: []string{"010.0.0.1"}}},
		{"list in one entry", Config{Allow: []string{"10.0.0.0/8, 192.0.2.0/24"}}},
		{"port", Config{Allow: []string{"192.0.2.1:80"}}},
		{"bad route entry", Config{Allow: []string{"10.0.0.0/8"}, Routes: map[string]Rules{"/admin": {Allow: []string{"nope"}}}}},
		{"bad route deny entry", Config{Routes: map[string]Rules{"/admin": {Deny: []string{"10.0.0.0/8/8"}}}}},
		{"route without rules", Config{Allow: []string{"10.0.0.0/8"}, Routes: map[string]Rules{"/admin": {}}}},
		{"route key without slash", Config{Routes: map[string]Rules{"admin": {Deny: []string{"10.0.0.0/8"}}}}},
		{"route key lower-case method", Config{Routes: map[string]Rules{"get /admin": {Deny: []string{"10.0.0.0/8"}}}}},
		{"route key twice", Config{Routes: map[string]Rules{"GET /a": {Deny: []string{"10.0.0.0/8"}}, "GET  /a": {Deny: []string{"10.0.0.0/8"}}}}},
		{"allow equal to deny", Config{Allow: []string{"10.0.0.0/8"}, Deny: []string{"10.0.0.0/8"}}},
		{"allow inside deny", Config{Allow: []string{"10.1.0.0/16"}, Deny: []string{"10.0.0.0/8"}}},
		{"allowed address denied", Config{Allow: []string{"2001:db8::1"}, Deny: []string{"2001:db8::/64"}}},
		{"mapped allow inside deny", Config{Allow: []string{"::ffff:10.1.0.0/112"}, Deny: []string{"10.0.0.0/8"}}},
		{"route allow inside global deny", Config{Deny: []string{"10.0.0.0/8"}, Routes: map[string]Rules{"/admin": {Allow: []string{"10.1.0.0/16"}}}}},
		{"route allow inside route deny", Config{Routes: map[string]Rules{"/admin": {Allow: []string{"10.1.0.0/16"}, Deny: []string{"10.0.0.0/8"}}}}},
		{"header without trusted proxies", Config{Allow: []string{"10.0.0.0/8"}, Header: "X-Forwarded-For"}},
		{"CDN header without trusted proxies", Config{Allow: []string{"10.0.0.0/8"}, Header: "CF-Connecting-IP"}},
		{"unknown header", Config{Allow: []string{"10.0.0.0/8"}, Header: "X-Client-IP", TrustedProxies: trusted}},
		{"negative hops", Config{Allow: []string{"10.0.0.0/8"}, MaxHops: -1}},
		{"invalid trusted proxy", Config{Allow: []string{"10.0.0.0/8"}, TrustedProxies: []netip.Prefix{{}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f, err := New(tc.cfg)
			if !errors.Is(err, ErrInvalidConfig) {
				t.Fatalf("New error = %v, want one wrapping ErrInvalidConfig", err)
			}
			if f != nil {
				t.Error("New returned a Filter with an error")
			}
		})
	}
}

func TestNewAcceptsGoodConfig(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		cfg  Config
	}{
		{"allow only", Config{Allow: []string{"10.0.0.0/8"}}},
		{"deny only", Config{Deny: []string{"203.0.113.0/24"}}},
		{"routes only", Config{Routes: map[string]Rules{"/admin": {Allow: []string{"192.0.2.0/24"}}}}},
		{"spaces around entries", Config{Allow: []string{" 10.0.0.0/8 ", "\t192.0.2.1"}}},
		{"duplicates", Config{Allow: []string{"10.0.0.0/8", "10.0.0.0/8", "10.1.0.0/16"}}},
		{"deny hole in allow", Config{Allow: []string{"10.0.0.0/8"}, Deny: []string{"10.66.0.0/16"}}},
		// A route's deny may cover part or all of an inherited allow-list:
		// that is the route refusing some allowed callers.
		{"route deny covers inherited allow", Config{Allow: []string{"10.0.0.0/8", "192.0.2.0/24"}, Routes: map[string]Rules{"/admin": {Deny: []string{"10.0.0.0/8"}}}}},
		{"header with trusted proxies", Config{Allow: []string{"10.0.0.0/8"}, Header: "fastly-client-ip", TrustedProxies: prefixes("10.0.0.0/8")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if _, err := New(tc.cfg); err != nil {
				t.Fatalf("New: %v", err)
			}
		})
	}
}

func TestNewCopiesConfig(t *testing.T) {
	t.Parallel()
	cfg := Config{Allow: []string{"10.0.0.0/8"}, Routes: map[string]Rules{"/admin": {Allow: []string{"192.0.2.0/24"}}}, TrustedProxies: prefixes("172.16.0.0/12")}
	f := mustNew(t, cfg)
	cfg.Allow[0] = "0.0.0.0/0"
	cfg.Routes["/admin"].Allow[0] = "0.0.0.0/0"
	cfg.Routes["/other"] = Rules{Allow: []string{"0.0.0.0/0"}}
	cfg.TrustedProxies[0] = netip.MustParsePrefix("0.0.0.0/0")
	for _, tc := range []struct{ addr, pattern string }{{"203.0.113.9", ""}, {"10.1.1.1", "GET /admin"}, {"203.0.113.9", "GET /other"}} {
		if err := f.CheckAddr(netip.MustParseAddr(tc.addr), tc.pattern); err == nil {
			t.Errorf("CheckAddr(%s, %q) = nil after the Config was changed; New must copy it", tc.addr, tc.pattern)
		}
	}
	r := request("GET", "/", "203.0.113.9:1", "X-Forwarded-For", "10.1.1.1")
	if err := f.Check(r); err == nil {
		t.Error("Check believed X-Forwarded-For from a peer trusted only after New")
	}
}

func TestMustNewPanics(t *testing.T) {
	t.Parallel()
	defer func() {
		if recover() == nil {
			t.Error("MustNew(Config{}) did not panic")
		}
	}()
	MustNew(Config{})
}
