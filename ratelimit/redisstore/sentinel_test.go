package redisstore

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/apishield/apishield/internal/redistest"
	"github.com/apishield/apishield/ratelimit"
)

// newFailoverClient reaches the master through the sentinels, as
// NewFailoverClient builds the client.
func newFailoverClient(t testing.TB, s *redistest.Sentinel) redis.UniversalClient {
	c := redis.NewFailoverClient(&redis.FailoverOptions{
		MasterName: s.MasterName, SentinelAddrs: s.SentinelAddrs,
		ContextTimeoutEnabled: true, MaxRetries: -1,
	})
	t.Cleanup(func() { c.Close() })
	return c
}

// newUniversalSentinelClient is the same client built the way most users
// configure it: NewUniversalClient with a MasterName.
func newUniversalSentinelClient(t testing.TB, s *redistest.Sentinel) redis.UniversalClient {
	c := redis.NewUniversalClient(&redis.UniversalOptions{
		MasterName: s.MasterName, Addrs: s.SentinelAddrs,
		ContextTimeoutEnabled: true, MaxRetries: -1,
	})
	t.Cleanup(func() { c.Close() })
	return c
}

// sentinelClients are the two ways to reach Redis through Sentinel.
var sentinelClients = []struct {
	name string
	new  func(testing.TB, *redistest.Sentinel) redis.UniversalClient
}{
	{"NewFailoverClient", newFailoverClient},
	{"NewUniversalClient", newUniversalSentinelClient},
}

func TestRedisSentinel(t *testing.T) {
	t.Parallel()
	sent := redistest.StartSentinel(t)
	for _, sc := range sentinelClients {
		t.Run("exact across instances/"+sc.name, func(t *testing.T) {
			checkExact(t, func() redis.UniversalClient { return sc.new(t, sent) }, "exact-sentinel-"+sc.name)
		})
	}
	// The decisions went to the master the sentinels name, and the
	// replica has them all once it has caught up.
	if err := sent.WaitReplicated(t.Context()); err != nil {
		t.Fatal(err)
	}
	for _, n := range sent.Nodes {
		if got, err := n.Do(t.Context(), "DBSIZE"); err != nil || got != int64(4) {
			t.Errorf("DBSIZE on %s = %v, %v; want 4, two policies' keys for each of the two runs", n.Addr, got, err)
		}
	}
}

// TestRedisSentinelFailover runs decisions through Sentinel clients while
// the master changes, planned (SENTINEL FAILOVER, twice, so the roles go
// back) and by the master stopping. Decisions must return to Redis through
// the new master within seconds, which lacks the store's script until the
// store's NOSCRIPT fallback loads it; meanwhile every failed decision is a
// ratelimit.FailClosed denial wrapping ratelimit.ErrUnavailable. State written before the
// failover must hold on the new master.
func TestRedisSentinelFailover(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		rounds int
		// outage: the master is gone for seconds, so every limiter must
		// fail closed and open its breaker, and close it again.
		outage   bool
		failover func(t *testing.T, sent *redistest.Sentinel)
	}{
		{
			name: "SENTINEL FAILOVER", rounds: 2,
			failover: func(t *testing.T, sent *redistest.Sentinel) {
				if err := sent.Failover(t.Context()); err != nil {
					t.Fatal(err)
				}
			},
		},
		{
			name: "master stops", rounds: 1, outage: true,
			failover: func(t *testing.T, sent *redistest.Sentinel) {
				next := sent.Replica()
				sent.Master().Stop()
				if err := sent.WaitMaster(t.Context(), next); err != nil {
					t.Fatal(err)
				}
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sent := redistest.StartSentinel(t)
			ctx := t.Context()

			// A key whose daily allowance is spent before any failover.
			spent := []ratelimit.Policy{{Name: "day", Limit: 3, Period: 24 * time.Hour}}
			spentDenied := func(when string) {
				t.Helper()
				l, _ := newRedisLimiter(t, newFailoverClient(t, sent), ratelimit.Config{Name: "spent", Policies: spent}, Config{DenyCacheEntries: -1, Timeout: 2 * time.Second})
				d, err := l.Allow(ctx, "spent", 1)
				if err != nil || d.Allowed || d.RetryAfter <= 0 {
					t.Fatalf("%s: spent key got %+v, %v; want a denial from Redis", when, d, err)
				}
			}
			l, _ := newRedisLimiter(t, newFailoverClient(t, sent), ratelimit.Config{Name: "spent", Policies: spent}, Config{Timeout: 2 * time.Second})
			for i := range 3 {
				if d, err := l.Allow(ctx, "spent", 1); err != nil || !d.Allowed {
					t.Fatalf("spending unit %d: %+v, %v", i+1, d, err)
				}
			}
			spentDenied("before the failover")

			var evals atomic.Int64
			load := startSentinelLoad(t, sent, &evals)
			defer load.stop()
			load.waitDirect(t, "load on the first master", 10*time.Second, 20)

			for round := range tc.rounds {
				replica := sent.Replica()
				// Replication is asynchronous: a failover loses the writes
				// the replica has not got, in production too. The spent
				// key's must not be among them.
				if err := sent.WaitReplicated(ctx); err != nil {
					t.Fatal(err)
				}
				// The new master must not know the script, as a replica
				// that never ran it does not, so that it is the store's
				// NOSCRIPT fallback that brings it back. A node that was
				// master before keeps its script cache as a replica.
				if scriptLoaded(t, replica) {
					t.Logf("round %d: flushing the script cache of %s, master before", round+1, replica.Addr)
					if _, err := replica.Do(ctx, "SCRIPT", "FLUSH"); err != nil {
						t.Fatal(err)
					}
				}
				before := evals.Load()
				start := time.Now()
				tc.failover(t, sent)
				if sent.Master() != replica {
					t.Fatalf("round %d: master after the failover is %s, want %s", round+1, sent.Master().Addr, replica.Addr)
				}
				done := time.Now()
				load.waitDirect(t, "decisions through the new master", 5*time.Second, 20)
				t.Logf("round %d: failover took %v, decisions were back on Redis %v later",
					round+1, done.Sub(start).Round(time.Millisecond), time.Since(done).Round(time.Millisecond))

				if evals.Load() == before {
					t.Errorf("round %d: no EVAL after the failover: the store never fell back from NOSCRIPT on the new master", round+1)
				}
				if !scriptLoaded(t, replica) {
					t.Errorf("round %d: the new master %s has not loaded the script", round+1, replica.Addr)
				}
				spentDenied(fmt.Sprintf("after failover %d", round+1))
			}

			load.stop()
			for _, r := range load.runs {
				firstBad, firstErr := r.first()
				t.Logf("%s: %d decisions on Redis, %d failed closed (first: %v), %d by the open breaker",
					r.name, r.direct.Load(), r.fallback.Load(), firstErr, r.circuitOpen.Load())
				if n := r.bad.Load(); n > 0 {
					t.Errorf("%s: %d decisions were neither answered by Redis nor ratelimit.FailClosed denials wrapping ratelimit.ErrUnavailable; first: %s",
						r.name, n, firstBad)
				}
				if !r.s.Available() {
					t.Errorf("%s: the breaker is open after decisions came back", r.name)
				}
				if tc.outage && (r.fallback.Load() == 0 || r.circuitOpen.Load() == 0) {
					t.Errorf("%s: %d failed-closed decisions, %d by the open breaker, while the master was gone; want both",
						r.name, r.fallback.Load(), r.circuitOpen.Load())
				}
			}
		})
	}
}

// scriptLoaded reports whether srv has the store's script cached.
func scriptLoaded(t *testing.T, srv *redistest.Server) bool {
	t.Helper()
	v, err := srv.Do(t.Context(), "SCRIPT", "EXISTS", gcraScript.Hash())
	r, ok := v.([]any)
	if err != nil || !ok || len(r) != 1 {
		t.Fatalf("SCRIPT EXISTS on %s = %#v, %v", srv.Addr, v, err)
	}
	return r[0] == int64(1)
}

// sentinelLoad keeps limiters on Sentinel clients deciding, each key well
// within its limit, and sorts what comes back.
type sentinelLoad struct {
	runs     []*sentinelRun
	stopOnce sync.Once
	done     chan struct{}
	wg       sync.WaitGroup
}

type sentinelRun struct {
	name string
	l    *ratelimit.Limiter
	s    *Store

	direct      atomic.Int64 // answered by Redis
	fallback    atomic.Int64 // ratelimit.FailClosed denials wrapping ratelimit.ErrUnavailable
	circuitOpen atomic.Int64 // of which the open breaker answered
	bad         atomic.Int64 // anything else

	mu       sync.Mutex
	firstErr error  // the first store failure
	why      string // the first bad outcome
}

func (r *sentinelRun) noteFallback(err error) {
	r.fallback.Add(1)
	if errors.Is(err, ErrCircuitOpen) {
		r.circuitOpen.Add(1)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.firstErr == nil {
		r.firstErr = err
	}
}

func (r *sentinelRun) noteBad(d ratelimit.Decision, err error) {
	r.bad.Add(1)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.why == "" {
		r.why = fmt.Sprintf("%+v, %v", d, err)
	}
}

func (r *sentinelRun) first() (bad string, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.why, r.firstErr
}

// startSentinelLoad starts two limiters per kind of Sentinel client, each
// with its own client, store and two goroutines, FailClosed (the default).
// Every EVAL their clients send is counted in evals: the store sends the
// script itself only after Redis answered NOSCRIPT.
func startSentinelLoad(t *testing.T, sent *redistest.Sentinel, evals *atomic.Int64) *sentinelLoad {
	// Every decision is admitted, so every one runs the script's writes.
	open := []ratelimit.Policy{{Name: "open", Limit: 1 << 30, Period: time.Hour}}
	load := &sentinelLoad{done: make(chan struct{})}
	for _, sc := range sentinelClients {
		for i := range 2 {
			c := sc.new(t, sent)
			c.AddHook(evalHook{evals})
			r := &sentinelRun{name: fmt.Sprintf("%s #%d", sc.name, i+1)}
			r.l, r.s = newRedisLimiter(t, c, ratelimit.Config{Name: "failover", Policies: open},
				Config{Timeout: 200 * time.Millisecond, ProbeInterval: 50 * time.Millisecond})
			load.runs = append(load.runs, r)
			for g := range 2 {
				key := fmt.Sprintf("%s-%d-%d", sc.name, i, g)
				load.wg.Go(func() { load.decide(r, key) })
			}
		}
	}
	return load
}

func (load *sentinelLoad) decide(r *sentinelRun, key string) {
	for {
		select {
		case <-load.done:
			return
		default:
		}
		d, err := r.l.Allow(context.Background(), key, 1)
		switch {
		case err == nil && d.Allowed && !d.Fallback:
			r.direct.Add(1)
		case err != nil && errors.Is(err, ratelimit.ErrUnavailable) && d.Fallback && !d.Allowed:
			r.noteFallback(err)
		default:
			r.noteBad(d, err)
		}
		// Pace the load: it only has to be there when the master changes,
		// and the cores belong to Redis, the sentinels and the tests
		// running in parallel too.
		time.Sleep(2 * time.Millisecond)
	}
}

// waitDirect waits until every limiter has had n more decisions answered
// by Redis with its breaker closed, and fails t after timeout.
func (load *sentinelLoad) waitDirect(t *testing.T, what string, timeout time.Duration, n int64) {
	t.Helper()
	base := make([]int64, len(load.runs))
	for i, r := range load.runs {
		base[i] = r.direct.Load()
	}
	deadline := time.Now().Add(timeout)
	for i, r := range load.runs {
		for !r.s.Available() || r.direct.Load() < base[i]+n {
			if time.Now().After(deadline) {
				t.Fatalf("%s: %s: %d decisions answered by Redis in %v, breaker closed %v; want %d",
					what, r.name, r.direct.Load()-base[i], timeout, r.s.Available(), n)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
}

func (load *sentinelLoad) stop() {
	load.stopOnce.Do(func() { close(load.done) })
	load.wg.Wait()
}

// evalHook counts the EVAL commands a client sends, alone or in a
// pipeline.
type evalHook struct{ n *atomic.Int64 }

func (h evalHook) DialHook(next redis.DialHook) redis.DialHook { return next }
func (h evalHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if cmd.Name() == "eval" {
			h.n.Add(1)
		}
		return next(ctx, cmd)
	}
}
func (h evalHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		for _, cmd := range cmds {
			if cmd.Name() == "eval" {
				h.n.Add(1)
			}
		}
		return next(ctx, cmds)
	}
}
