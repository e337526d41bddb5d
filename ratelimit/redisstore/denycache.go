package redisstore

import (
	"hash/maphash"
	"sync"
	"time"

	"github.com/apishield/apishield/ratelimit"
)

const denyShards = 16

// denyCache remembers recent denials so that a key that was just refused is
// refused again locally, without a round trip, until its retry time. A
// denial for cost c stays a denial for any cost >= c until then, whatever
// other instances do, since they can only consume more.
type denyCache struct {
	seed     maphash.Seed
	base     time.Time
	perShard int
	shards   [denyShards]denyShard
}

type denyShard struct {
	mu sync.Mutex
	m  map[string]denyEntry
}

type denyEntry struct {
	at, until int64 // nanoseconds since base
	cost      int
	d         ratelimit.Decision
}

func newDenyCache(n int) *denyCache {
	c := &denyCache{seed: maphash.MakeSeed(), base: time.Now(), perShard: max(1, n/denyShards)}
	for i := range c.shards {
		c.shards[i].m = make(map[string]denyEntry)
	}
	return c
}

func (c *denyCache) now() int64 { return int64(time.Since(c.base)) }

// lookup fills d with a cached denial of id for cost, aged to now: every
// wait is shortened by the time since, and each policy's remaining units
// are what its aged state admits.
func (c *denyCache) lookup(id string, cost int, d *ratelimit.Decision) bool {
	sh := &c.shards[maphash.String(c.seed, id)%denyShards]
	sh.mu.Lock()
	e, ok := sh.m[id]
	sh.mu.Unlock()
	if !ok || cost < e.cost || cost == 0 {
		return false
	}
	now := c.now()
	if now >= e.until {
		return false
	}
	elapsed := time.Duration(now - e.at)
	*d = e.d
	d.RetryAfter -= elapsed
	for i := range d.Len() {
		r := d.Result(i)
		r.Reset = max(0, r.Reset-elapsed)
		r.RetryAfter = max(0, r.RetryAfter-elapsed)
		if iv := r.Policy.Interval(); iv > 0 {
			r.Remaining = int(max(0, r.Policy.Tolerance()-r.Reset) / iv)
		}
		d.SetResult(i, r)
	}
	return true
}

// add remembers a denial of id for cost.
func (c *denyCache) add(id string, cost int, d *ratelimit.Decision) {
	if cost == 0 || d.RetryAfter <= 0 {
		return
	}
	now := c.now()
	e := denyEntry{at: now, until: now + int64(d.RetryAfter), cost: cost, d: *d}
	sh := &c.shards[maphash.String(c.seed, id)%denyShards]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if old, ok := sh.m[id]; ok && old.until > now && old.cost < cost {
		return // keep the denial that covers more costs
	}
	if len(sh.m) >= c.perShard {
		for k, v := range sh.m {
			if v.until <= now {
				delete(sh.m, k)
			}
		}
		for k := range sh.m {
			if len(sh.m) < c.perShard {
				break
			}
			delete(sh.m, k) // only an optimization is lost
		}
	}
	sh.m[id] = e
}
