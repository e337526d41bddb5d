package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

func newTestLimiter(t testing.TB, ps ...Policy) *Limiter {
	t.Helper()
	l, err := newLimiter(Config{Policies: ps})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestPolicyValidation(t *testing.T) {
	t.Parallel()
	ok := Policy{Name: "p", Limit: 10, Period: time.Second}
	for _, tc := range []struct {
		name string
		ps   []Policy
	}{
		{"none", nil},
		{"too many", []Policy{ok, {Name: "b", Limit: 1, Period: time.Second}, {Name: "c", Limit: 1, Period: time.Second}, {Name: "d", Limit: 1, Period: time.Second}, {Name: "e", Limit: 1, Period: time.Second}}},
		{"no name", []Policy{{Limit: 1, Period: time.Second}}},
		{"bad name", []Policy{{Name: `a"b`, Limit: 1, Period: time.Second}}},
		{"long name", []Policy{{Name: "abcdefghijklmnopqrstuvwxyz0123456789", Limit: 1, Period: time.Second}}},
		{"zero limit", []Policy{{Name: "p", Period: time.Second}}},
		{"negative burst", []Policy{{Name: "p", Limit: 1, Burst: -1, Period: time.Second}}},
		{"short period", []Policy{{Name: "p", Limit: 1, Period: time.Microsecond}}},
		{"long period", []Policy{{Name: "p", Limit: 1, Period: 400 * 24 * time.Hour}}},
		{"finer than a microsecond", []Policy{{Name: "p", Limit: 2000, Period: time.Millisecond}}},
		{"duplicate", []Policy{ok, ok}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := New(Config{Policies: tc.ps, Key: BySubject()})
			if !errors.Is(err, ErrInvalidConfig) {
				t.Fatalf("New: got %v, want ErrInvalidConfig", err)
			}
		})
	}
	if _, err := New(Config{Policies: []Policy{ok}}); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("New without Key: got %v, want ErrInvalidConfig", err)
	}
	if _, err := New(Config{Policies: []Policy{ok}, Key: BySubject(), OnStoreError: Local}); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("Local without LocalShare: got %v, want ErrInvalidConfig", err)
	}
	if _, err := New(Config{Name: "a b", Policies: []Policy{ok}, Key: BySubject()}); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("bad Name: got %v, want ErrInvalidConfig", err)
	}
	l, err := New(Config{Policies: []Policy{ok}, Key: BySubject()})
	if err != nil {
		t.Fatal(err)
	}
	if got := l.Policies()[0].Burst; got != 10 {
		t.Errorf("default Burst: got %d, want Limit 10", got)
	}
}

// TestBurstThenRate: a fresh key gets exactly Burst at once, then one unit
// per interval, and Retry-After says exactly when.
func TestBurstThenRate(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		l := newTestLimiter(t, Policy{Name: "p", Limit: 10, Period: time.Second, Burst: 5})
		ctx := context.Background()
		for i := range 5 {
			d, err := l.Allow(ctx, "k", 1)
			if err != nil || !d.Allowed {
				t.Fatalf("request %d: got allowed=%v err=%v, want allowed", i, d.Allowed, err)
			}
			if got, want := d.Result(0).Remaining, 4-i; got != want {
				t.Errorf("request %d: remaining %d, want %d", i, got, want)
			}
		}
		d, _ := l.Allow(ctx, "k", 1)
		if d.Allowed {
			t.Fatal("6th request in a burst of 5 admitted")
		}
		if d.RetryAfter != 100*time.Millisecond {
			t.Errorf("RetryAfter %v, want 100ms", d.RetryAfter)
		}
		time.Sleep(d.RetryAfter - time.Microsecond)
		if d, _ := l.Allow(ctx, "k", 1); d.Allowed {
			t.Fatal("admitted before RetryAfter")
		}
		time.Sleep(time.Microsecond)
		if d, _ := l.Allow(ctx, "k", 1); !d.Allowed {
			t.Fatal("denied at RetryAfter")
		}
		// Other keys are independent.
		if d, _ := l.Allow(ctx, "other", 5); !d.Allowed {
			t.Fatal("other key denied")
		}
		// After a full refill the bucket holds Burst again, not more.
		time.Sleep(time.Hour)
		if d, _ := l.Allow(ctx, "k", 5); !d.Allowed || d.Result(0).Remaining != 0 {
			t.Fatalf("after refill: allowed=%v remaining=%d, want allowed with 0 left", d.Allowed, d.Result(0).Remaining)
		}
	})
}

// TestAllOrNothing: a request denied by one policy consumes nothing from
// the others.
func TestAllOrNothing(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		l := newTestLimiter(t,
			Policy{Name: "second", Limit: 10, Period: time.Second},
			Policy{Name: "minute", Limit: 12, Period: time.Minute})
		ctx := context.Background()
		for range 10 {
			if d, _ := l.Allow(ctx, "k", 1); !d.Allowed {
				t.Fatal("denied within both limits")
			}
		}
		for range 50 {
			d, _ := l.Allow(ctx, "k", 1)
			if d.Allowed {
				t.Fatal("admitted beyond the per-second burst")
			}
			if r := d.Result(1); !r.Allowed || r.Remaining != 2 {
				t.Fatalf("minute policy: %+v, want admitting with 2 left (nothing spent)", r)
			}
		}
		time.Sleep(time.Second)
		d, _ := l.Allow(ctx, "k", 3)
		if d.Allowed || !d.Result(0).Allowed || d.Result(1).Allowed {
			t.Fatalf("cost 3 with 2 left per minute: %+v", d)
		}
		if got := d.Deciding(); got != 1 {
			t.Errorf("Deciding: %d, want the minute policy", got)
		}
		// At 1s the minute policy's arrival time is 50s and its tolerance
		// 60s: cost 3 needs 50+15-60 = 5s, that is 4s from now.
		if d.RetryAfter != 4*time.Second {
			t.Errorf("RetryAfter %v, want 4s", d.RetryAfter)
		}
		if d, _ := l.Allow(ctx, "k", 2); !d.Allowed {
			t.Fatal("cost 2 denied although both policies have room")
		}
	})
}

func TestCostExceedsBurstAndBadCost(t *testing.T) {
	t.Parallel()
	l := newTestLimiter(t, Policy{Name: "p", Limit: 10, Period: time.Second, Burst: 3})
	d, err := l.Allow(context.Background(), "k", 4)
	if err != nil || d.Allowed || !d.CostExceedsBurst || d.RetryAfter != 0 {
		t.Fatalf("cost 4 > burst 3: %+v, %v; want CostExceedsBurst with no RetryAfter", d, err)
	}
	if d, _ := l.Allow(context.Background(), "k", 3); !d.Allowed {
		t.Fatal("the refused oversize cost consumed something")
	}
	if _, err := l.Allow(context.Background(), "k", -1); !errors.Is(err, ErrInvalidCost) {
		t.Fatalf("negative cost: %v, want ErrInvalidCost", err)
	}
	d, _ = l.Allow(context.Background(), "k", 0)
	if !d.Allowed || d.Result(0).Remaining != 0 {
		t.Fatalf("cost 0 on an empty bucket: %+v, want allowed, 0 remaining", d)
	}
}

// TestUnevenRateNeverExceeds: a rate that does not divide into whole
// microseconds is rounded so that it never admits more than Limit per Period.
func TestUnevenRateNeverExceeds(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		l := newTestLimiter(t, Policy{Name: "p", Limit: 3, Period: time.Second, Burst: 1})
		n := 0
		for range 3000 {
			if d, _ := l.Allow(context.Background(), "k", 1); d.Allowed {
				n++
			}
			time.Sleep(time.Millisecond)
		}
		// 3 s elapsed: at most 1 (burst) + 3 per second.
		if n > 10 || n < 9 {
			t.Fatalf("admitted %d in 3s at 3/s burst 1, want 9 or 10", n)
		}
	})
}

// TestConcurrentExact: many goroutines on one key admit exactly the burst.
func TestConcurrentExact(t *testing.T) {
	t.Parallel()
	l := newTestLimiter(t, Policy{Name: "p", Limit: 500, Period: time.Hour})
	var admitted atomic.Int64
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for range 100 {
				if d, _ := l.Allow(context.Background(), "k", 1); d.Allowed {
					admitted.Add(1)
				}
			}
		})
	}
	wg.Wait()
	if got := admitted.Load(); got != 500 {
		t.Fatalf("admitted %d of 1600, want exactly 500", got)
	}
}

// TestMemoryStoreExpires: keys whose buckets are full again are dropped, and
// MaxKeys bounds the store.
func TestMemoryStoreExpires(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		s, err := NewMemoryStore(MemoryConfig{MaxKeys: 64 * 1024})
		if err != nil {
			t.Fatal(err)
		}
		l, _ := newLimiter(Config{Store: s, Policies: []Policy{{Name: "p", Limit: 1, Period: time.Second}}})
		ctx := context.Background()
		key := func(i int) string { return string(rune('a'+i%26)) + string(rune(i)) }
		for i := range 40000 {
			l.Allow(ctx, key(i), 1)
		}
		if n := s.Len(); n < 30000 {
			t.Fatalf("Len %d after 40000 fresh keys within their period, want them kept", n)
		}
		time.Sleep(2 * time.Second)
		for i := range 40000 {
			l.Allow(ctx, key(40000+i), 1)
		}
		if n := s.Len(); n > 45000 {
			t.Fatalf("Len %d: expired keys were not swept", n)
		}
		for i := range 200000 {
			l.Allow(ctx, key(100000+i), 1)
		}
		if n := s.Len(); n > 64*1024 {
			t.Fatalf("Len %d exceeds MaxKeys", n)
		}
	})
	if _, err := NewMemoryStore(MemoryConfig{MaxKeys: -1}); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("negative MaxKeys: %v", err)
	}
}

// Limiters with different numbers of policies share one store and one
// bound: a store full of one kind of key that still owes time has no room
// for another kind until those keys refill, and never forgets them.
func TestMemoryStoreMixedPolicies(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		const maxKeys = 64 * 64
		s, err := NewMemoryStore(MemoryConfig{MaxKeys: maxKeys})
		if err != nil {
			t.Fatal(err)
		}
		hour := []Policy{{Name: "h", Limit: 1, Period: time.Hour}}
		three := []Policy{{Name: "a", Limit: 1, Period: time.Hour}, {Name: "b", Limit: 2, Period: time.Hour}, {Name: "c", Limit: 3, Period: time.Hour}}
		one, _ := newLimiter(Config{Name: "one", Store: s, Policies: hour})
		tri, _ := newLimiter(Config{Name: "tri", Store: s, Policies: three})
		ctx := context.Background()
		var held []string
		for i := range 3 * maxKeys {
			k := strconv.Itoa(i)
			d, err := one.Allow(ctx, k, 1)
			switch {
			case err == nil && d.Allowed:
				held = append(held, k)
			case !errors.Is(err, ErrStoreFull) || d.Allowed:
				t.Fatalf("one-policy key %d: got %+v, %v; want admitted or ErrStoreFull", i, d, err)
			}
		}
		if n := s.Len(); n != maxKeys || len(held) != maxKeys {
			t.Fatalf("got Len %d, %d keys admitted after %d one-policy keys; want both %d", n, len(held), 3*maxKeys, maxKeys)
		}
		// Every one-policy key owes an hour: no room for three-policy keys.
		for i := range 100 {
			d, err := tri.Allow(ctx, strconv.Itoa(i), 1)
			if !errors.Is(err, ErrStoreFull) || d.Allowed || d.RetryAfter <= 0 || d.RetryAfter > 75*time.Minute {
				t.Fatalf("three-policy key %d in a full store: got %+v, %v; want ErrStoreFull within 75m", i, d, err)
			}
		}
		for _, k := range held {
			if d, err := one.Allow(ctx, k, 1); err != nil || d.Allowed {
				t.Fatalf("held key %s after the flood: got %+v, %v; want still denied", k, d, err)
			}
		}
		time.Sleep(time.Hour)
		for i := range maxKeys / 2 {
			if d, err := tri.Allow(ctx, strconv.Itoa(i), 1); err != nil || !d.Allowed {
				t.Fatalf("three-policy key %d an hour later: got %+v, %v; want admitted", i, d, err)
			}
		}
		if n := s.Len(); n > maxKeys {
			t.Fatalf("Len %d exceeds MaxKeys %d", n, maxKeys)
		}
	})
}

// TestMemoryStoreNeverForgives: a flood of other keys against a full store
// does not give an exhausted key its budget back. The flood is refused
// with ErrStoreFull and a Retry-After, and gets in once keys refill.
func TestMemoryStoreNeverForgives(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		// One key per shard: the smallest store, where any new key in the
		// victim's shard must evict it or be refused.
		s, err := NewMemoryStore(MemoryConfig{MaxKeys: memShards})
		if err != nil {
			t.Fatal(err)
		}
		l, _ := newLimiter(Config{Name: "ip", Store: s, Policies: []Policy{{Name: "p", Limit: 2, Period: time.Minute}}})
		ctx := context.Background()
		for i := range 2 {
			if d, err := l.Allow(ctx, "victim", 1); err != nil || !d.Allowed {
				t.Fatalf("victim's request %d: got %+v, %v; want admitted", i, d, err)
			}
		}
		// Fill every shard with exhausted keys, then flood.
		admitted, full := 0, 0
		for i := range 20 * memShards {
			k := "flood-" + strconv.Itoa(i)
			d, err := l.Allow(ctx, k, 1)
			switch {
			case err == nil && d.Allowed:
				admitted++
				l.Allow(ctx, k, 1) // spend the rest of its burst
			case errors.Is(err, ErrStoreFull) && !d.Allowed && d.RetryAfter > 0 && d.RetryAfter <= 75*time.Second:
				full++
			default:
				t.Fatalf("flood key %d: got %+v, %v; want admitted or ErrStoreFull within 75s", i, d, err)
			}
		}
		d, err := l.Allow(ctx, "victim", 1)
		if err != nil || d.Allowed || d.RetryAfter <= 0 || d.RetryAfter > 30*time.Second {
			t.Fatalf("victim after the flood: got %+v, %v; want still denied, retry within 30s", d, err)
		}
		if admitted != memShards-1 || full != 20*memShards-admitted {
			t.Fatalf("flood: got %d admitted, %d refused as full; want %d admitted (a free shard each), the rest refused", admitted, full, memShards-1)
		}
		time.Sleep(d.RetryAfter - time.Millisecond)
		if d, err := l.Allow(ctx, "victim", 1); err != nil || d.Allowed {
			t.Fatalf("victim just before its time: got %+v, %v; want denied", d, err)
		}
		time.Sleep(time.Millisecond)
		if d, err := l.Allow(ctx, "victim", 1); err != nil || !d.Allowed {
			t.Fatalf("victim at its time: got %+v, %v; want admitted", d, err)
		}
		// A minute on, every bucket has refilled: in each shard, one new
		// key takes the expired key's place.
		time.Sleep(time.Minute)
		admitted = 0
		for i := range 20 * memShards {
			d, err := l.Allow(ctx, "late-"+strconv.Itoa(i), 1)
			switch {
			case err == nil && d.Allowed:
				admitted++
			case !errors.Is(err, ErrStoreFull) || d.Allowed:
				t.Fatalf("late key %d: got %+v, %v; want admitted or ErrStoreFull", i, d, err)
			}
		}
		if admitted != memShards {
			t.Fatalf("late keys: got %d admitted, want one per shard (%d)", admitted, memShards)
		}
	})
}

// The memory store called directly refuses what no limiter sends: a
// negative cost would give units back, and a key's state is sized by its
// policies. (The Redis store's test is in redisstore.)
func TestStoresRefuseBadRequests(t *testing.T) {
	t.Parallel()
	ps, err := validatePolicies([]Policy{{Name: "p", Limit: 1, Period: time.Hour}})
	if err != nil {
		t.Fatal(err)
	}
	five := make([]Policy, MaxPolicies+1)
	for i := range five {
		five[i] = ps[0]
		five[i].Name = "p" + strconv.Itoa(i)
	}
	ms, _ := NewMemoryStore(MemoryConfig{})
	ctx := context.Background()
	for _, tc := range []struct {
		req  Request
		want error
	}{
		{Request{Namespace: "n", Key: "k", Cost: -1, Policies: ps}, ErrInvalidCost},
		{Request{Namespace: "n", Key: "k", Cost: 1}, ErrInvalidConfig},
		{Request{Namespace: "n", Key: "k", Cost: 1, Policies: five}, ErrInvalidConfig},
	} {
		var d Decision
		if err := ms.Take(ctx, &tc.req, &d); !errors.Is(err, tc.want) {
			t.Errorf("cost %d, %d policies: %v, want %v", tc.req.Cost, len(tc.req.Policies), err, tc.want)
		}
	}
	// The memory store still holds nothing: the negative cost gave
	// nothing back and created no key.
	if n := ms.Len(); n != 0 {
		t.Errorf("memory store holds %d keys after refusals", n)
	}
}

type failingStore struct{ err error }

func (f failingStore) Take(context.Context, *Request, *Decision) error { return f.err }

func TestFailureModes(t *testing.T) {
	t.Parallel()
	boom := errors.New("boom")
	ps := []Policy{{Name: "p", Limit: 10, Period: time.Second}}
	for _, tc := range []struct {
		mode    FailureMode
		allowed []bool
	}{
		{FailClosed, []bool{false, false, false}},
		{FailOpen, []bool{true, true, true}},
		{Local, []bool{true, true, false}}, // 10 × 0.25 = 2
	} {
		t.Run(tc.mode.String(), func(t *testing.T) {
			t.Parallel()
			l, err := New(Config{Store: failingStore{boom}, Policies: ps, Key: BySubject(), OnStoreError: tc.mode, LocalShare: 0.25})
			if err != nil {
				t.Fatal(err)
			}
			for i, want := range tc.allowed {
				d, err := l.Allow(context.Background(), "k", 1)
				if !errors.Is(err, ErrUnavailable) || !errors.Is(err, boom) {
					t.Fatalf("err %v, want ErrUnavailable wrapping the store's error", err)
				}
				if d.Allowed != want || !d.Fallback {
					t.Fatalf("request %d: allowed=%v fallback=%v, want %v, true", i, d.Allowed, d.Fallback, want)
				}
				if !want && tc.mode == FailClosed && d.RetryAfter != DefaultUnavailableRetryAfter {
					t.Errorf("RetryAfter %v", d.RetryAfter)
				}
			}
		})
	}
	// A caller that gave up is not a store failure.
	l, _ := New(Config{Store: failingStore{context.Canceled}, Policies: ps, Key: BySubject(), OnStoreError: FailOpen})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if d, err := l.Allow(ctx, "k", 1); !errors.Is(err, context.Canceled) || errors.Is(err, ErrUnavailable) || d.Allowed {
		t.Fatalf("canceled: %+v %v", d, err)
	}
}

// fullStore is a Store wrapper (such as an instrumented memory store) whose
// store is full: it refuses like a MemoryStore, with a wait.
type fullStore struct{}

func (fullStore) Take(_ context.Context, _ *Request, d *Decision) error {
	*d = Decision{RetryAfter: 90 * time.Second}
	return fmt.Errorf("wrapped: %w", ErrStoreFull)
}

// TestStoreFullIsNotAFailure: a full store's refusal is a decision, which
// no failure mode turns into an admission, and which the local limiter of
// the Local mode makes too when it is full.
func TestStoreFullIsNotAFailure(t *testing.T) {
	t.Parallel()
	ps := []Policy{{Name: "p", Limit: 10, Period: time.Second}}
	for _, mode := range []FailureMode{FailClosed, FailOpen, Local} {
		t.Run(mode.String(), func(t *testing.T) {
			t.Parallel()
			l := MustNew(Config{Store: fullStore{}, Policies: ps, Key: mustByIP(t, IPConfig{}), OnStoreError: mode, LocalShare: 0.5})
			d, err := l.Allow(context.Background(), "k", 1)
			if !errors.Is(err, ErrStoreFull) || errors.Is(err, ErrUnavailable) || d.Allowed || d.Fallback || d.RetryAfter != 90*time.Second {
				t.Fatalf("got %+v, %v; want a denial wrapping ErrStoreFull, retry in 90s", d, err)
			}
			w, _ := serve(l.Handler(okHandler), httptest.NewRequest("GET", "/", nil))
			if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") != "90" {
				t.Fatalf("handler: got %d, Retry-After %q; want 503, 90", w.Code, w.Header().Get("Retry-After"))
			}
		})
	}
	t.Run("local limiter full", func(t *testing.T) {
		t.Parallel()
		l := MustNew(Config{Store: failingStore{errors.New("down")}, Policies: ps, Key: BySubject(), OnStoreError: Local, LocalShare: 1})
		// Fill the local limiter's store: it has DefaultMaxKeys
		// room, a 64th per shard, so key its shards directly.
		ms := l.local.store.(*MemoryStore)
		ms.maxShard = 1
		refused := 0
		for i := range 20 * memShards {
			d, err := l.Allow(context.Background(), strconv.Itoa(i), 1)
			if errors.Is(err, ErrStoreFull) {
				if d.Allowed || d.RetryAfter <= 0 {
					t.Fatalf("key %d: got %+v; want a denial with a wait", i, d)
				}
				refused++
			} else if !errors.Is(err, ErrUnavailable) || !d.Allowed {
				t.Fatalf("key %d: got %+v, %v; want admitted locally or ErrStoreFull", i, d, err)
			}
		}
		if refused == 0 {
			t.Fatal("the full local store refused nobody")
		}
	})
}
