package auth

import (
	"testing"
	"time"
)

// TestTokenCacheBounded: however many distinct tokens arrive, the cache
// never holds more than its bound, and expired entries go first.
func TestTokenCacheBounded(t *testing.T) {
	t.Parallel()
	c := newTokenCache(8)
	now := time.Now()
	live := &cacheEntry{exp: now.Add(time.Hour)}
	dead := &cacheEntry{exp: now.Add(-time.Hour)}
	for i := range 100 {
		k := hashToken(string(rune('a' + i)))
		e := live
		if i%2 == 1 {
			e = dead
		}
		c.put(&k, e)
		if n := len(c.m); n > 8 {
			t.Fatalf("after %d puts the cache holds %d entries, bound 8", i+1, n)
		}
	}
	c = newTokenCache(4)
	for i := range 4 {
		k := hashToken(string(rune('A' + i)))
		e := live
		if i == 0 {
			e = dead
		}
		c.put(&k, e)
	}
	k := hashToken("new")
	c.put(&k, live)
	for _, e := range c.m {
		if e == dead {
			t.Error("an expired entry survived eviction while live ones were kept")
		}
	}
	if _, ok := c.m[k]; !ok {
		t.Error("the new entry was not stored")
	}
}
