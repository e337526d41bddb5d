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
	// forgives their recent use. If zero, DefaultMaxKeys (about 100 MB at
	// most). Must not be negative.
	MaxKeys int
}

// A MemoryStore keeps GCRA state in the process: exact for one instance,
// and the default store of a [Limiter]. Each decision is one map lookup
// under one of 64 shard locks, with no allocation once a key exists. Keys
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

// memEntry holds one key's theoretical arrival times, one per policy, in
// microseconds since the store's base time.
type memEntry struct{ tat [MaxPolicies]int64 }

func (e *memEntry) expiry() int64 { return max(e.tat[0], e.tat[1], e.tat[2], e.tat[3]) }

type memShard struct {
	mu sync.Mutex
	t  memTable
	_  [64]byte // keep shards' locks on separate cache lines
}

// NewMemoryStore returns an empty memory store.
func NewMemoryStore(cfg MemoryConfig) (*MemoryStore, error) {
	if cfg.MaxKeys < 0 {
		return nil, fmt.Errorf("%w: MemoryConfig.MaxKeys %d is negative", ErrInvalidConfig, cfg.MaxKeys)
	}
	if cfg.MaxKeys == 0 {
		cfg.MaxKeys = DefaultMaxKeys
	}
	s := &MemoryStore{seed: maphash.MakeSeed(), base: time.Now(), maxShard: max(1, (cfg.MaxKeys+memShards-1)/memShards)}
	for i := range s.shards {
		s.shards[i].t.init(minSlots)
	}
	return s, nil
}

// now is the store's clock: microseconds since its creation, plus one so
// that 0 can mean "no state". It is monotonic.
func (s *MemoryStore) now() int64 { return time.Since(s.base).Microseconds() + 1 }

// Take implements [Store]. It never fails.
func (s *MemoryStore) Take(_ context.Context, req *Request, d *Decision) error {
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
	slot := sh.t.find(k)
	e := slot.e
	if slot.key == 0 {
		e = memEntry{}
	}
	if gcra(now, int64(req.Cost), req.Policies, e.tat[:len(req.Policies)], d) && req.Cost > 0 {
		if slot.key == 0 {
			slot = sh.t.insert(k, now, s.maxShard)
		}
		slot.e = e
	}
	sh.mu.Unlock()
}

// Len returns the number of keys held, expired or not.
func (s *MemoryStore) Len() int {
	n := 0
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		n += sh.t.n
		sh.mu.Unlock()
	}
	return n
}
