package redisstore

import (
	"context"
	"encoding/base64"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	"github.com/apishield/apishield/auth"
	"github.com/apishield/apishield/internal/redistest"
)

// benchReplayKeys returns n distinct keys shaped like auth's replay keys
// (43 base64url bytes) that start with tag.
func benchReplayKeys(tag string, n int) []string {
	keys := make([]string, n)
	var raw [32]byte
	for i := range keys {
		copy(raw[:], tag)
		raw[31], raw[30], raw[29] = byte(i), byte(i>>8), byte(i>>16)
		keys[i] = base64.RawURLEncoding.EncodeToString(raw[:])
	}
	return keys
}

// BenchmarkReplayCache measures Remember of a new key: in memory, and on a
// private redis-server beside its floor, a raw SET NX PX of a new key
// through the same go-redis client, one call at a time (paced like PING).
// The budget is redis ≤ 1.1 × redis-floor; "interleaved" runs the two
// alternately in random order and reports their ratio, which is what to
// compare on a shared machine.
func BenchmarkReplayCache(b *testing.B) {
	ctx := context.Background()
	exp := time.Now().Add(time.Hour)
	const nkeys = 1 << 18

	// New keys in a cache at its steady state: each key lives 20ms, so
	// entries expire as fast as new ones arrive, as in service.
	b.Run("memory", func(b *testing.B) {
		b.ReportAllocs()
		keys := benchReplayKeys("memory", nkeys)
		c := newBenchMemoryReplay(b, auth.MemoryReplayConfig{MaxEntries: nkeys})
		i, replays := 0, 0
		var exp time.Time
		for b.Loop() {
			if i%256 == 0 {
				exp = time.Now().Add(20 * time.Millisecond)
			}
			fresh, err := c.Remember(ctx, keys[i%nkeys], exp)
			if err != nil {
				b.Fatal(err)
			}
			if !fresh {
				replays++ // a key met again within its 20ms: not expected
			}
			i++
		}
		b.ReportMetric(float64(replays)/float64(b.N), "replays/op")
	})
	b.Run("memory-replay", func(b *testing.B) {
		b.ReportAllocs()
		c := newBenchMemoryReplay(b, auth.MemoryReplayConfig{})
		c.Remember(ctx, "replayed", exp)
		for b.Loop() {
			if fresh, err := c.Remember(ctx, "replayed", exp); fresh || err != nil {
				b.Fatal(fresh, err)
			}
		}
	})

	srv := redistest.Start(b)
	client := newReplayClient(b, srv.Addr)
	rc := newTestReplayCache(b, client, ReplayConfig{Timeout: time.Second})
	if err := client.Ping(ctx).Err(); err != nil {
		b.Fatal(err)
	}
	// Each run gets keys no earlier run used, so every call is a write.
	run := 0
	fresh := func(kind string) []string {
		run++
		return benchReplayKeys(kind+strconv.Itoa(run), nkeys)
	}
	remember := func(key string) {
		if ok, err := rc.Remember(ctx, key, exp); !ok || err != nil {
			b.Fatal(ok, err)
		}
	}
	floor := func(key string) {
		if ok, err := client.SetNX(ctx, "bench:floor:"+key, "1", time.Hour).Result(); !ok || err != nil {
			b.Fatal(ok, err)
		}
	}
	b.Run("redis-floor", func(b *testing.B) {
		b.ReportAllocs()
		keys := fresh("floor")
		i := 0
		for b.Loop() {
			floor(keys[i%nkeys])
			i++
		}
	})
	b.Run("redis", func(b *testing.B) {
		b.ReportAllocs()
		keys := fresh("redis")
		i := 0
		for b.Loop() {
			remember(keys[i%nkeys])
			i++
		}
	})
	b.Run("interleaved", func(b *testing.B) {
		fk, rk := fresh("ifloor"), fresh("iredis")
		var spent [2]time.Duration
		rng := rand.New(rand.NewPCG(1, 2))
		i := 0
		for b.Loop() {
			first := rng.IntN(2)
			for k := range 2 {
				op := first ^ k
				t0 := time.Now()
				if op == 0 {
					floor(fk[i%nkeys])
				} else {
					remember(rk[i%nkeys])
				}
				spent[op] += time.Since(t0)
			}
			i++
		}
		b.ReportMetric(float64(spent[0])/float64(b.N), "floor-ns")
		b.ReportMetric(float64(spent[1])/float64(b.N), "redis-ns")
		b.ReportMetric(float64(spent[1])/float64(spent[0]), "redis/floor")
	})
}

func newBenchMemoryReplay(b *testing.B, cfg auth.MemoryReplayConfig) *auth.MemoryReplayCache {
	c, err := auth.NewMemoryReplayCache(cfg)
	if err != nil {
		b.Fatal(err)
	}
	return c
}
