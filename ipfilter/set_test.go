package ipfilter

import (
	"net/netip"
	"testing"
)

func rulesOf(ss ...string) []rule {
	out := make([]rule, len(ss))
	for i, s := range ss {
		p := netip.MustParsePrefix(s)
		out[i] = rule{prefix: p, text: p.String()}
	}
	return out
}

func TestSet(t *testing.T) {
	t.Parallel()
	s := newSet(rulesOf("10.0.0.0/8", "10.1.0.0/16", "10.1.2.3/32", "192.0.2.0/24", "192.0.2.128/25",
		"2001:db8::/32", "2001:db8:1::/48", "::/0", "0.0.0.0/32", "255.255.255.255/32"))
	if got, want := len(s.v4)+len(s.v6), 5; got != want {
		t.Errorf("newSet kept %d rules %v %v, want %d (contained ones dropped)", got, s.v4, s.v6, want)
	}
	for _, tc := range []struct{ addr, want string }{
		{"10.1.2.3", "10.0.0.0/8"},
		{"10.255.255.255", "10.0.0.0/8"},
		{"11.0.0.0", ""},
		{"9.255.255.255", ""},
		{"192.0.2.200", "192.0.2.0/24"},
		{"192.0.3.0", ""},
		{"0.0.0.0", "0.0.0.0/32"},
		{"0.0.0.1", ""},
		{"255.255.255.255", "255.255.255.255/32"},
		{"2001:db8:1::1", "::/0"},
		{"::", "::/0"},
		{"ffff::1", "::/0"},
	} {
		got := ""
		if r, ok := s.match(netip.MustParseAddr(tc.addr)); ok {
			got = r.text
		}
		if got != tc.want {
			t.Errorf("match(%s) = %q, want %q", tc.addr, got, tc.want)
		}
	}
	v6all := newSet(rulesOf("::/0"))
	if _, ok := v6all.match(netip.MustParseAddr("192.0.2.1")); ok {
		t.Error("::/0 matched an IPv4 address")
	}
	if _, ok := v6all.match(netip.MustParseAddr("::ffff:192.0.2.1")); !ok {
		t.Error("::/0 did not match a mapped address, which is IPv6 to the set")
	}
	var empty set
	if _, ok := empty.match(netip.MustParseAddr("10.0.0.1")); ok || !empty.empty() {
		t.Error("the zero set matched an address")
	}
}

// FuzzSet checks the sorted, pruned set against the plain definition: an
// address matches if any prefix of the list contains it.
func FuzzSet(f *testing.F) {
	f.Add([]byte{10, 0, 0, 0, 8, 10, 1, 0, 0, 16, 192, 0, 2, 0, 24}, []byte{10, 1, 2, 3})
	f.Add([]byte{0, 0, 0, 0, 0, 10, 0, 0, 0, 32}, []byte{10, 0, 0, 0})
	f.Add([]byte{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 200}, []byte{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1})
	f.Fuzz(func(t *testing.T, list, addr []byte) {
		// list is a run of (4 address bytes, bits) or, with the high bit
		// of bits set, (16 address bytes, bits) taken from the front.
		var rs []rule
		for len(list) >= 5 && len(rs) < 64 {
			n := 4
			if list[4]&0x80 != 0 && len(list) >= 17 {
				n = 16
			}
			a, _ := netip.AddrFromSlice(list[:n])
			bits := int(list[n]&0x7f) % (a.BitLen() + 1)
			p, _ := a.Prefix(bits)
			rs = append(rs, rule{prefix: p, text: p.String()})
			list = list[n+1:]
		}
		a, ok := netip.AddrFromSlice(addr)
		if !ok {
			return
		}
		s := newSet(rs)
		want := false
		for _, r := range rs {
			want = want || r.prefix.Contains(a)
		}
		r, got := s.match(a)
		if got != want {
			t.Fatalf("match(%v) over %v = %v, want %v", a, rs, got, want)
		}
		if got && !r.prefix.Contains(a) {
			t.Fatalf("match(%v) returned %v, which does not contain it", a, r.prefix)
		}
		for _, q := range rs {
			if c, ok := s.coveredBy(q.prefix); !ok || !covers(c.prefix, q.prefix) {
				t.Fatalf("coveredBy(%v) = %v, %v; want a rule covering it, since it is in the list", q.prefix, c, ok)
			}
		}
	})
}
