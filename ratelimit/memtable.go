package ratelimit

// minSlots is a shard table's smallest size.
const minSlots = 64

// memTable is an open-addressing hash table of GCRA state with linear
// probing, keyed by memKey (already a keyed hash, so its low bits index the
// table directly). A decision finds and updates its entry with one probe
// sequence, where a Go map would hash the key twice, for the read and for
// the write. Key 0 marks an empty slot.
type memTable struct {
	slots []memSlot
	n     int
}

type memSlot struct {
	key memKey
	e   memEntry
}

func (t *memTable) init(size int) {
	t.slots = make([]memSlot, size)
	t.n = 0
}

// find returns the slot holding k, or the empty slot where k would go. The
// table is never full, so the probe ends.
func (t *memTable) find(k memKey) *memSlot {
	mask := uint64(len(t.slots) - 1)
	for i := uint64(k) & mask; ; i = (i + 1) & mask {
		if s := &t.slots[i]; s.key == k || s.key == 0 {
			return s
		}
	}
}

// insert adds k, which is not in the table, and returns its slot. When the
// table is three-quarters full, or holds maxKeys, it is rebuilt first: entries whose buckets
// are full again at now are dropped, since forgetting them changes nothing,
// and if more than maxKeys remain, arbitrary ones are dropped too; the new
// table is twice the size of what is kept, so rebuilding costs amortized
// O(1) per insertion and the table shrinks again when clients go idle.
func (t *memTable) insert(k memKey, now int64, maxKeys int) *memSlot {
	if 4*(t.n+1) > 3*len(t.slots) || t.n >= maxKeys {
		t.rebuild(now, maxKeys)
	}
	s := t.find(k)
	s.key = k
	t.n++
	return s
}

func (t *memTable) rebuild(now int64, maxKeys int) {
	old := t.slots
	live := 0
	for i := range old {
		if old[i].key != 0 && old[i].e.expiry() > now {
			live++
		}
	}
	keep := live
	if keep >= maxKeys {
		// Evict down to seven eighths of the bound; table order follows
		// the keyed hash, so which clients are forgiven is arbitrary.
		keep = maxKeys - max(1, maxKeys/8)
	}
	size := minSlots
	for size < 2*(keep+1) {
		size *= 2
	}
	t.init(size)
	for i := range old {
		if t.n == keep {
			break
		}
		if o := &old[i]; o.key != 0 && o.e.expiry() > now {
			s := t.find(o.key)
			*s = *o
			t.n++
		}
	}
}
