package auth

import (
	"sync"
	"time"
)

// An answer is the outcome of one introspection: a principal, or the
// error that refused the token. until is when a cached answer stops
// being reused.
type answer struct {
	p     *Principal
	err   error
	until time.Time
}

// An answerCache holds answers by the SHA-256 of their token (never the
// token itself), up to max entries. It is safe for concurrent use.
type answerCache struct {
	mu  sync.RWMutex
	m   map[cacheKey]*answer
	max int
}

func newAnswerCache(max int) *answerCache {
	return &answerCache{m: make(map[cacheKey]*answer, min(max, 1024)), max: max}
}

// get returns the answer for k if it is still to be reused at now. An
// outlived answer is dropped.
func (c *answerCache) get(k *cacheKey, now time.Time) (*answer, bool) {
	c.mu.RLock()
	a := c.m[*k]
	c.mu.RUnlock()
	if a == nil {
		return nil, false
	}
	if !now.Before(a.until) {
		c.mu.Lock()
		if c.m[*k] == a {
			delete(c.m, *k)
		}
		c.mu.Unlock()
		return nil, false
	}
	return a, true
}

// put adds a. When the cache is full it drops the outlived answers and
// then arbitrary ones (map order is random) down to 7/8 of the bound, as
// the verified-token cache does.
func (c *answerCache) put(k *cacheKey, a *answer, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[*k]; !ok && len(c.m) >= c.max {
		makeRoom(c.m, c.max, func(old *answer) bool { return !now.Before(old.until) })
	}
	c.m[*k] = a
}

// len returns the number of entries, for tests.
func (c *answerCache) len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.m)
}

// cached returns the reusable answer for k, counting the lookup.
func (in *Introspection) cached(k *cacheKey, now time.Time) (*answer, bool) {
	if in.active == nil && in.gone == nil {
		return nil, false
	}
	a, ok := in.peek(k, now)
	switch {
	case !ok:
		in.metrics.looked(lookupMiss)
	case a.err == nil:
		in.metrics.looked(lookupHit)
	default:
		in.metrics.looked(lookupNegativeHit)
	}
	return a, ok
}

// peek is cached without counting.
func (in *Introspection) peek(k *cacheKey, now time.Time) (*answer, bool) {
	if in.active != nil {
		if a, ok := in.active.get(k, now); ok {
			return a, true
		}
	}
	if in.gone != nil {
		if a, ok := in.gone.get(k, now); ok {
			return a, true
		}
	}
	return nil, false
}

// store caches a fresh answer: an active token's until its exp or for
// the cache TTL, whichever is sooner; a refusal for the negative TTL; a
// failure to introspect not at all.
func (in *Introspection) store(k *cacheKey, a *answer, now time.Time) {
	switch {
	case a.err == nil && in.active != nil:
		a.until = now.Add(in.ttl)
		if exp := a.p.Expiry; !exp.IsZero() && exp.Before(a.until) {
			a.until = exp
		}
		if now.Before(a.until) {
			in.active.put(k, a, now)
		}
	case a.err != nil && in.gone != nil && !isUnavailable(a.err):
		a.until = now.Add(in.negTTL)
		in.gone.put(k, a, now)
	}
}
