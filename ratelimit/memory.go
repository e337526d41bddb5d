package ratelimit

import (
	"context"
	"fmt"
	"hash/maphash"
	"math/bits"
	"sync"
	"time"
)

// DefaultMaxKeys is the number of keys a memory store holds when
// MemoryConfig.MaxKeys is zero.
const DefaultMaxKeys = 1 << 20

const memShards = 64

// MemoryConfig configures a memory store. The zero value is valid.
type MemoryConfig struct {
	// MaxKeys bounds the number of keys held, a 64th of it in each of the
	// store's 64 shards (so a shard can fill up a little before the store
	// holds MaxKeys in all). When a shard is full, the keys whose buckets
	// have refilled completely are dropped, since forgetting them changes
	// nothing. A key that still owes time is never dropped: other clients'
	// traffic must not give it its budget back. So when a shard is full of
	// such keys, a new key that would be admitted is refused instead
	// (ErrStoreFull: 503 overloaded from the handler, Retry-After when a
	// sixteenth of the shard's keys will have refilled); known keys are
	// decided as always.
	//
	// A key takes 8 bytes plus 8 per policy, in tables kept between
	// three-eighths and three-quarters full: a million one-policy keys take
	// 32 MB. If zero, DefaultMaxKeys (at most about 45 MB for one-policy
	// limiters, 110 MB for four). Must not be negative.
	MaxKeys int
}

// A MemoryStore keeps GCRA state in the process: exact for one instance,
// and the default store of a [Limiter]. Each decision is one hash-table
// lookup under one of 64 shard locks, with no allocation once a key exists,
// and a key's state lies in one cache line. Keys
// expire as soon as their buckets are full again, so memory follows the
// number of recently active clients, bounded by MaxKeys. A store full of
// clients that still owe time refuses new ones ([ErrStoreFull]) rather than
// forget any.
//
// A MemoryStore is safe for concurrent use.
type MemoryStore struct {
	seed     maphash.Seed
	base     time.Time
	maxShard int
	shards   [memShards]memShard
}

// memKey is a 64-bit keyed hash of a namespace and key. Holding the hash
// instead of the strings keeps raw identities out of the heap, halves the
// memory per key and gives the garbage collector no pointers to scan. Two
// keys share state only if their hashes collide, with probability about
// n²/2⁶⁵ for n keys under a per-store random seed an attacker cannot
// learn: for a million keys, about 3 in 100 million.
type memKey uint64

type memShard struct {
	mu sync.Mutex
	n  int // keys held by all tables
	// freeAt is, once the shard has been found full, when a sweep will
	// find room again: until then a new key is refused without one.
	freeAt int64
	t      [MaxPolicies]memTable // by number of policies, so slots are no wider than needed
	_      [64]byte              // keep shards' locks on separate cache lines
}

// insert adds k, which is not in t, to the shard and returns the index of
// its slot in t; w is t's slot width. A table three-quarters full is
// rebuilt twice as large.
//
// When the shard holds maxKeys, only keys whose buckets are full again may
// go: a key that still owes time is never dropped, since that would give
// its client its budget back. If none can, insert returns -1 and how long
// until a sweep will find room, in microseconds.
func (sh *memShard) insert(t *memTable, w int, k memKey, now int64, maxKeys int) (int, int64) {
	if sh.n >= maxKeys {
		if now < sh.freeAt {
			return -1, sh.freeAt - now
		}
		sh.sweep(now, maxKeys)
		if sh.n >= maxKeys {
			return -1, sh.freeAt - now
		}
	}
	if t.words == nil {
		t.init(w, minSlots)
	} else if 4*(t.n+1) > 3*t.slots() {
		sh.n -= t.rebuild(now)
	}
	j := t.find(k)
	t.words[j] = int64(k)
	t.n++
	sh.n++
	return j, 0
}

// sweep drops the keys whose buckets are full again. A sweep costs a scan
// of the shard, so it must pay for itself: if it freed fewer than a
// sixteenth of maxKeys, it sets freeAt to when that many will have been
// freed, and until then a full shard refuses new keys without sweeping
// again. A flood of new keys against a full shard so costs a scan per
// sixteenth of the shard that frees up, not one per request, and its
// clients wait for no more than that.
func (sh *memShard) sweep(now int64, maxKeys int) {
	k := max(1, maxKeys/16)
	var h expiryHist
	freed := 0
	for i := range sh.t {
		if t := &sh.t[i]; t.n > 0 && t.scan(now, &h) > 0 {
			freed += t.rebuild(now)
		}
	}
	sh.n -= freed
	sh.freeAt = 0
	if freed >= k || !h.refine(k-freed) {
		return
	}
	for i := range sh.t {
		if t := &sh.t[i]; t.n > 0 {
			t.scan(now, &h)
		}
	}
	sh.freeAt = now + h.within()
}

// NewMemoryStore returns an empty memory store.
func NewMemoryStore(cfg MemoryConfig) (*MemoryStore, error) {
	if cfg.MaxKeys < 0 {
		return nil, fmt.Errorf("%w: MemoryConfig.MaxKeys %d is negative", ErrInvalidConfig, cfg.MaxKeys)
	}
	if cfg.MaxKeys == 0 {
		cfg.MaxKeys = DefaultMaxKeys
	}
	return &MemoryStore{seed: maphash.MakeSeed(), base: time.Now(), maxShard: max(1, (cfg.MaxKeys+memShards-1)/memShards)}, nil
}

// now is the store's clock: microseconds since its creation, plus one so
// that 0 can mean "no state". It is monotonic.
func (s *MemoryStore) now() int64 { return time.Since(s.base).Microseconds() + 1 }

// Take implements [Store]. It fails only for a request no [Limiter] makes:
// a negative cost (ErrInvalidCost) or no policies or more than MaxPolicies
// (ErrInvalidConfig).
func (s *MemoryStore) Take(_ context.Context, req *Request, d *Decision) error {
	if err := req.check(); err != nil {
		return err
	}
	return s.take(req, d)
}

// take decides req into d. It returns ErrStoreFull, with d a denial whose
// RetryAfter is when room is expected, when req's key is new and would be
// admitted but its shard holds MaxKeys keys that all still owe time.
func (s *MemoryStore) take(req *Request, d *Decision) error {
	// Two seeded hashes, combined so that swapping namespace and key, or
	// equal ones, do not cancel out.
	k := memKey(maphash.String(s.seed, req.Key) ^ bits.RotateLeft64(maphash.String(s.seed, req.Namespace), 29)*0x9e3779b97f4a7c15)
	if k == 0 {
		k = 1 // 0 marks an empty slot
	}
	sh := &s.shards[k>>58]
	// Read the clock before locking: a reading older than another
	// goroutine's only makes the decision stricter, never looser.
	now := s.now()
	sh.mu.Lock()
	n := len(req.Policies)
	t := &sh.t[n-1]
	if t.words != nil {
		if j := t.find(k); memKey(t.words[j]) == k {
			// Decide in place: gcra changes the arrival times only
			// when it admits the cost.
			gcra(now, int64(req.Cost), req.Policies, t.words[j+1:j+1+n], d)
			sh.mu.Unlock()
			return nil
		}
	}
	var tats [MaxPolicies]int64
	if gcra(now, int64(req.Cost), req.Policies, tats[:n], d) && req.Cost > 0 {
		j, wait := sh.insert(t, 1+n, k, now, s.maxShard)
		if j < 0 {
			sh.mu.Unlock()
			*d = Decision{RetryAfter: usec(wait)}
			return ErrStoreFull
		}
		copy(t.words[j+1:j+1+n], tats[:n])
	}
	sh.mu.Unlock()
	return nil
}

// Len returns the number of keys held, expired or not.
func (s *MemoryStore) Len() int {
	n := 0
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		n += sh.n
		sh.mu.Unlock()
	}
	return n
}
