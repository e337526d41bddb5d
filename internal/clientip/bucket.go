package clientip

import "net/netip"

// DefaultIPv6Bits is the IPv6 bucket size Bucket uses when asked for 0 bits:
// a /64 is the smallest network an ISP routes to one subscriber, and a host
// can pick any address inside it at will.
const DefaultIPv6Bits = 64

// UnknownKey is what AppendKey writes for an invalid address. It cannot be
// mistaken for the text of an address or prefix.
const UnknownKey = "unknown"

// Bucket returns the network a per-client limit should count addr under:
// an IPv4 address as its /32, an IPv6 address masked to v6Bits, so a host
// cannot dodge a per-IP limit by rotating through the addresses of its own
// /64. v6Bits of 0 (or less) means DefaultIPv6Bits; above 128 means 128.
// Mapped addresses count as IPv4 and zones are dropped. An invalid addr
// gives the zero Prefix.
//
// Bits below 48 lump together whole sites or ISPs; callers that take the
// value from configuration should refuse such values in their New.
func Bucket(addr netip.Addr, v6Bits int) netip.Prefix {
	if !addr.IsValid() {
		return netip.Prefix{}
	}
	addr = addr.WithZone("").Unmap()
	if addr.Is4() {
		return netip.PrefixFrom(addr, 32)
	}
	switch {
	case v6Bits <= 0:
		v6Bits = DefaultIPv6Bits
	case v6Bits > 128:
		v6Bits = 128
	}
	p, _ := addr.Prefix(v6Bits) // cannot fail: addr is valid IPv6 without zone, bits in range
	return p
}

// AppendKey appends the compact text key of addr's bucket (see Bucket) to
// dst and returns it, without allocating when dst has room: "192.0.2.1" for
// IPv4, "2001:db8:1:2::/64" for IPv6. The key is readable in Redis and in
// logs, and distinct buckets never share a key. An invalid addr appends
// UnknownKey, so that all requests whose client cannot be told count
// against one shared bucket instead of escaping the limit.
func AppendKey(dst []byte, addr netip.Addr, v6Bits int) []byte {
	p := Bucket(addr, v6Bits)
	switch {
	case !p.IsValid():
		return append(dst, UnknownKey...)
	case p.Addr().Is4():
		return p.Addr().AppendTo(dst)
	default:
		return p.AppendTo(dst)
	}
}
