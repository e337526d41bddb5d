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
	// MaxKeys bounds the number of keys held. Keys whose buckets have
	// refilled completely are dropped first, since forgetting them changes
	// nothing; if the store is still full, arbitrary keys are dropped, which
	// forgives their recent use. A key takes 8 bytes plus 8 per policy,
	// in tables kept between three-eighths and three-quarters full: a
	// million one-policy keys take 32 MB. If zero, DefaultMaxKeys (at most
	// about 45 MB for one-policy limiters, 110 MB for four). Must not be
	// negative.
	MaxKeys int
}

// A MemoryStore keeps GCRA state in the process: exact for one instance,
// and the default store of a [Limiter]. Each decision is one hash-table
// lookup under one of 64 shard locks, with no allocation once a key exists,
// and a key's state lies in one cache line. Keys
// expire as soon as their buckets are full again, so memory follows the
// number of recently active clients, bounded by MaxKeys.
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
	n  int                   // keys held by all tables
	t  [MaxPolicies]memTable // by number of policies, so slots are no wider than needed
	_  [64]byte              // keep shards' locks on separate cache lines
}

// insert adds k, which is not in t, to the shard and returns the index of
// its slot in t; w is t's slot width. When the shard holds maxKeys, every
// table first drops the keys whose buckets are full again, and if that is
// not enough, arbitrary keys go until the shard holds seven eighths of
// maxKeys. A table three-quarters full is rebuilt twice as large.
func (sh *memShard) insert(t *memTable, w int, k memKey, now int64, maxKeys int) int {
	if sh.n >= maxKeys {
		sh.sweep(now, maxKeys)
	}
	if t.words == nil {
		t.init(w, minSlots)
	} else if 4*(t.n+1) > 3*t.slots() {
		sh.n -= t.rebuild(now, t.n)
	}
	j := t.find(k)
	t.words[j] = int64(k)
	t.n++
	sh.n++
	return j
}

func (sh *memShard) sweep(now int64, maxKeys int) {
	for i := range sh.t {
		if t := &sh.t[i]; t.n > 0 {
			sh.n -= t.rebuild(now, t.n)
		}
	}
	if sh.n < maxKeys {
		return
	}
	target := maxKeys - max(1, maxKeys/8)
	for sh.n > target {
		big := &sh.t[0]
		for i := range sh.t {
			if sh.t[i].n > big.n {
				big = &sh.t[i]
			}
		}
		sh.n -= big.rebuild(now, max(0, big.n-(sh.n-target)))
	}
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
	s.take(req, d)
	return nil
}

func (s *MemoryStore) take(req *Request, d *Decision) {
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
			return
		}
	}
	var tats [MaxPolicies]int64
	if gcra(now, int64(req.Cost), req.Policies, tats[:n], d) && req.Cost > 0 {
		j := sh.insert(t, 1+n, k, now, s.maxShard)
		copy(t.words[j+1:j+1+n], tats[:n])
	}
	sh.mu.Unlock()
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
