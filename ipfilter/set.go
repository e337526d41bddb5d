package ipfilter

import (
	"encoding/binary"
	"net/netip"
	"slices"
)

// A rule is one prefix of an allow- or deny-list with the text a decision
// records for it ("deny 203.0.113.0/24"), built once in New so recording
// a decision does not allocate.
type rule struct {
	prefix netip.Prefix
	text   string
}

// A set answers "which rule contains this address" with a binary search
// over integer ranges. Its rules are disjoint: two CIDR prefixes are
// either disjoint or one contains the other, and a contained one is
// dropped, since whatever it matches its container matches too. IPv4 and
// IPv6 rules are searched apart, so that an IPv4 address never falls in an
// IPv6 rule such as ::/0 through its mapped form. The zero set is empty
// and matches nothing.
type set struct {
	v4 []span4 // sorted by first
	v6 []span6 // sorted by first
}

// span4 is an IPv4 rule as the range first–last of 32-bit addresses.
type span4 struct {
	first, last uint32
	rule        rule
}

// span6 is an IPv6 rule as the range first–last of 128-bit addresses.
type span6 struct {
	first, last u128
	rule        rule
}

// u128 is a 128-bit address as two big-endian halves.
type u128 struct{ hi, lo uint64 }

func (a u128) less(b u128) bool { return a.hi < b.hi || a.hi == b.hi && a.lo < b.lo }

func key4(a netip.Addr) uint32 {
	b := a.As4()
	return binary.BigEndian.Uint32(b[:])
}

func key6(a netip.Addr) u128 {
	b := a.As16()
	return u128{binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:])}
}

// newSet sorts rs and drops every rule contained in another.
func newSet(rs []rule) set {
	rs = slices.Clone(rs)
	slices.SortFunc(rs, func(a, b rule) int {
		if c := a.prefix.Addr().Compare(b.prefix.Addr()); c != 0 {
			return c
		}
		return a.prefix.Bits() - b.prefix.Bits() // a container before what it contains
	})
	var kept []rule
	for _, r := range rs {
		// Sorted and disjoint, the kept rules end before r starts, all but
		// the last: only the last can contain r.
		if n := len(kept); n > 0 && covers(kept[n-1].prefix, r.prefix) {
			continue
		}
		kept = append(kept, r)
	}
	var s set
	for _, r := range kept {
		a, bits := r.prefix.Addr(), r.prefix.Bits()
		if a.Is4() {
			first := key4(a)
			s.v4 = append(s.v4, span4{first: first, last: first | uint32(uint64(1)<<(32-bits)-1), rule: r})
			continue
		}
		first, last := key6(a), key6(a)
		switch {
		case bits <= 64:
			last.hi |= uint64(1)<<(64-bits) - 1 // bits 0: shifting by 64 gives 0, minus 1 all ones
			last.lo = ^uint64(0)
		default:
			last.lo |= uint64(1)<<(128-bits) - 1
		}
		s.v6 = append(s.v6, span6{first: first, last: last, rule: r})
	}
	return s
}

// covers reports whether every address of q is in p.
func covers(p, q netip.Prefix) bool {
	return p.Bits() <= q.Bits() && p.Contains(q.Addr())
}

// empty reports whether s has no rules.
func (s *set) empty() bool { return len(s.v4) == 0 && len(s.v6) == 0 }

// match returns the rule containing a. a should be unmapped, as the
// resolver returns it: a mapped address is IPv6 here. A zone is ignored.
func (s *set) match(a netip.Addr) (*rule, bool) {
	if a.Is4() {
		x := key4(a)
		// The candidate is the last span starting at or before x.
		lo, hi := 0, len(s.v4)
		for lo < hi {
			m := int(uint(lo+hi) >> 1)
			if s.v4[m].first <= x {
				lo = m + 1
			} else {
				hi = m
			}
		}
		if lo > 0 && x <= s.v4[lo-1].last {
			return &s.v4[lo-1].rule, true
		}
		return nil, false
	}
	if !a.Is6() {
		return nil, false // the invalid Addr
	}
	x := key6(a)
	lo, hi := 0, len(s.v6)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if !x.less(s.v6[m].first) {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo > 0 && !s.v6[lo-1].last.less(x) {
		return &s.v6[lo-1].rule, true
	}
	return nil, false
}

// coveredBy returns the rule of s that covers the whole of p, if any.
func (s *set) coveredBy(p netip.Prefix) (*rule, bool) {
	r, ok := s.match(p.Addr())
	if ok && covers(r.prefix, p) {
		return r, true
	}
	return nil, false
}
