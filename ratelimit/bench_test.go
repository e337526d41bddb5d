package ratelimit

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apishield/apishield/auth"
	"github.com/apishield/apishield/internal/record"
)

// benchPolicies admit every benchmark request: a burst of 2^30 units at a
// million per second, so the allowing path, which writes, is measured.
var benchPolicies = []Policy{{Name: "p", Limit: 1_000_000, Period: time.Second, Burst: 1 << 30}}

var benchPolicies3 = []Policy{
	{Name: "a", Limit: 1_000_000, Period: time.Second, Burst: 1 << 30},
	{Name: "b", Limit: 2_000_000, Period: 2 * time.Second, Burst: 1 << 30},
	{Name: "c", Limit: 500_000, Period: time.Second, Burst: 1 << 30},
}

// benchPoliciesLive keep each of a million keys alive through the benchmark
// (every unit refills in 3.6s) while admitting all of its requests.
var benchPoliciesLive = []Policy{{Name: "p", Limit: 1000, Period: time.Hour, Burst: 1 << 20}}

var benchKeys = sync.OnceValue(func() []string {
	keys := make([]string, 1<<20)
	for i := range keys {
		keys[i] = "ip:10." + strconv.Itoa(i>>16) + "." + strconv.Itoa(i>>8&255) + "." + strconv.Itoa(i&255)
	}
	return keys
})

// floorStore is the least a per-key limiter in memory can do: one lock and
// one map read and write per decision, on the same keys.
type floorStore struct {
	mu sync.Mutex
	m  map[string]int64
}

func (f *floorStore) take(k string) bool {
	f.mu.Lock()
	v := f.m[k]
	f.m[k] = v + 1
	f.mu.Unlock()
	return v >= 0
}

// A benchOp is one row of an interleaved benchmark: op(i) runs the i'th
// operation.
type benchOp struct {
	name string
	op   func(i int)
}

// interleave times blocks of 1000 operations of each row in turn, so that
// a shared machine's drifting load falls on all alike, and reports each
// row's time per operation and the last row's ratio to each other row.
func interleave(b *testing.B, rows ...benchOp) {
	const block = 1000
	spent := make([]time.Duration, len(rows))
	n, i := 0, 0
	for b.Loop() {
		for r, row := range rows {
			t0 := time.Now()
			for j := range block {
				row.op(i + j)
			}
			spent[r] += time.Since(t0)
		}
		n += block
		i += block
	}
	last := len(rows) - 1
	for r, row := range rows {
		b.ReportMetric(float64(spent[r])/float64(n), row.name+"-ns/op")
		if r != last {
			b.ReportMetric(float64(spent[last])/float64(spent[r]), rows[last].name+"/"+row.name)
		}
	}
}

// missChain is a random cycle through 2^22 words (32 MiB, what a memory
// store's tables take for a million one-policy keys): following it, every
// load depends on the one before and misses the cache. One step is the
// least a decision on one of a million keys can cost, since it must touch
// that key's state, wherever it is kept.
var missChain = sync.OnceValue(func() []uint32 {
	const n = 1 << 22
	perm := rand.New(rand.NewPCG(3, 4)).Perm(n)
	next := make([]uint32, n)
	for i := range perm {
		next[perm[i]] = uint32(perm[(i+1)%n])
	}
	return next
})

func BenchmarkMemoryInterleaved(b *testing.B) {
	ctx := context.Background()
	base := time.Now()
	var sink int64
	b.Run("hot-key", func(b *testing.B) {
		b.ReportAllocs()
		f := &floorStore{m: map[string]int64{}}
		l := newTestLimiter(b, benchPolicies...)
		interleave(b,
			benchOp{"floor", func(int) { f.take("ip:192.0.2.1") }},
			benchOp{"floor+clock", func(int) { sink += int64(time.Since(base)); f.take("ip:192.0.2.1") }},
			benchOp{"decision", func(int) { l.Allow(ctx, "ip:192.0.2.1", 1) }})
	})
	keys := benchKeys()
	b.Run("1M-keys", func(b *testing.B) {
		b.ReportAllocs()
		f := &floorStore{m: make(map[string]int64, len(keys))}
		l := newBigLimiter(b, benchPoliciesLive)
		for _, k := range keys {
			f.take(k)
			l.Allow(ctx, k, 1)
		}
		chain := missChain()
		var at uint32
		// Each row walks its own part of the keys, so none finds them in
		// cache because another just touched them.
		interleave(b,
			benchOp{"miss", func(int) { at = chain[at] }},
			benchOp{"floor", func(i int) { f.take(keys[i&(1<<20-1)]) }},
			benchOp{"floor+clock", func(i int) { sink += int64(time.Since(base)); f.take(keys[(i+1<<18)&(1<<20-1)]) }},
			benchOp{"decision", func(i int) { l.Allow(ctx, keys[(i+1<<19)&(1<<20-1)], 1) }})
		sink += int64(at)
	})
	_ = sink
}

// newBigLimiter has room for a million keys: the default MaxKeys is exactly
// a million, and keys do not spread over the shards perfectly evenly.
func newBigLimiter(b *testing.B, ps []Policy) *Limiter {
	s, err := NewMemoryStore(MemoryConfig{MaxKeys: 1 << 22})
	if err != nil {
		b.Fatal(err)
	}
	l, err := newLimiter(Config{Store: s, Policies: ps})
	if err != nil {
		b.Fatal(err)
	}
	return l
}

func BenchmarkMemory(b *testing.B) {
	ctx := context.Background()
	b.Run("floor-map-mutex/hot-key", func(b *testing.B) {
		b.ReportAllocs()
		f := &floorStore{m: map[string]int64{}}
		for b.Loop() {
			f.take("ip:192.0.2.1")
		}
	})
	b.Run("decision/hot-key", func(b *testing.B) {
		b.ReportAllocs()
		l := newTestLimiter(b, benchPolicies...)
		for b.Loop() {
			if d, _ := l.Allow(ctx, "ip:192.0.2.1", 1); !d.Allowed {
				b.Fatal("denied")
			}
		}
	})
	b.Run("decision-3-policies/hot-key", func(b *testing.B) {
		b.ReportAllocs()
		l := newTestLimiter(b, benchPolicies3...)
		for b.Loop() {
			l.Allow(ctx, "ip:192.0.2.1", 1)
		}
	})
	keys := benchKeys()
	b.Run("floor-map-mutex/1M-keys", func(b *testing.B) {
		b.ReportAllocs()
		f := &floorStore{m: make(map[string]int64, len(keys))}
		for _, k := range keys {
			f.take(k)
		}
		i := 0
		for b.Loop() {
			f.take(keys[i&(1<<20-1)])
			i++
		}
	})
	b.Run("decision/1M-keys", func(b *testing.B) {
		b.ReportAllocs()
		l := newBigLimiter(b, benchPoliciesLive)
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		for _, k := range keys {
			l.Allow(ctx, k, 1)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		perKey := float64(after.HeapAlloc-before.HeapAlloc) / float64(len(keys))
		i := 0
		for b.Loop() {
			if d, _ := l.Allow(ctx, keys[i&(1<<20-1)], 1); !d.Allowed {
				b.Fatal("denied")
			}
			i++
		}
		b.ReportMetric(perKey, "heap-B/key")
	})
	b.Run("decision/full-store-new-keys", func(b *testing.B) {
		// A store full of keys that owe an hour, flooded with new keys:
		// each is refused without a scan of its shard.
		b.ReportAllocs()
		s, err := NewMemoryStore(MemoryConfig{MaxKeys: 1 << 16})
		if err != nil {
			b.Fatal(err)
		}
		l, err := newLimiter(Config{Store: s, Policies: benchPoliciesLive})
		if err != nil {
			b.Fatal(err)
		}
		for _, k := range keys[:1<<17] {
			l.Allow(ctx, k, 1)
		}
		fresh := keys[1<<17:]
		i := 0
		for b.Loop() {
			if _, err := l.Allow(ctx, fresh[i%len(fresh)], 1); !errors.Is(err, ErrStoreFull) {
				b.Fatalf("new key in a full store: %v, want ErrStoreFull", err)
			}
			i++
		}
	})
	b.Run("floor-map-mutex/parallel", func(b *testing.B) {
		b.ReportAllocs()
		f := &floorStore{m: make(map[string]int64, len(keys))}
		var next atomic.Int64
		b.RunParallel(func(pb *testing.PB) {
			i := int(next.Add(1) << 12)
			for pb.Next() {
				f.take(keys[i&(1<<20-1)])
				i++
			}
		})
	})
	b.Run("decision/parallel", func(b *testing.B) {
		b.ReportAllocs()
		l := newTestLimiter(b, benchPoliciesLive...)
		var next atomic.Int64
		b.RunParallel(func(pb *testing.PB) {
			i := int(next.Add(1) << 12)
			for pb.Next() {
				l.Allow(ctx, keys[i&(1<<20-1)], 1)
				i++
			}
		})
	})
}

// benchWriter is a ResponseWriter that keeps nothing but its header map,
// which each benchmark iteration clears, so the rows measure the
// middleware and not a recorder.
type benchWriter struct{ h http.Header }

func (w *benchWriter) Header() http.Header         { return w.h }
func (w *benchWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *benchWriter) WriteHeader(int)             {}

// BenchmarkHandler measures the allow path of Handler, headers included,
// beside a floor that only installs the request record (which the
// limiter's Handler does first) and calls an empty handler.
func BenchmarkHandler(b *testing.B) {
	noop := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})
	byIP, err := ByIP(IPConfig{})
	if err != nil {
		b.Fatal(err)
	}
	perIP := MustNew(Config{Name: "ip", Key: byIP, Policies: benchPolicies})
	perSubject := MustNew(Config{Name: "subject", Key: BySubject(), Policies: benchPolicies3})
	r := httptest.NewRequest("GET", "/v1/items", nil)
	r.RemoteAddr = "192.0.2.1:4000"
	r = r.WithContext(auth.NewContext(r.Context(), &auth.Principal{Subject: "alice", Issuer: "https://issuer.example"}))
	run := func(b *testing.B, h http.Handler) {
		b.ReportAllocs()
		w := &benchWriter{h: http.Header{}}
		for b.Loop() {
			clear(w.h)
			h.ServeHTTP(w, r)
		}
	}
	b.Run("floor-record", func(b *testing.B) {
		run(b, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w, r, _ = record.Install(w, r)
			noop.ServeHTTP(w, r)
		}))
	})
	b.Run("one-limiter", func(b *testing.B) { run(b, perIP.Handler(noop)) })
	b.Run("two-limiters", func(b *testing.B) { run(b, perIP.Handler(perSubject.Handler(noop))) })
}
