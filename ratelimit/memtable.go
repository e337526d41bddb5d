package ratelimit

// minSlots is a table's smallest size.
const minSlots = 64

// memTable is an open-addressing hash table of GCRA state with linear
// probing, for keys that all have the same number of policies. A slot is w
// consecutive words: the key, then one theoretical arrival time per policy.
// So a one-policy slot is 16 bytes and never straddles a cache line, and a
// decision on a key that is not in the cache waits for one line. The key is
// already a keyed hash, so its low bits index the table directly, and a
// decision finds and updates its slot with one probe sequence, where a Go
// map would hash the key twice, for the read and for the write.
//
// Key 0 marks an empty slot, and the arrival times of an empty slot are 0
// ("no state"): slots are never emptied one by one, only by a rebuild.
type memTable struct {
	w     int     // words per slot: the key and one arrival time per policy
	mask  uint64  // slots − 1; the number of slots is a power of two
	words []int64 // the slots, w words each
	n     int     // keys held
}

func (t *memTable) init(w, slots int) {
	t.w = w
	t.mask = uint64(slots - 1)
	t.words = make([]int64, w*slots)
	t.n = 0
}

func (t *memTable) slots() int { return int(t.mask) + 1 }

// find returns the index of the first word of the slot holding k, or of the
// empty slot where k would go. The table is never full, so the probe ends.
func (t *memTable) find(k memKey) int {
	for i := uint64(k) & t.mask; ; i = (i + 1) & t.mask {
		j := int(i) * t.w
		if key := memKey(t.words[j]); key == k || key == 0 {
			return j
		}
	}
}

// expiry is when a slot holding arrival times tats holds nothing worth
// keeping: when its latest arrival time has passed, every bucket is full
// again.
func expiry(tats []int64) int64 {
	var e int64
	for _, tat := range tats {
		e = max(e, tat)
	}
	return e
}

// scan counts the keys of t whose buckets are full again at now, and adds
// to h how far in the future every other key's are.
func (t *memTable) scan(now int64, h *expiryHist) (expired int) {
	w := t.w
	for j := 0; j < len(t.words); j += w {
		if t.words[j] == 0 {
			continue
		}
		if e := expiry(t.words[j+1 : j+w]); e > now {
			h.add(e - now)
		} else {
			expired++
		}
	}
	return expired
}

// rebuild moves the keys into a new table, dropping those whose buckets are
// full again at now: forgetting them loses nothing, since a key the store
// does not hold starts with a full bucket too. Every other key is kept,
// since forgetting it would forgive its client. The new table is at least
// twice the size of what it keeps, so rebuilds cost amortized O(1) per
// insertion and the table shrinks again when clients go idle. It returns
// how many keys were dropped.
func (t *memTable) rebuild(now int64) int {
	old, w, n := t.words, t.w, t.n
	live := 0
	for j := 0; j < len(old); j += w {
		if old[j] != 0 && expiry(old[j+1:j+w]) > now {
			live++
		}
	}
	size := minSlots
	for size < 2*(live+1) {
		size *= 2
	}
	t.init(w, size)
	for j := 0; j < len(old); j += w {
		if old[j] != 0 && expiry(old[j+1:j+w]) > now {
			copy(t.words[t.find(memKey(old[j])):], old[j:j+w])
			t.n++
		}
	}
	return n - t.n
}
