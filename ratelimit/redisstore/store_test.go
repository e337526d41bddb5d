package redisstore

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/apishield/apishield/internal/redistest"
	"github.com/apishield/apishield/ratelimit"
)

var testSecret = []byte("0123456789abcdef-test-secret")

func newClient(t testing.TB, addr string) *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: addr, ContextTimeoutEnabled: true, MaxRetries: -1})
	t.Cleanup(func() { c.Close() })
	return c
}

func newClusterClient(t testing.TB, addrs []string) *redis.ClusterClient {
	c := redis.NewClusterClient(&redis.ClusterOptions{Addrs: addrs, ContextTimeoutEnabled: true, MaxRetries: -1})
	t.Cleanup(func() { c.Close() })
	return c
}

func newRedisLimiter(t testing.TB, c redis.UniversalClient, cfg ratelimit.Config, rc Config) (*ratelimit.Limiter, *Store) {
	t.Helper()
	if rc.Secret == nil {
		rc.Secret = testSecret
	}
	if rc.Timeout == 0 {
		// Behaviour tests give Redis time under -race on a loaded
		// machine: the default 50ms is meant for production round trips.
		// The deadline itself is tested where a test sets its own.
		rc.Timeout = 2 * time.Second
	}
	s, err := New(c, rc)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	cfg.Store = s
	if cfg.Key == nil {
		cfg.Key = ratelimit.BySubject()
	}
	l, err := ratelimit.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return l, s
}

// newMemoryLimiter is the memory store's limiter for ps, to compare with.
func newMemoryLimiter(t testing.TB, ps ...ratelimit.Policy) *ratelimit.Limiter {
	t.Helper()
	l, err := ratelimit.New(ratelimit.Config{Key: ratelimit.BySubject(), Policies: ps})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// validated returns ps with their defaults filled in, as a limiter hands
// them to its store.
func validated(t testing.TB, ps []ratelimit.Policy) []ratelimit.Policy {
	t.Helper()
	return newMemoryLimiter(t, ps...).Policies()
}

// exactness runs instances × goroutines × perG requests on one key, each
// instance with its own client, store and limiter, and returns how many
// were admitted.
func exactness(t *testing.T, newC func() redis.UniversalClient, key string, ps []ratelimit.Policy, instances, goroutines, perG int) int64 {
	var admitted, errs atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	for range instances {
		l, _ := newRedisLimiter(t, newC(), ratelimit.Config{Name: "exact", Policies: ps}, Config{Timeout: 2 * time.Second})
		for range goroutines {
			wg.Go(func() {
				for range perG {
					d, err := l.Allow(context.Background(), key, 1)
					if err != nil {
						errs.Add(1)
						firstErr.CompareAndSwap(nil, err.Error())
					}
					if d.Allowed {
						admitted.Add(1)
					}
				}
			})
		}
	}
	wg.Wait()
	if n := errs.Load(); n > 0 {
		t.Fatalf("%d decisions failed, the first with %v", n, firstErr.Load())
	}
	return admitted.Load()
}

// The policies of the exactness tests: a burst of 150 within a day-long
// refill (no refill during the test), and a second policy of 170 per day
// that must not lose units to the requests the first denies.
var exactPolicies = []ratelimit.Policy{
	{Name: "burst", Limit: 300, Period: 48 * time.Hour, Burst: 150},
	{Name: "daily", Limit: 170, Period: 24 * time.Hour},
}

// checkExact runs the exactness load with exactPolicies on key and checks
// that exactly the burst of 150 of 320 was admitted, and that the daily
// policy lost nothing to the requests the burst denied.
func checkExact(t *testing.T, newC func() redis.UniversalClient, key string) {
	t.Helper()
	if got := exactness(t, newC, key, exactPolicies, 4, 8, 10); got != 150 {
		t.Fatalf("admitted %d of 320, want exactly 150", got)
	}
	// The 170-per-day policy lost nothing to the 170 denied requests. The
	// deadline is the load's: a fresh Sentinel client first asks a
	// sentinel where the master is.
	l, _ := newRedisLimiter(t, newC(), ratelimit.Config{Name: "exact", Policies: exactPolicies}, Config{DenyCacheEntries: -1, Timeout: 2 * time.Second})
	d, err := l.Allow(context.Background(), key, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := d.Result(1).Remaining; got != 20 {
		t.Fatalf("daily remaining %d, want 20", got)
	}
}

func TestRedisStandalone(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	ctx := context.Background()

	t.Run("exact across instances", func(t *testing.T) {
		checkExact(t, func() redis.UniversalClient { return newClient(t, srv.Addr) }, "exact-standalone")
	})

	t.Run("same answers as memory", func(t *testing.T) {
		ps := []ratelimit.Policy{{Name: "a", Limit: 10, Period: time.Hour, Burst: 4}, {Name: "b", Limit: 6, Period: time.Hour}}
		rl, _ := newRedisLimiter(t, newClient(t, srv.Addr), ratelimit.Config{Name: "same", Policies: ps}, Config{DenyCacheEntries: -1})
		ml := newMemoryLimiter(t, ps...)
		for i, cost := range []int{1, 2, 0, 3, 1, 1, 5, 1} {
			rd, err := rl.Allow(ctx, "k", cost)
			if err != nil {
				t.Fatal(err)
			}
			md, _ := ml.Allow(ctx, "k", cost)
			if rd.Allowed != md.Allowed || rd.CostExceedsBurst != md.CostExceedsBurst {
				t.Fatalf("step %d cost %d: redis %+v, memory %+v", i, cost, rd, md)
			}
			for p := range rd.Len() {
				r, m := rd.Result(p), md.Result(p)
				if r.Remaining != m.Remaining || r.Allowed != m.Allowed {
					t.Fatalf("step %d policy %d: redis %+v, memory %+v", i, p, r, m)
				}
			}
		}
	})

	t.Run("keys are HMACs with one hash tag and exact TTLs", func(t *testing.T) {
		ps := []ratelimit.Policy{{Name: "min", Limit: 1, Period: time.Minute}, {Name: "hour", Limit: 10, Period: time.Hour}}
		l, _ := newRedisLimiter(t, newClient(t, srv.Addr), ratelimit.Config{Name: "keys", Policies: ps}, Config{Prefix: "t:keys:"})
		if d, err := l.Allow(ctx, "ip:203.0.113.77", 1); err != nil || !d.Allowed {
			t.Fatal(d, err)
		}
		c := newClient(t, srv.Addr)
		keys, err := c.Keys(ctx, "t:keys:*").Result()
		if err != nil || len(keys) != 2 {
			t.Fatalf("keys %v, %v; want one per policy", keys, err)
		}
		tags := map[string]bool{}
		for _, k := range keys {
			if strings.Contains(k, "203.0.113.77") {
				t.Errorf("key %q holds the raw address", k)
			}
			i, j := strings.IndexByte(k, '{'), strings.IndexByte(k, '}')
			if i < 0 || j < i+20 {
				t.Fatalf("key %q has no hash tag", k)
			}
			tags[k[i:j+1]] = true
			// The arrival time is stored as an exact integer of
			// microseconds, not in a float format that rounds it.
			v, _ := c.Get(ctx, k).Result()
			if n, err := strconv.ParseInt(v, 10, 64); err != nil || n < 1e15 {
				t.Errorf("%s holds %q, want integer microseconds", k, v)
			}
			ttl, _ := c.PTTL(ctx, k).Result()
			want := time.Minute
			if strings.HasSuffix(k, ":hour") {
				want = 6 * time.Minute // one unit of 10 per hour
			}
			if ttl > want || ttl < want-2*time.Second {
				t.Errorf("%s: TTL %v, want just under %v", k, ttl, want)
			}
		}
		if len(tags) != 1 {
			t.Errorf("hash tags %v, want one for all policies of a key", tags)
		}
	})

	t.Run("NOSCRIPT falls back to EVAL", func(t *testing.T) {
		l, _ := newRedisLimiter(t, newClient(t, srv.Addr), ratelimit.Config{Name: "noscript", Policies: []ratelimit.Policy{{Name: "p", Limit: 5, Period: time.Hour}}}, Config{})
		for i := range 3 {
			if err := newClient(t, srv.Addr).ScriptFlush(ctx).Err(); err != nil {
				t.Fatal(err)
			}
			if d, err := l.Allow(ctx, "k", 1); err != nil || !d.Allowed {
				t.Fatalf("after SCRIPT FLUSH %d: %+v %v", i, d, err)
			}
		}
	})

	t.Run("NOSCRIPT in a pipeline falls back to EVAL", func(t *testing.T) {
		// Decisions that queue behind a round trip go out together in
		// one pipeline; after SCRIPT FLUSH every one of them gets
		// NOSCRIPT and must be sent again with the script.
		c := newClient(t, srv.Addr)
		_, s := newRedisLimiter(t, c, ratelimit.Config{Name: "pipe", Policies: exactPolicies}, Config{})
		if err := c.ScriptFlush(ctx).Err(); err != nil {
			t.Fatal(err)
		}
		ps := validated(t, exactPolicies)
		batch := make([]*scriptCall, 3)
		for i := range batch {
			call := &scriptCall{done: make(chan struct{})}
			call.keys, _ = s.keys(call.keyBuf[:0], &ratelimit.Request{Namespace: "pipe", Key: "k" + strconv.Itoa(i), Cost: 1 + i, Policies: ps})
			call.args = append(call.argBuf[:0], 1+i)
			for _, p := range ps {
				call.args = append(call.args, int64(p.Interval()/time.Microsecond), int64(p.Tolerance()/time.Microsecond))
			}
			batch[i] = call
		}
		s.batch.execBatch(batch)
		for i, call := range batch {
			<-call.done
			if call.err != nil {
				t.Fatalf("call %d: %v", i, call.err)
			}
			// A fresh key is at Redis's now: nothing ahead yet.
			if call.ahead[0] != 0 || call.ahead[1] != 0 {
				t.Errorf("call %d: reply %v, want zeros for a fresh key", i, call.ahead[:2])
			}
		}
		// The fallback spent the costs: each key now runs ahead by its cost.
		for i := range batch {
			var d ratelimit.Decision
			req := &ratelimit.Request{Namespace: "pipe", Key: "k" + strconv.Itoa(i), Cost: 0, Policies: ps}
			if err := s.Take(ctx, req, &d); err != nil {
				t.Fatal(err)
			}
			if got, want := d.Result(0).Remaining, 150-(1+i); got != want {
				t.Errorf("key %d: burst remaining %d, want %d", i, got, want)
			}
		}
	})

	t.Run("deny cache saves round trips and stays exact", func(t *testing.T) {
		c := newClient(t, srv.Addr)
		var calls atomic.Int64
		c.AddHook(countHook{&calls})
		l, _ := newRedisLimiter(t, c, ratelimit.Config{Name: "deny", Policies: []ratelimit.Policy{{Name: "p", Limit: 20, Period: time.Second, Burst: 2}}}, Config{})
		for range 2 {
			l.Allow(ctx, "k", 1)
		}
		d, _ := l.Allow(ctx, "k", 1)
		if d.Allowed {
			t.Fatal("third of burst 2 admitted")
		}
		before := calls.Load()
		for range 100 {
			if d, _ := l.Allow(ctx, "k", 1); d.Allowed || d.RetryAfter <= 0 || d.RetryAfter > 50*time.Millisecond {
				t.Fatalf("cached denial %+v", d)
			}
		}
		if n := calls.Load() - before; n != 0 {
			t.Fatalf("%d round trips for 100 denials of a cached key, want 0", n)
		}
		// A smaller cost is not covered by a denial of a larger one; a zero
		// cost always asks Redis.
		l.Allow(ctx, "k", 0)
		if calls.Load() == before {
			t.Fatal("cost 0 answered from the deny cache")
		}
		time.Sleep(d.RetryAfter + 5*time.Millisecond) // wait out a real Redis clock
		if d, _ := l.Allow(ctx, "k", 1); !d.Allowed {
			t.Fatalf("after RetryAfter: %+v", d)
		}
	})

	t.Run("config", func(t *testing.T) {
		good := newClient(t, srv.Addr)
		noCtx := redis.NewClient(&redis.Options{Addr: srv.Addr})
		defer noCtx.Close()
		for name, tc := range map[string]struct {
			c  redis.UniversalClient
			rc Config
		}{
			"nil client":                  {nil, Config{Secret: testSecret}},
			"no secret":                   {good, Config{}},
			"short secret":                {good, Config{Secret: []byte("short")}},
			"negative timeout":            {good, Config{Secret: testSecret, Timeout: -1}},
			"client ignores ctx deadline": {noCtx, Config{Secret: testSecret}},
		} {
			if _, err := New(tc.c, tc.rc); !errors.Is(err, ratelimit.ErrInvalidConfig) {
				t.Errorf("%s: %v, want ratelimit.ErrInvalidConfig", name, err)
			}
		}
	})
}

type countHook struct{ n *atomic.Int64 }

func (h countHook) DialHook(next redis.DialHook) redis.DialHook { return next }
func (h countHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error { h.n.Add(1); return next(ctx, cmd) }
}
func (h countHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}

func TestRedisCluster(t *testing.T) {
	t.Parallel()
	cl := redistest.StartCluster(t)
	got := exactness(t, func() redis.UniversalClient { return newClusterClient(t, cl.Addrs) }, "exact-cluster", exactPolicies, 4, 8, 10)
	if got != 150 {
		t.Fatalf("admitted %d of 320 on the cluster, want exactly 150", got)
	}
	// Keys of different clients spread over the masters; each client's
	// policies share a slot (or the script would fail with CROSSSLOT).
	c := newClusterClient(t, cl.Addrs)
	l, _ := newRedisLimiter(t, c, ratelimit.Config{Name: "spread", Policies: exactPolicies}, Config{Prefix: "t:spread:"})
	for i := range 60 {
		if _, err := l.Allow(context.Background(), "client-"+string(rune('A'+i)), 1); err != nil {
			t.Fatal(err)
		}
	}
	owners := map[string]bool{}
	for _, addr := range cl.Addrs {
		n, err := newClient(t, addr).DBSize(context.Background()).Result()
		if err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			owners[addr] = true
		}
	}
	if len(owners) != 3 {
		t.Errorf("keys on %d masters, want all 3", len(owners))
	}
}

// TestRedisOutage stops and restarts redis-server under load: every mode
// holds while Redis is down, nothing panics, and decisions return to Redis
// within a second of its return.
func TestRedisOutage(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	ps := []ratelimit.Policy{{Name: "p", Limit: 1000, Period: time.Second, Burst: 100}}
	type run struct {
		mode             ratelimit.FailureMode
		l                *ratelimit.Limiter
		s                *Store
		fallback, direct atomic.Int64
		badFallback      atomic.Int64
		localAdmitted    atomic.Int64
	}
	var runs []*run
	for _, mode := range []ratelimit.FailureMode{ratelimit.FailClosed, ratelimit.FailOpen, ratelimit.Local} {
		r := &run{mode: mode}
		r.l, r.s = newRedisLimiter(t, newClient(t, srv.Addr),
			ratelimit.Config{Name: "outage-" + mode.String(), Policies: ps, OnStoreError: mode, LocalShare: 0.1},
			Config{Timeout: 50 * time.Millisecond, ProbeInterval: 50 * time.Millisecond})
		runs = append(runs, r)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for _, r := range runs {
		for g := range 3 {
			wg.Go(func() {
				key := "k" + string(rune('0'+g))
				for {
					select {
					case <-stop:
						return
					default:
					}
					d, err := r.l.Allow(context.Background(), key, 1)
					if err == nil {
						r.direct.Add(1)
						continue
					}
					if !errors.Is(err, ratelimit.ErrUnavailable) || !d.Fallback {
						r.badFallback.Add(1)
						continue
					}
					r.fallback.Add(1)
					switch r.mode {
					case ratelimit.FailClosed:
						if d.Allowed {
							r.badFallback.Add(1)
						}
					case ratelimit.FailOpen:
						if !d.Allowed {
							r.badFallback.Add(1)
						}
					case ratelimit.Local:
						if d.Allowed {
							r.localAdmitted.Add(1)
						}
					}
					time.Sleep(time.Millisecond) // keep the outage loop from spinning both cores
				}
			})
		}
	}
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s", what)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	waitFor("load on Redis", func() bool { return runs[0].direct.Load() > 100 })
	srv.Stop()
	for _, r := range runs {
		waitFor("breaker to open ("+r.mode.String()+")", func() bool { return !r.s.Available() })
	}
	time.Sleep(300 * time.Millisecond) // the outage goes on under load
	srv.Restart()
	back := time.Now()
	for _, r := range runs {
		n := r.direct.Load()
		waitFor("decisions back on Redis ("+r.mode.String()+")", func() bool { return r.s.Available() && r.direct.Load() > n })
	}
	if took := time.Since(back); took > time.Second {
		t.Errorf("decisions returned to Redis %v after it came back, want within 1s", took)
	}
	close(stop)
	wg.Wait()
	for _, r := range runs {
		if r.fallback.Load() == 0 {
			t.Errorf("%s: no fallback decisions during the outage", r.mode)
		}
		if n := r.badFallback.Load(); n > 0 {
			t.Errorf("%s: %d decisions broke the mode", r.mode, n)
		}
	}
	// ratelimit.Local at a tenth: 3 keys × (burst 10 + 100/s) over well under 2s.
	if n := runs[2].localAdmitted.Load(); n == 0 || n > 3*(10+200) {
		t.Errorf("ratelimit.Local admitted %d during the outage", n)
	}
}

// TestRedisTimeout: a Redis that accepts but never answers costs at most the
// per-call deadline.
func TestRedisTimeout(t *testing.T) {
	t.Parallel()
	l, s := newRedisLimiter(t, newClient(t, redistest.Silent(t)), ratelimit.Config{Name: "slow", Policies: []ratelimit.Policy{{Name: "p", Limit: 1, Period: time.Second}}},
		Config{Timeout: 30 * time.Millisecond, BreakerFailures: 2})
	for i := range 4 {
		start := time.Now()
		d, err := l.Allow(context.Background(), "k", 1)
		took := time.Since(start)
		if !errors.Is(err, ratelimit.ErrUnavailable) || d.Allowed {
			t.Fatalf("call %d: %+v %v, want a ratelimit.FailClosed denial", i, d, err)
		}
		if took > 500*time.Millisecond {
			t.Errorf("call %d took %v with a 30ms deadline", i, took)
		}
		if i >= 2 && !errors.Is(err, ErrCircuitOpen) {
			t.Errorf("call %d: %v, want the open breaker to answer", i, err)
		}
	}
	// Close stops the probe and leaves a store that still asks Redis.
	s.Close()
	for deadline := time.Now().Add(5 * time.Second); !s.Available(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the breaker stayed open after Close")
		}
	}
	for i := range 3 {
		if _, err := l.Allow(context.Background(), "k", 1); !errors.Is(err, ratelimit.ErrUnavailable) || errors.Is(err, ErrCircuitOpen) {
			t.Fatalf("after Close, call %d: %v, want a timeout from Redis, not the breaker", i, err)
		}
	}
}

// A reply of the wrong shape, as from a script of the same SHA that is not
// ours, is an error, never a decision.
func TestScriptReplyShape(t *testing.T) {
	for _, tc := range []struct {
		keys int
		val  any
		want []int64 // nil: an error
	}{
		{1, int64(7), []int64{7}},
		{1, []any{int64(7)}, []int64{7}},
		{2, []any{int64(1), int64(2)}, []int64{1, 2}},
		{2, int64(7), nil},
		{2, []any{int64(1)}, nil},
		{2, []any{int64(1), "2"}, nil},
		{1, "7", nil},
		{1, nil, nil},
	} {
		c := scriptCall{keys: make([]string, tc.keys)}
		cmd := redis.NewCmd(context.Background())
		cmd.SetVal(tc.val)
		err := c.read(cmd)
		switch {
		case tc.want == nil && err == nil:
			t.Errorf("%d keys, reply %#v: no error", tc.keys, tc.val)
		case tc.want != nil && err != nil:
			t.Errorf("%d keys, reply %#v: %v", tc.keys, tc.val, err)
		case tc.want != nil && !slices.Equal(c.ahead[:tc.keys], tc.want):
			t.Errorf("%d keys, reply %#v: read %v, want %v", tc.keys, tc.val, c.ahead[:tc.keys], tc.want)
		}
	}
}

// A store called directly refuses what no limiter sends, before any round
// trip: a negative cost would give units back, and a key's state is sized
// by its policies.
func TestRefusesBadRequests(t *testing.T) {
	t.Parallel()
	ps := validated(t, []ratelimit.Policy{{Name: "p", Limit: 1, Period: time.Hour}})
	five := make([]ratelimit.Policy, ratelimit.MaxPolicies+1)
	for i := range five {
		five[i] = ps[0]
		five[i].Name = "p" + strconv.Itoa(i)
	}
	// An unreachable Redis: a refusal must come before any round trip.
	s, err := New(redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", ContextTimeoutEnabled: true, MaxRetries: -1}), Config{Secret: testSecret})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, tc := range []struct {
		req  ratelimit.Request
		want error
	}{
		{ratelimit.Request{Namespace: "n", Key: "k", Cost: -1, Policies: ps}, ratelimit.ErrInvalidCost},
		{ratelimit.Request{Namespace: "n", Key: "k", Cost: 1}, ratelimit.ErrInvalidConfig},
		{ratelimit.Request{Namespace: "n", Key: "k", Cost: 1, Policies: five}, ratelimit.ErrInvalidConfig},
	} {
		var d ratelimit.Decision
		if err := s.Take(context.Background(), &tc.req, &d); !errors.Is(err, tc.want) {
			t.Errorf("cost %d, %d policies: %v, want %v", tc.req.Cost, len(tc.req.Policies), err, tc.want)
		}
	}
}
