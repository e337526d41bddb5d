package audit

import (
	"log/slog"
	"net/netip"
	"slices"
	"time"
)

// attrArena holds one event's attributes on the direct path: the groups'
// members, the top-level and namespace lists and the slices that values
// box, reused from event to event, so that building them costs no
// allocation once the buffers have grown. Only the direct path uses it
// (writerState.arena): there every sink is the auditor's own handler,
// which is done with a record when Handle returns, whereas another sink
// may keep the record, and with it these buffers, past Handle. A nil
// *attrArena allocates as slog does. It belongs to the writer.
type attrArena struct {
	members  []slog.Attr
	top, ns  []slog.Attr
	cat, typ []string
	ds       []decisionJSON
	times    [2]nanoTime
	addr     netip.Addr
}

// maxArenaAttrs bounds the members an arena keeps between events.
const maxArenaAttrs = 1024

func (r *attrArena) reset() {
	clear(r.members) // let go of the last event's strings
	r.members = r.members[:0]
	if cap(r.members) > maxArenaAttrs {
		r.members = nil
	}
}

// keep remembers the lists' buffers, which may have grown, for the next
// event.
func (r *attrArena) keep(top, ns []slog.Attr) {
	if r == nil || cap(top) > maxArenaAttrs || cap(ns) > maxArenaAttrs {
		return
	}
	clear(top)
	clear(ns)
	r.top, r.ns = top[:0], ns[:0]
}

// lists returns empty top-level and namespace lists.
func (r *attrArena) lists() (top, ns []slog.Attr) {
	if r == nil || r.top == nil {
		return make([]slog.Attr, 0, 24), make([]slog.Attr, 0, 12)
	}
	return r.top[:0], r.ns[:0]
}

// group is slog.GroupAttrs with the members copied into the arena.
func (r *attrArena) group(key string, as ...slog.Attr) slog.Attr {
	if r == nil {
		return slog.GroupAttrs(key, slices.Clone(as)...) // a copy, so that as stays on the caller's stack
	}
	n := len(r.members)
	r.members = append(r.members, as...)
	return slog.GroupAttrs(key, r.members[n:len(r.members):len(r.members)]...)
}

// classes returns empty category and type lists for ecsClass.
func (r *attrArena) classes() (category, typ []string) {
	if r == nil {
		return nil, nil
	}
	return r.cat[:0], r.typ[:0]
}

// strings is slog.Any(key, ss) for ss from classes (which is 0 for the
// category, 1 for the type); the arena's value boxes a pointer, which
// costs no allocation and which encoding/json writes as the slice.
func (r *attrArena) strings(key string, ss []string, which int) slog.Attr {
	if r == nil {
		return slog.Any(key, ss)
	}
	if which == 0 {
		r.cat = ss
		return slog.Any(key, &r.cat)
	}
	r.typ = ss
	return slog.Any(key, &r.typ)
}

// decisionList returns a list of n decisions to fill in.
func (r *attrArena) decisionList(n int) []decisionJSON {
	if r == nil {
		return make([]decisionJSON, n)
	}
	if cap(r.ds) < n {
		r.ds = make([]decisionJSON, n)
	}
	return r.ds[:n]
}

// decisions is slog.Any(key, ds) for ds from decisionList.
func (r *attrArena) decisions(key string, ds []decisionJSON) slog.Attr {
	if r == nil {
		return slog.Any(key, ds)
	}
	r.ds = ds
	return slog.Any(key, &r.ds)
}

// time is slog.String(key, t.UTC().Format(time.RFC3339Nano)); the arena's
// value boxes a pointer to a nanoTime, which the direct encoder appends
// without building the string (which is 0 for the first time of an event,
// 1 for the second).
func (r *attrArena) time(key string, t time.Time, which int) slog.Attr {
	if r == nil {
		return slog.String(key, t.UTC().Format(time.RFC3339Nano))
	}
	r.times[which] = nanoTime{t.UTC()}
	return slog.Any(key, &r.times[which])
}

// ip is slog.String(key, ip.String()) for a valid ip; the arena's value
// boxes a pointer to the address, which the direct encoder appends without
// building the string. An address with a zone keeps the string, whose
// escaping (the zone is free text) slog does its own way.
func (r *attrArena) ip(key string, ip netip.Addr) slog.Attr {
	if r == nil || ip.Zone() != "" {
		return slog.String(key, ip.String())
	}
	r.addr = ip
	return slog.Any(key, &r.addr)
}

// nanoTime is a time that encodes as the JSON string
// time.Time.Format(time.RFC3339Nano) would be, whatever its year (unlike
// time.Time's own MarshalJSON, which refuses years past 9999).
type nanoTime struct{ t time.Time }

// MarshalJSON is for the slog path, when a line cannot be encoded directly.
func (n *nanoTime) MarshalJSON() ([]byte, error) { return n.appendJSON(nil), nil }

// appendJSON appends n quoted: RFC 3339 holds nothing JSON escapes.
func (n *nanoTime) appendJSON(b []byte) []byte {
	b = append(b, '"')
	b = n.t.AppendFormat(b, time.RFC3339Nano)
	return append(b, '"')
}
