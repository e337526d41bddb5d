package ipfilter

import (
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

// A set answers "which rule contains this address" in O(log n). Its rules
// are sorted by address and disjoint: two CIDR prefixes are either
// disjoint or one contains the other, and a contained one is dropped,
// since whatever it matches its container matches too. The zero set is
// empty and matches nothing.
type set struct {
	rules []rule
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
	out := rs[:0]
	for _, r := range rs {
		// Sorted and disjoint, the kept rules end before r starts, all but
		// the last: only the last can contain r.
		if n := len(out); n > 0 && covers(out[n-1].prefix, r.prefix) {
			continue
		}
		out = append(out, r)
	}
	return set{rules: slices.Clip(out)}
}

// covers reports whether every address of q is in p.
func covers(p, q netip.Prefix) bool {
	return p.Bits() <= q.Bits() && p.Contains(q.Addr())
}

// empty reports whether s has no rules.
func (s set) empty() bool { return len(s.rules) == 0 }

// match returns the rule containing a. a must be unmapped and zoneless,
// as the resolver returns it: netip.Prefix.Contains is false for a zoned
// address, and an IPv4-mapped address is IPv6 to it.
func (s set) match(a netip.Addr) (rule, bool) {
	// The candidate is the last rule starting at or before a.
	i, found := slices.BinarySearchFunc(s.rules, a, func(r rule, a netip.Addr) int {
		return r.prefix.Addr().Compare(a)
	})
	if !found {
		i--
	}
	if i >= 0 && s.rules[i].prefix.Contains(a) {
		return s.rules[i], true
	}
	return rule{}, false
}

// coveredBy returns the rule of s that covers the whole of p, if any.
func (s set) coveredBy(p netip.Prefix) (rule, bool) {
	r, ok := s.match(p.Addr())
	if ok && covers(r.prefix, p) {
		return r, true
	}
	return rule{}, false
}
