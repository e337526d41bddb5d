package redisstore

import (
	"context"
	"errors"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel/attribute"

	"github.com/apishield/apishield/auth"
	"github.com/apishield/apishield/internal/redistest"
	"github.com/apishield/apishield/internal/telemetry/telemetrytest"
)

// quietReplayRedis drops go-redis's own log lines, which the outage tests
// provoke by design (every refused dial is logged).
type quietReplayRedis struct{}

func (quietReplayRedis) Printf(context.Context, string, ...any) {}

var quietReplayOnce sync.Once

func newReplayClient(t testing.TB, addr string) *redis.Client {
	quietReplayOnce.Do(func() { redis.SetLogger(quietReplayRedis{}) })
	c := redis.NewClient(&redis.Options{Addr: addr, ContextTimeoutEnabled: true, MaxRetries: -1})
	t.Cleanup(func() { c.Close() })
	return c
}

func newReplayClusterClient(t testing.TB, addrs []string) *redis.ClusterClient {
	quietReplayOnce.Do(func() { redis.SetLogger(quietReplayRedis{}) })
	c := redis.NewClusterClient(&redis.ClusterOptions{Addrs: addrs, ContextTimeoutEnabled: true, MaxRetries: -1})
	t.Cleanup(func() { c.Close() })
	return c
}

func newTestReplayCache(t testing.TB, c redis.UniversalClient, cfg ReplayConfig) *ReplayCache {
	t.Helper()
	if cfg.Timeout == 0 {
		// Behaviour tests give Redis time under -race on a loaded
		// machine; the deadline itself is tested where a test sets one.
		cfg.Timeout = 2 * time.Second
	}
	rc, err := NewReplayCache(c, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rc.Close() })
	return rc
}

// exactlyOnce makes instances × goroutines concurrent Remember calls for
// each of keys, each instance with its own client and cache, and fails
// unless each key got exactly one fresh answer.
func exactlyOnce(t *testing.T, newC func() redis.UniversalClient, keys []string) {
	t.Helper()
	const instances, goroutines = 2, 8
	var caches []*ReplayCache
	for range instances {
		caches = append(caches, newTestReplayCache(t, newC(), ReplayConfig{}))
	}
	exp := time.Now().Add(time.Minute)
	for _, key := range keys {
		var fresh, errs atomic.Int64
		var wg sync.WaitGroup
		start := make(chan struct{})
		for _, c := range caches {
			for range goroutines {
				wg.Go(func() {
					<-start
					ok, err := c.Remember(context.Background(), key, exp)
					if err != nil {
						errs.Add(1)
						t.Error(err)
					}
					if ok {
						fresh.Add(1)
					}
				})
			}
		}
		close(start)
		wg.Wait()
		if fresh.Load() != 1 || errs.Load() != 0 {
			t.Fatalf("key %q: %d fresh answers and %d errors of %d, want exactly 1 fresh", key, fresh.Load(), errs.Load(), instances*goroutines)
		}
	}
}

func replayTestKeys(n int) []string {
	keys := make([]string, n)
	for i := range keys {
		keys[i] = "jti-" + strconv.Itoa(i)
	}
	return keys
}

func TestReplayCacheRedis(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	exactlyOnce(t, func() redis.UniversalClient { return newReplayClient(t, srv.Addr) }, replayTestKeys(30))

	ctx := context.Background()
	c := newReplayClient(t, srv.Addr)
	rc := newTestReplayCache(t, c, ReplayConfig{Prefix: "t:fixed:"})
	// Keys are fixed length whatever the caller's key, and hold no part of it.
	for _, key := range []string{"", "a", strings.Repeat("x", 10_000), "secret-jti"} {
		if fresh, err := rc.Remember(ctx, key, time.Now().Add(time.Minute)); !fresh || err != nil {
			t.Fatalf("key of %d bytes: fresh=%v err=%v", len(key), fresh, err)
		}
	}
	stored, err := c.Keys(ctx, "t:fixed:*").Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(stored) != 4 {
		t.Fatalf("stored %d keys, want 4: %q", len(stored), stored)
	}
	for _, k := range stored {
		if len(k) != len("t:fixed:")+43 || strings.Contains(k, "secret") || strings.Contains(k, "xxx") {
			t.Errorf("stored key %q: want the prefix and 43 base64url characters", k)
		}
	}

	// The entry lives until exp, rounded up to a millisecond.
	// The bounds are read around the calls: the TTL is computed inside
	// Remember, after the first reading and before the second.
	exp := time.Now().Add(90 * time.Second)
	upper := time.Until(exp) + time.Millisecond
	if fresh, err := rc.Remember(ctx, "ttl", exp); !fresh || err != nil {
		t.Fatalf("ttl: fresh=%v err=%v", fresh, err)
	}
	pttl, err := c.PTTL(ctx, rc.redisKey("ttl")).Result()
	if err != nil {
		t.Fatal(err)
	}
	if lower := time.Until(exp) - time.Second; pttl > upper || pttl < lower {
		t.Errorf("PTTL %v, want between %v and %v", pttl, lower, upper)
	}
	// An exp already past is fresh and stored for a millisecond at most;
	// a live key asked with an exp already past is still a replay.
	if fresh, err := rc.Remember(ctx, "past", time.Now().Add(-time.Minute)); !fresh || err != nil {
		t.Errorf("past: fresh=%v err=%v, want fresh", fresh, err)
	}
	if pttl, _ := c.PTTL(ctx, rc.redisKey("past")).Result(); pttl > time.Millisecond {
		t.Errorf("past: PTTL %v, want at most 1ms", pttl)
	}
	if fresh, err := rc.Remember(ctx, "ttl", time.Now().Add(-time.Minute)); fresh || err != nil {
		t.Errorf("a live key with an exp past: fresh=%v err=%v, want a replay", fresh, err)
	}
	// Caches with different prefixes do not see each other's keys.
	other := newTestReplayCache(t, c, ReplayConfig{Prefix: "t:other:"})
	if fresh, err := other.Remember(ctx, "ttl", exp); !fresh || err != nil {
		t.Errorf("another prefix: fresh=%v err=%v, want fresh", fresh, err)
	}
}

func TestReplayCacheCluster(t *testing.T) {
	t.Parallel()
	cl := redistest.StartCluster(t)
	exactlyOnce(t, func() redis.UniversalClient { return newReplayClusterClient(t, cl.Addrs) }, replayTestKeys(60))
	// The keys spread over the three masters: each is its own slot.
	owners := 0
	for _, addr := range cl.Addrs {
		n, err := newReplayClient(t, addr).DBSize(context.Background()).Result()
		if err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			owners++
		}
	}
	if owners != 3 {
		t.Errorf("keys on %d masters, want all 3", owners)
	}
}

// TestReplayCacheOutage stops Redis under each FailMode: FailClosed
// refuses with ErrReplayUnavailable, FailOpen answers fresh, Local answers
// from memory (including for a key seen before the outage); the breaker
// opens, and calls return to Redis once it is back.
func TestReplayCacheOutage(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	ctx := context.Background()
	cfg := ReplayConfig{Timeout: 200 * time.Millisecond, ProbeInterval: 20 * time.Millisecond}
	caches := map[FailMode]*ReplayCache{}
	for _, mode := range []FailMode{FailClosed, FailOpen, Local} {
		cfg.OnError = mode
		cfg.Prefix = "t:" + mode.String() + ":"
		caches[mode] = newTestReplayCache(t, newReplayClient(t, srv.Addr), cfg)
	}
	exp := time.Now().Add(time.Hour)
	for mode, rc := range caches {
		if fresh, err := rc.Remember(ctx, "before", exp); !fresh || err != nil {
			t.Fatalf("%v before the outage: fresh=%v err=%v", mode, fresh, err)
		}
	}
	srv.Stop()
	for i := range 5 { // the first three fail on Redis, then the breaker answers
		key := "during-" + strconv.Itoa(i)
		fresh, err := caches[FailClosed].Remember(ctx, key, exp)
		if fresh || !errors.Is(err, ErrReplayUnavailable) {
			t.Fatalf("FailClosed, call %d: fresh=%v err=%v, want ErrReplayUnavailable", i, fresh, err)
		}
		if fresh, err := caches[FailOpen].Remember(ctx, "before", exp); !fresh || err != nil {
			t.Fatalf("FailOpen, call %d: fresh=%v err=%v, want fresh", i, fresh, err)
		}
		if fresh, err := caches[Local].Remember(ctx, key, exp); !fresh || err != nil {
			t.Fatalf("Local, new key %d: fresh=%v err=%v, want fresh", i, fresh, err)
		}
		if fresh, err := caches[Local].Remember(ctx, key, exp); fresh || err != nil {
			t.Fatalf("Local, key %d again: fresh=%v err=%v, want a replay", i, fresh, err)
		}
		if fresh, err := caches[Local].Remember(ctx, "before", exp); fresh || err != nil {
			t.Fatalf("Local, a key from before the outage: fresh=%v err=%v, want a replay", fresh, err)
		}
	}
	for mode, rc := range caches {
		if rc.Available() {
			t.Errorf("%v: the breaker did not open", mode)
		}
	}
	_, err := caches[FailClosed].Remember(ctx, "open", exp)
	if !errors.Is(err, ErrReplayUnavailable) || !strings.Contains(err.Error(), "circuit breaker open") {
		t.Errorf("FailClosed with the breaker open: %v", err)
	}
	srv.Restart()
	for mode, rc := range caches {
		for deadline := time.Now().Add(5 * time.Second); !rc.Available(); time.Sleep(5 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("%v: the breaker stayed open after Redis came back", mode)
			}
		}
	}
	// Redis lost everything (no persistence); Local still refuses what this
	// instance saw during the outage.
	if fresh, err := caches[Local].Remember(ctx, "during-0", exp); fresh || err != nil {
		t.Errorf("Local after the outage, a key seen during it: fresh=%v err=%v, want a replay", fresh, err)
	}
	for mode, rc := range caches {
		if fresh, err := rc.Remember(ctx, "after", exp); !fresh || err != nil {
			t.Errorf("%v after the outage: fresh=%v err=%v", mode, fresh, err)
		}
		if fresh, err := rc.Remember(ctx, "after", exp); fresh || err != nil {
			t.Errorf("%v after the outage, again: fresh=%v err=%v, want a replay", mode, fresh, err)
		}
	}
}

// TestReplayCacheTimeout: a Redis that accepts but never answers costs at
// most the per-call deadline, and a caller's own deadline is not counted
// against Redis.
func TestReplayCacheTimeout(t *testing.T) {
	t.Parallel()
	rc := newTestReplayCache(t, newReplayClient(t, redistest.Silent(t)), ReplayConfig{Timeout: 30 * time.Millisecond, BreakerFailures: 2})
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := rc.Remember(canceled, "k", time.Now().Add(time.Minute)); !errors.Is(err, context.Canceled) {
		t.Fatalf("with a canceled context: %v, want context.Canceled", err)
	}
	if !rc.Available() {
		t.Fatal("the caller's canceled context opened the breaker")
	}
	for i := range 4 {
		start := time.Now()
		fresh, err := rc.Remember(context.Background(), "k", time.Now().Add(time.Minute))
		took := time.Since(start)
		if fresh || !errors.Is(err, ErrReplayUnavailable) {
			t.Fatalf("call %d: fresh=%v err=%v, want ErrReplayUnavailable", i, fresh, err)
		}
		if took > 500*time.Millisecond {
			t.Errorf("call %d took %v with a 30ms deadline", i, took)
		}
	}
	if rc.Available() {
		t.Error("two timeouts did not open the breaker")
	}
}

func TestNewReplayCacheConfig(t *testing.T) {
	t.Parallel()
	good := newReplayClient(t, "127.0.0.1:1")
	noDeadlines := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	defer noDeadlines.Close()
	for _, tc := range []struct {
		name   string
		client redis.UniversalClient
		cfg    ReplayConfig
	}{
		{"nil client", nil, ReplayConfig{}},
		{"client ignores deadlines", noDeadlines, ReplayConfig{}},
		{"negative timeout", good, ReplayConfig{Timeout: -1}},
		{"negative breaker failures", good, ReplayConfig{BreakerFailures: -1}},
		{"negative probe interval", good, ReplayConfig{ProbeInterval: -1}},
		{"negative local entries", good, ReplayConfig{OnError: Local, LocalMaxEntries: -1}},
		{"unknown mode", good, ReplayConfig{OnError: Local + 1}},
		{"negative mode", good, ReplayConfig{OnError: -1}},
	} {
		if _, err := NewReplayCache(tc.client, tc.cfg); !errors.Is(err, auth.ErrInvalidConfig) {
			t.Errorf("%s: %v, want auth.ErrInvalidConfig", tc.name, err)
		}
	}
	rc, err := NewReplayCache(good, ReplayConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	if rc.prefix != DefaultReplayPrefix || rc.timeout != DefaultReplayTimeout || rc.mode != FailClosed || rc.local != nil {
		t.Errorf("defaults: %v, timeout %v", rc, rc.timeout)
	}
	if got := rc.String(); got != `redisstore.ReplayCache(prefix="apishield:replay:", on_error=fail_closed)` {
		t.Errorf("String() = %s", got)
	}
}

// TestReplayCacheMetrics reads back the round trips, replays, failures by
// mode and the breaker's state.
func TestReplayCacheMetrics(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	m := telemetrytest.NewMetrics(t)
	rc := newTestReplayCache(t, newReplayClient(t, srv.Addr), ReplayConfig{OnError: Local, MeterProvider: m, ProbeInterval: time.Hour})
	defer runtime.KeepAlive(rc)
	ctx := context.Background()
	exp := time.Now().Add(time.Minute)
	for range 3 {
		rc.Remember(ctx, "k", exp)
	}
	store := attribute.String("store", "redis")
	if v, _ := m.Value("apishield.auth.replay_cache.duration", store, attribute.String("outcome", "ok")); v != 3 {
		t.Errorf("round trips ok = %v, want 3", v)
	}
	if v, _ := m.Value("apishield.auth.replay_cache.replays", store); v != 2 {
		t.Errorf("replays = %v, want 2", v)
	}
	if v, ok := m.Value("apishield.auth.replay_cache.breaker.state", store); !ok || v != 0 {
		t.Errorf("breaker state = %v, %v; want 0", v, ok)
	}
	srv.Stop()
	for i := range 5 {
		rc.Remember(ctx, "down-"+strconv.Itoa(i), exp)
	}
	if v, _ := m.Value("apishield.auth.replay_cache.duration", store, attribute.String("outcome", "error")); v != 3 {
		t.Errorf("round trips failed = %v, want 3 (then the breaker answered)", v)
	}
	if v, _ := m.Value("apishield.auth.replay_cache.errors", store, attribute.String("mode", "local")); v != 5 {
		t.Errorf("errors answered locally = %v, want 5", v)
	}
	if v, _ := m.Value("apishield.auth.replay_cache.breaker.state", store); v != 2 {
		t.Errorf("breaker state = %v, want 2 (open)", v)
	}
	// The Local mode's memory cache reports as auth's: every fresh key
	// written through, and the five of the outage.
	if v, _ := m.Value("apishield.auth.replay_cache.entries", attribute.String("store", "memory")); v != 6 {
		t.Errorf("local entries = %v, want 6", v)
	}
	if sc := m.Collect()["apishield.auth.replay_cache.duration"]; sc.Scope != "github.com/apishield/apishield/auth/redisstore" || sc.Unit != "s" {
		t.Errorf("duration scope, unit = %q, %q", sc.Scope, sc.Unit)
	}
}

// TestReplayCacheLocalFull: a full local cache does not overrule Redis
// while Redis answers, and refuses new keys (fails closed) while Redis is
// down.
func TestReplayCacheLocalFull(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	rc := newTestReplayCache(t, newReplayClient(t, srv.Addr), ReplayConfig{OnError: Local, LocalMaxEntries: 1, Timeout: 200 * time.Millisecond})
	ctx := context.Background()
	exp := time.Now().Add(time.Hour)
	for _, key := range []string{"a", "b"} {
		if fresh, err := rc.Remember(ctx, key, exp); !fresh || err != nil {
			t.Fatalf("%s with Redis up and the local cache full: fresh=%v err=%v, want fresh", key, fresh, err)
		}
	}
	srv.Stop()
	if fresh, err := rc.Remember(ctx, "a", exp); fresh || err != nil {
		t.Errorf("a during the outage: fresh=%v err=%v, want a replay", fresh, err)
	}
	if fresh, err := rc.Remember(ctx, "c", exp); fresh || !errors.Is(err, auth.ErrReplayCacheFull) {
		t.Errorf("c during the outage: fresh=%v err=%v, want auth.ErrReplayCacheFull", fresh, err)
	}
}
