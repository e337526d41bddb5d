package auth

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"math"
	"math/bits"
	"sync"
	"time"

	"go.opentelemetry.io/otel/metric"
)

// DefaultReplayCacheEntries bounds a [MemoryReplayCache] whose
// MaxEntries is zero: about 16 MiB when full.
const DefaultReplayCacheEntries = 1 << 18

// ErrReplayCacheFull is returned by [MemoryReplayCache.Remember] for a new
// key when the cache is full of unexpired keys. The caller refuses
// the use: making room by dropping an unexpired key would let that key be
// used again.
var ErrReplayCacheFull = errors.New("auth: replay cache full")

// MemoryReplayConfig configures a [MemoryReplayCache]. Its zero value is
// a valid configuration.
type MemoryReplayConfig struct {
	// MaxEntries bounds how many keys the cache holds. It is split evenly
	// between the cache's shards, and a new key is refused with
	// ErrReplayCacheFull when its shard holds its share in unexpired keys;
	// keys spread evenly by their hash, so this starts within a few
	// percent of MaxEntries in all. Zero means
	// DefaultReplayCacheEntries (262144, about 16 MiB when full); negative
	// is refused. Size it as the rate of uses times how long each is
	// remembered: 1000 DPoP proofs a second, each remembered for its
	// acceptance window of a few minutes, need a few hundred thousand.
	MaxEntries int
	// MeterProvider receives the cache's replays, refusals and size (see
	// the package documentation, Monitoring). Nil means the global provider
	// of go.opentelemetry.io/otel when NewMemoryReplayCache runs.
	MeterProvider metric.MeterProvider
}

// A MemoryReplayCache is a [ReplayCache] in this process's memory. It is
// exact within the process and knows nothing of other instances: behind a
// load balancer, use a shared cache (auth/redisstore) instead.
//
// Keys are stored as 128 bits of their SHA-256, so an entry takes the
// same space whatever the key, in one of up to 64 shards, each with its own
// lock. Each shard keeps its entries in expiry order too, and every
// Remember first drops a few expired entries of its shard (all of them when
// the shard is full), so memory follows the number of unexpired keys
// without a background goroutine: there is nothing to close.
//
// A MemoryReplayCache is safe for concurrent use.
type MemoryReplayCache struct {
	shards  []replayShard
	mask    uint64
	metrics replayMetrics
}

// replayID is the stored form of a key: 128 bits of its SHA-256. A
// collision would refuse a use as a replay; finding a key that collides
// with someone else's takes about 2^128 work.
type replayID [16]byte

type replayItem struct {
	exp int64 // Unix nanoseconds
	id  replayID
}

type replayShard struct {
	mu  sync.Mutex
	m   map[replayID]int64 // expiry in Unix nanoseconds
	q   []replayItem       // a min-heap on exp; may hold stale items, see expire
	max int
	_   [64]byte // keeps neighbouring shards' locks off one cache line
}

// NewMemoryReplayCache returns an empty cache. Errors wrap
// [ErrInvalidConfig].
func NewMemoryReplayCache(cfg MemoryReplayConfig) (*MemoryReplayCache, error) {
	n := cfg.MaxEntries
	switch {
	case n == 0:
		n = DefaultReplayCacheEntries
	case n < 0:
		return nil, configErr("MemoryReplayConfig.MaxEntries must not be negative")
	}
	// One shard per 1024 entries, a power of two up to 64: enough to keep
	// two cores' worth of callers off each other's locks, and shards
	// large enough that the per-shard bound is close to the total.
	shards := 1
	if k := n / 1024; k > 1 {
		shards = 1 << min(6, bits.Len(uint(k))-1)
	}
	c := &MemoryReplayCache{shards: make([]replayShard, shards), mask: uint64(shards - 1)}
	for i := range c.shards {
		sh := &c.shards[i]
		sh.max = n / shards
		if i < n%shards {
			sh.max++
		}
		sh.m = make(map[replayID]int64)
	}
	c.metrics = newReplayMetrics(cfg.MeterProvider, c)
	return c, nil
}

// Remember implements [ReplayCache]. It never blocks on anything but its
// shard's lock, and ignores ctx. A new key whose shard is full of
// unexpired keys is refused with [ErrReplayCacheFull].
func (c *MemoryReplayCache) Remember(_ context.Context, key string, exp time.Time) (bool, error) {
	sum := sha256.Sum256(bytesOf(key))
	id := replayID(sum[:16])
	sh := &c.shards[binary.LittleEndian.Uint64(sum[16:24])&c.mask]
	now := time.Now().UnixNano()
	e := unixNano(exp)

	sh.mu.Lock()
	sh.expire(now, 2)
	old, ok := sh.m[id]
	switch {
	case ok && old > now:
		sh.mu.Unlock()
		c.metrics.replays.Inc(0)
		return false, nil
	case e <= now:
		// Nothing to remember: the caller no longer accepts the use.
		sh.mu.Unlock()
		return true, nil
	case !ok && len(sh.m) >= sh.max:
		sh.expire(now, len(sh.q))
		if len(sh.m) >= sh.max {
			sh.mu.Unlock()
			c.metrics.errors.Inc(0)
			return false, ErrReplayCacheFull
		}
	}
	sh.m[id] = e
	sh.push(replayItem{exp: e, id: id})
	sh.mu.Unlock()
	return true, nil
}

// Len returns the number of keys held, expired ones not yet dropped
// included.
func (c *MemoryReplayCache) Len() int {
	n := 0
	for i := range c.shards {
		sh := &c.shards[i]
		sh.mu.Lock()
		n += len(sh.m)
		sh.mu.Unlock()
	}
	return n
}

// unixNano is t in Unix nanoseconds, clamped to int64: times past 2262
// (a token may say 9999) are the largest value, times before 1678 and the
// zero time the smallest.
func unixNano(t time.Time) int64 {
	const maxSec = math.MaxInt64 / int64(time.Second)
	switch s := t.Unix(); {
	case s >= maxSec:
		return math.MaxInt64
	case s <= -maxSec:
		return math.MinInt64
	}
	return t.UnixNano()
}

// expire drops up to limit entries whose expiry is at or before now, in
// expiry order. A heap item whose key was remembered again with another
// expiry is stale: it is dropped without touching the map.
func (sh *replayShard) expire(now int64, limit int) {
	for ; limit > 0 && len(sh.q) > 0 && sh.q[0].exp <= now; limit-- {
		it := sh.pop()
		if e, ok := sh.m[it.id]; ok && e == it.exp {
			delete(sh.m, it.id)
		}
	}
}

// push and pop keep q a binary min-heap on exp, without container/heap's
// interface conversions, which would allocate per entry.
func (sh *replayShard) push(it replayItem) {
	sh.q = append(sh.q, it)
	q := sh.q
	for i := len(q) - 1; i > 0; {
		p := (i - 1) / 2
		if q[p].exp <= q[i].exp {
			break
		}
		q[p], q[i] = q[i], q[p]
		i = p
	}
}

func (sh *replayShard) pop() replayItem {
	q := sh.q
	top := q[0]
	last := len(q) - 1
	q[0] = q[last]
	q = q[:last]
	for i := 0; ; {
		l, r, m := 2*i+1, 2*i+2, i
		if l < len(q) && q[l].exp < q[m].exp {
			m = l
		}
		if r < len(q) && q[r].exp < q[m].exp {
			m = r
		}
		if m == i {
			break
		}
		q[i], q[m] = q[m], q[i]
		i = m
	}
	sh.q = q
	if cap(q) > 1024 && len(q) < cap(q)/4 {
		sh.q = append([]replayItem(nil), q...) // give back what a burst grew
	}
	return top
}
