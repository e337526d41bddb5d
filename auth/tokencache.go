package auth

import (
	"crypto/sha256"
	"sync"
	"time"
)

// DefaultCacheSize is the verified-token cache's default bound, in tokens.
const DefaultCacheSize = 10000

type cacheKey [sha256.Size]byte

func hashToken(token string) cacheKey { return sha256.Sum256(bytesOf(token)) }

// A cacheEntry is a verified token's outcome and what must be checked again
// on every hit: its times, and that its key is still in the set (by key
// material, see keyID, so a refresh with the same keys keeps the entry).
type cacheEntry struct {
	p             *Principal
	key           *verifyKey
	exp, nbf, iat time.Time
}

// A tokenCache remembers verified tokens by the SHA-256 of the token, so
// the cache holds no token, and a hit costs a hash and a map lookup instead
// of a signature verification.
type tokenCache struct {
	mu  sync.RWMutex
	m   map[cacheKey]*cacheEntry
	max int
}

func newTokenCache(max int) *tokenCache {
	return &tokenCache{m: make(map[cacheKey]*cacheEntry, min(max, 1024)), max: max}
}

// get answers from the cache. ok is false on a miss, or when the entry's
// key has left the set (the entry is then dropped and the token verified
// again, which refuses it).
func (c *tokenCache) get(k *cacheKey, j *JWT, set *keySet, now time.Time) (*Principal, error, bool) {
	c.mu.RLock()
	e := c.m[*k]
	c.mu.RUnlock()
	if e == nil {
		return nil, nil, false
	}
	if !set.contains(e.key) {
		c.mu.Lock()
		delete(c.m, *k)
		c.mu.Unlock()
		return nil, nil, false
	}
	if err := j.checkTimes(e, now); err != nil {
		return nil, err, true
	}
	return e.p, nil, true
}

// put adds an entry. When the cache is full it drops the expired entries
// and then arbitrary ones (map order is random) down to 7/8 of the bound,
// so the cache stays bounded and the sweep's cost is spread over many puts.
func (c *tokenCache) put(k *cacheKey, e *cacheEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= c.max {
		now := time.Now()
		makeRoom(c.m, c.max, func(old *cacheEntry) bool { return now.After(old.exp.Add(MaxLeeway)) })
	}
	c.m[*k] = e
}

// makeRoom empties part of a full cache of at most limit entries: the
// entries expired reports, then arbitrary ones (map order is random) down
// to 7/8 of limit, so a cache stays bounded and the sweep's cost is spread
// over many puts.
func makeRoom[V any](m map[cacheKey]V, limit int, expired func(V) bool) {
	for key, v := range m {
		if expired(v) {
			delete(m, key)
		}
	}
	for key := range m {
		if len(m) <= limit-max(limit/8, 1) {
			break
		}
		delete(m, key)
	}
}
