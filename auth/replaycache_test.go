package auth_test

import (
	"context"
	"errors"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"go.opentelemetry.io/otel/attribute"

	"github.com/apishield/apishield/auth"
	"github.com/apishield/apishield/internal/telemetry/telemetrytest"
)

func newMemoryReplay(t testing.TB, max int) *auth.MemoryReplayCache {
	t.Helper()
	c, err := auth.NewMemoryReplayCache(auth.MemoryReplayConfig{MaxEntries: max})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestMemoryReplayCacheConcurrent: many goroutines remembering one key at
// once see exactly one fresh answer, for each of many keys.
func TestMemoryReplayCacheConcurrent(t *testing.T) {
	t.Parallel()
	c := newMemoryReplay(t, 0)
	exp := time.Now().Add(time.Hour)
	for k := range 50 {
		key := "jti-" + strconv.Itoa(k)
		var fresh, errs atomic.Int64
		var wg sync.WaitGroup
		start := make(chan struct{})
		for range 32 {
			wg.Go(func() {
				<-start
				ok, err := c.Remember(context.Background(), key, exp)
				if err != nil {
					errs.Add(1)
				}
				if ok {
					fresh.Add(1)
				}
			})
		}
		close(start)
		wg.Wait()
		if fresh.Load() != 1 || errs.Load() != 0 {
			t.Fatalf("key %s: %d fresh answers and %d errors of 32, want exactly 1 fresh", key, fresh.Load(), errs.Load())
		}
	}
}

// TestMemoryReplayCacheExpiry runs on synctest's clock: a key is a replay
// until exp, and new again after it.
func TestMemoryReplayCacheExpiry(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		c := newMemoryReplay(t, 0)
		ctx := context.Background()
		remember := func(key string, exp time.Time) bool {
			t.Helper()
			fresh, err := c.Remember(ctx, key, exp)
			if err != nil {
				t.Fatal(err)
			}
			return fresh
		}
		exp := time.Now().Add(time.Minute)
		if !remember("a", exp) {
			t.Fatal("a new key is a replay")
		}
		if remember("a", exp) {
			t.Fatal("a second use is fresh")
		}
		if !remember("b", exp) {
			t.Fatal("another key is a replay")
		}
		time.Sleep(time.Minute - time.Nanosecond)
		if remember("a", exp) {
			t.Fatal("a key was forgotten before exp")
		}
		time.Sleep(time.Nanosecond)
		if !remember("a", time.Now().Add(time.Minute)) {
			t.Fatal("a key was still a replay at exp")
		}
		if remember("a", time.Now().Add(time.Hour)) {
			t.Fatal("a key remembered again is fresh")
		}
		// An exp already past records nothing, but a live record still
		// makes the key a replay.
		n := c.Len()
		if !remember("past", time.Now().Add(-time.Second)) || !remember("past", time.Now()) || c.Len() != n {
			t.Errorf("a key whose exp has passed: want fresh every time and not stored (len %d, was %d)", c.Len(), n)
		}
		if remember("a", time.Now().Add(-time.Second)) {
			t.Error("a live key was fresh when asked with an exp already past")
		}
		// Far-future and zero times do not overflow into the past.
		if !remember("far", time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)) || remember("far", time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)) {
			t.Error("a key expiring in 9999 was not remembered")
		}
		first := remember("zero", time.Time{})
		if second := remember("zero", time.Time{}); !first || !second {
			t.Error("a key with the zero exp was remembered")
		}
	})
}

// TestMemoryReplayCacheFull: a full cache refuses new keys rather than
// forgetting live ones, keeps answering replays, and takes new keys again
// once old ones expire.
func TestMemoryReplayCacheFull(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		c := newMemoryReplay(t, 3)
		ctx := context.Background()
		short, long := time.Now().Add(time.Second), time.Now().Add(time.Hour)
		for i, exp := range []time.Time{short, short, long} {
			if fresh, err := c.Remember(ctx, "k"+strconv.Itoa(i), exp); !fresh || err != nil {
				t.Fatalf("k%d: fresh=%v err=%v", i, fresh, err)
			}
		}
		fresh, err := c.Remember(ctx, "k3", long)
		if fresh || !errors.Is(err, auth.ErrReplayCacheFull) {
			t.Fatalf("a new key in a full cache: fresh=%v err=%v, want ErrReplayCacheFull", fresh, err)
		}
		for i := range 3 {
			if fresh, err := c.Remember(ctx, "k"+strconv.Itoa(i), long); fresh || err != nil {
				t.Fatalf("k%d again in a full cache: fresh=%v err=%v, want a replay", i, fresh, err)
			}
		}
		time.Sleep(time.Second)
		for _, k := range []string{"k3", "k4"} {
			if fresh, err := c.Remember(ctx, k, long); !fresh || err != nil {
				t.Fatalf("%s after two keys expired: fresh=%v err=%v", k, fresh, err)
			}
		}
		if fresh, err := c.Remember(ctx, "k5", long); fresh || !errors.Is(err, auth.ErrReplayCacheFull) {
			t.Fatalf("k5: fresh=%v err=%v, want ErrReplayCacheFull", fresh, err)
		}
		if fresh, _ := c.Remember(ctx, "k2", long); fresh {
			t.Error("the live key k2 was forgotten to make room")
		}
		if n := c.Len(); n != 3 {
			t.Errorf("Len = %d, want 3", n)
		}
	})
}

func TestNewMemoryReplayCacheConfig(t *testing.T) {
	t.Parallel()
	if _, err := auth.NewMemoryReplayCache(auth.MemoryReplayConfig{MaxEntries: -1}); !errors.Is(err, auth.ErrInvalidConfig) {
		t.Errorf("MaxEntries -1: %v, want ErrInvalidConfig", err)
	}
	if c, err := auth.NewMemoryReplayCache(auth.MemoryReplayConfig{}); err != nil || c == nil {
		t.Errorf("the zero config: %v", err)
	}
}

// TestMemoryReplayCacheAllocs: answering a replay allocates nothing, and
// neither does remembering a new key once the shard has room.
func TestMemoryReplayCacheAllocs(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("allocation counts need a build without -race")
	}
	c := newMemoryReplay(t, 1<<16)
	ctx := context.Background()
	exp := time.Now().Add(time.Hour)
	c.Remember(ctx, "replayed", exp)
	if n := testing.AllocsPerRun(1000, func() { c.Remember(ctx, "replayed", exp) }); n != 0 {
		t.Errorf("a replay allocates %v times", n)
	}
	keys := make([]string, 2000)
	for i := range keys {
		keys[i] = "k" + strconv.Itoa(i)
	}
	for _, k := range keys[:1000] { // grow the shards first
		c.Remember(ctx, k, exp)
	}
	i := 1000
	if n := testing.AllocsPerRun(500, func() { c.Remember(ctx, keys[i], exp); i++ }); n > 0.1 {
		t.Errorf("a new key allocates %v times", n)
	}
}

// TestMemoryReplayCacheMetrics reads back the replays, the refusals of a
// full cache and the number of entries.
func TestMemoryReplayCacheMetrics(t *testing.T) {
	t.Parallel()
	m := telemetrytest.NewMetrics(t)
	c, err := auth.NewMemoryReplayCache(auth.MemoryReplayConfig{MaxEntries: 2, MeterProvider: m})
	if err != nil {
		t.Fatal(err)
	}
	defer runtime.KeepAlive(c)
	ctx := context.Background()
	exp := time.Now().Add(time.Hour)
	c.Remember(ctx, "a", exp)
	c.Remember(ctx, "a", exp)
	c.Remember(ctx, "a", exp)
	c.Remember(ctx, "b", exp)
	c.Remember(ctx, "c", exp)
	mem := attribute.String("store", "memory")
	if v, _ := m.Value("apishield.auth.replay_cache.replays", mem); v != 2 {
		t.Errorf("replays = %v, want 2", v)
	}
	if v, _ := m.Value("apishield.auth.replay_cache.errors", mem, attribute.String("mode", "fail_closed")); v != 1 {
		t.Errorf("errors = %v, want 1", v)
	}
	if v, _ := m.Value("apishield.auth.replay_cache.entries", mem); v != 2 {
		t.Errorf("entries = %v, want 2", v)
	}
	if sc := m.Collect()["apishield.auth.replay_cache.replays"]; sc.Scope != "github.com/apishield/apishield/auth" {
		t.Errorf("replays scope %q", sc.Scope)
	}
}
