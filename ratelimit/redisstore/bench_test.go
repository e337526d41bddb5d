package redisstore

import (
	"context"
	"math/rand/v2"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/apishield/apishield/internal/redistest"
	"github.com/apishield/apishield/ratelimit"
)

// benchPolicies admit every benchmark request: a burst of 2^30 units at a
// million per second, so the allowing path, which writes, is measured.
var benchPolicies = []ratelimit.Policy{{Name: "p", Limit: 1_000_000, Period: time.Second, Burst: 1 << 30}}

var benchPolicies3 = []ratelimit.Policy{
	{Name: "a", Limit: 1_000_000, Period: time.Second, Burst: 1 << 30},
	{Name: "b", Limit: 2_000_000, Period: 2 * time.Second, Burst: 1 << 30},
	{Name: "c", Limit: 500_000, Period: time.Second, Burst: 1 << 30},
}

var benchKeys = sync.OnceValue(func() []string {
	keys := make([]string, 1<<20)
	for i := range keys {
		keys[i] = "ip:10." + strconv.Itoa(i>>16) + "." + strconv.Itoa(i>>8&255) + "." + strconv.Itoa(i&255)
	}
	return keys
})

// trivialScript is the floor for throughput: the cheapest EVALSHA there is.
var trivialScript = redis.NewScript(`return 1`)

// commandsScript makes the Redis calls a one-policy decision makes, and
// nothing else: the least any atomic decision on Redis's clock with an
// exact expiry can cost Redis.
var commandsScript = redis.NewScript(`
redis.call('TIME')
redis.call('GET', KEYS[1])
redis.call('SET', KEYS[1], 1, 'PX', 60000)
return 0
`)

func BenchmarkRedis(b *testing.B) {
	srv := redistest.Start(b)
	ctx := context.Background()
	c := newClient(b, srv.Addr)
	l1, _ := newRedisLimiter(b, c, ratelimit.Config{Name: "bench1", Policies: benchPolicies}, Config{Timeout: time.Second})
	l3, _ := newRedisLimiter(b, c, ratelimit.Config{Name: "bench3", Policies: benchPolicies3}, Config{Timeout: time.Second})
	if err := gcraScript.Load(ctx, c).Err(); err != nil {
		b.Fatal(err)
	}
	for _, s := range []*redis.Script{trivialScript, commandsScript} {
		if err := s.Load(ctx, c).Err(); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("floor-PING", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := c.Ping(ctx).Err(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("decision", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if d, err := l1.Allow(ctx, "ip:192.0.2.1", 1); err != nil || !d.Allowed {
				b.Fatal(d, err)
			}
		}
	})
	b.Run("decision-3-policies", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if d, err := l3.Allow(ctx, "ip:192.0.2.1", 1); err != nil || !d.Allowed {
				b.Fatal(d, err)
			}
		}
	})
	// The budget is a ratio, and a shared machine's load drifts between
	// sub-benchmarks: interleave the two and report their ratio.
	b.Run("decision-vs-PING/interleaved", func(b *testing.B) {
		// Beside PING, three floors that each add one layer:
		//   - trivial: EVALSHA of "return 1", what running any script at
		//     all costs;
		//   - commands: a script that only makes the Redis calls every
		//     decision must make (TIME, GET, SET … PX), with no logic;
		//   - raw: the decision script itself, sent by hand.
		// raw−commands is the script's own logic, decision−raw this
		// package's client side.
		//
		// The five run in a random order each round: in a fixed order the
		// command after a write pays for work Redis defers to its next
		// event-loop pass, and that would be charged to the wrong row.
		raw := []string{"bench:raw{x}:p"}
		ops := [5]func() error{
			func() error { return c.Ping(ctx).Err() },
			func() error { return c.EvalSha(ctx, trivialScript.Hash(), nil).Err() },
			func() error { return commandsScript.EvalSha(ctx, c, raw).Err() },
			func() error { return gcraScript.EvalSha(ctx, c, raw, 1, 1, 1<<40).Err() },
			func() error { _, err := l1.Allow(ctx, "ip:192.0.2.1", 1); return err },
		}
		names := [5]string{"PING", "trivial", "commands", "raw", "decision"}
		var spent [5]time.Duration
		order := [5]int{0, 1, 2, 3, 4}
		rng := rand.New(rand.NewPCG(1, 2))
		for b.Loop() {
			rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
			for _, op := range order {
				t0 := time.Now()
				if err := ops[op](); err != nil {
					b.Fatal(err)
				}
				spent[op] += time.Since(t0)
			}
		}
		b.ReportMetric(float64(spent[0])/float64(b.N), "PING-ns")
		b.ReportMetric(float64(spent[4])/float64(b.N), "decision-ns")
		for i := 1; i < len(names); i++ {
			b.ReportMetric(float64(spent[i])/float64(spent[0]), names[i]+"/PING")
		}
	})
	// 64 goroutines on 2 cores: RunParallel starts parallelism × GOMAXPROCS.
	par := func(b *testing.B, fn func(i int) error) {
		b.ReportAllocs()
		b.SetParallelism(max(1, 64/runtimeProcs()))
		var next atomic.Int64
		b.RunParallel(func(pb *testing.PB) {
			i := int(next.Add(1))
			for pb.Next() {
				if err := fn(i); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	b.Run("floor-EVALSHA-trivial/64-goroutines", func(b *testing.B) {
		par(b, func(int) error { return c.EvalSha(ctx, trivialScript.Hash(), nil).Err() })
	})
	b.Run("decision/64-goroutines", func(b *testing.B) {
		keys := benchKeys()
		par(b, func(i int) error {
			_, err := l1.Allow(ctx, keys[i], 1)
			return err
		})
	})
}

func runtimeProcs() int { return runtime.GOMAXPROCS(0) }
