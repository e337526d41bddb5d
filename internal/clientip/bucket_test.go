package clientip

import (
	"net/netip"
	"testing"
)

func TestBucket(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		addr   netip.Addr
		v6Bits int
		want   string // "" means the zero Prefix
	}{
		{"IPv4 is its /32", netip.MustParseAddr("192.0.2.1"), 64, "192.0.2.1/32"},
		{"IPv4 ignores v6Bits", netip.MustParseAddr("192.0.2.1"), 8, "192.0.2.1/32"},
		{"mapped counts as IPv4", netip.MustParseAddr("::ffff:192.0.2.1"), 64, "192.0.2.1/32"},
		{"IPv6 /64", netip.MustParseAddr("2001:db8:1:2:aaaa:bbbb:cccc:dddd"), 64, "2001:db8:1:2::/64"},
		{"IPv6 zero means default", netip.MustParseAddr("2001:db8:1:2::5"), 0, "2001:db8:1:2::/64"},
		{"IPv6 negative means default", netip.MustParseAddr("2001:db8:1:2::5"), -3, "2001:db8:1:2::/64"},
		{"IPv6 /48", netip.MustParseAddr("2001:db8:1:2::5"), 48, "2001:db8:1::/48"},
		{"IPv6 /128", netip.MustParseAddr("2001:db8:1:2::5"), 128, "2001:db8:1:2::5/128"},
		{"IPv6 above 128 clamps", netip.MustParseAddr("2001:db8:1:2::5"), 200, "2001:db8:1:2::5/128"},
		{"zone dropped", netip.MustParseAddr("fe80::1%eth0"), 64, "fe80::/64"},
		{"invalid", netip.Addr{}, 64, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := Bucket(tc.addr, tc.v6Bits)
			var w netip.Prefix
			if tc.want != "" {
				w = netip.MustParsePrefix(tc.want)
			}
			if got != w {
				t.Errorf("Bucket(%v, %d) = %v, want %v", tc.addr, tc.v6Bits, got, w)
			}
		})
	}
}

func TestAppendKey(t *testing.T) {
	t.Parallel()
	key := func(s string) string {
		var a netip.Addr
		if s != "" {
			a = netip.MustParseAddr(s)
		}
		return string(AppendKey(nil, a, 0))
	}
	for _, tc := range []struct{ addr, want string }{
		{"192.0.2.1", "192.0.2.1"},
		{"::ffff:192.0.2.1", "192.0.2.1"},
		{"2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"},
		{"", UnknownKey},
	} {
		if got := key(tc.addr); got != tc.want {
			t.Errorf("AppendKey(%q) = %q, want %q", tc.addr, got, tc.want)
		}
	}
	if a, b := key("2001:db8:1:2::1"), key("2001:db8:1:2:ffff::9"); a != b {
		t.Errorf("same /64 gave keys %q and %q, want one bucket", a, b)
	}
	if a, b := key("2001:db8:1:2::1"), key("2001:db8:1:3::1"); a == b {
		t.Errorf("different /64s share key %q", a)
	}
	if got := string(AppendKey([]byte("ip:"), netip.MustParseAddr("192.0.2.1"), 0)); got != "ip:192.0.2.1" {
		t.Errorf("AppendKey with prefix = %q, want %q", got, "ip:192.0.2.1")
	}
}

func TestAppendKeyAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector changes allocation counts")
	}
	buf := make([]byte, 0, 64)
	for _, s := range []string{"192.0.2.1", "2001:db8:1:2::1"} {
		a := netip.MustParseAddr(s)
		if n := testing.AllocsPerRun(100, func() { buf = AppendKey(buf[:0], a, 64) }); n != 0 {
			t.Errorf("AppendKey(%s) allocates %v times with room in dst, want 0", s, n)
		}
	}
}
