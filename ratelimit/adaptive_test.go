package ratelimit

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/apishield/apishield/internal/record"
)

// TestAdaptiveFallsAndRecovers drives an adaptive limiter with 40 clients
// against a handler that takes 10ms, then 200ms (an injected slowdown), then
// 10ms again: the limit falls during the slowdown, excess requests get 503,
// and the limit grows back after it.
func TestAdaptiveFallsAndRecovers(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		a, err := NewAdaptive(AdaptiveConfig{Initial: 40, Max: 200})
		if err != nil {
			t.Fatal(err)
		}
		var latency atomic.Int64
		latency.Store(int64(10 * time.Millisecond))
		h := a.Handler(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			time.Sleep(time.Duration(latency.Load()))
		}))
		var shed atomic.Int64
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for range 40 {
			wg.Go(func() {
				for {
					select {
					case <-stop:
						return
					default:
					}
					w := httptest.NewRecorder()
					h.ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
					if w.Code == http.StatusServiceUnavailable {
						if w.Header().Get("Retry-After") == "" || !strings.Contains(w.Body.String(), "overloaded") {
							t.Errorf("shed response %d %v %s", w.Code, w.Header(), w.Body)
						}
						shed.Add(1)
						time.Sleep(10 * time.Millisecond) // a client backing off
					}
				}
			})
		}
		time.Sleep(3 * time.Second)
		healthy := a.Limit()
		if healthy < 40 {
			t.Fatalf("limit %d under healthy load, want it at or above the initial 40", healthy)
		}

		latency.Store(int64(200 * time.Millisecond))
		time.Sleep(5 * time.Second)
		slow := a.Limit()
		if slow >= healthy/2 {
			t.Fatalf("limit %d during the slowdown, want well below %d", slow, healthy)
		}
		if shed.Load() == 0 {
			t.Error("no request was shed during the slowdown")
		}

		latency.Store(int64(10 * time.Millisecond))
		time.Sleep(10 * time.Second)
		if got := a.Limit(); got < 2*slow || got < 20 {
			t.Fatalf("limit %d after recovery (slow %d, healthy %d), want it grown back", got, slow, healthy)
		}
		t.Logf("limit: healthy %d, slowdown %d, recovered %d; shed %d", healthy, slow, a.Limit(), shed.Load())
		close(stop)
		wg.Wait()
		if n := a.InFlight(); n != 0 {
			t.Fatalf("in flight %d after the load, want 0", n)
		}
	})
}

func TestAdaptiveCountsFailures(t *testing.T) {
	t.Parallel()
	a, _ := NewAdaptive(AdaptiveConfig{Initial: 10, Latency: time.Hour})
	fail := a.Handler(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusBadGateway) }))
	fail.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	if got := a.Limit(); got != 9 {
		t.Fatalf("limit %d after a 502, want 9", got)
	}
	panicking := a.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("x") }))
	func() {
		defer func() { _ = recover() }()
		time.Sleep(time.Millisecond) // one decrease per latency: let the last one age
		panicking.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	}()
	if a.InFlight() != 0 || a.Limit() != 8 {
		t.Fatalf("after a panic: in flight %d, limit %d; want 0 and 8", a.InFlight(), a.Limit())
	}
	for _, cfg := range []AdaptiveConfig{{Min: 5, Max: 4}, {Initial: 2000}, {Backoff: 1}, {Tolerance: 0.5}, {Latency: -1}} {
		if _, err := NewAdaptive(cfg); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("NewAdaptive(%+v): %v", cfg, err)
		}
	}
}

func TestConcurrency(t *testing.T) {
	t.Parallel()
	c, err := NewConcurrency(ConcurrencyConfig{Max: 3, PerKey: 2, Key: BySubject()})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if !c.Acquire("a") {
			t.Fatalf("acquire %d for a refused", i)
		}
	}
	if c.Acquire("a") {
		t.Fatal("third for a admitted beyond PerKey 2")
	}
	if !c.Acquire("b") {
		t.Fatal("b refused")
	}
	if c.Acquire("c") {
		t.Fatal("admitted beyond Max 3")
	}
	c.Release("a")
	if !c.Acquire("c") {
		t.Fatal("c refused after a release")
	}
	if got := c.InFlight(); got != 3 {
		t.Fatalf("in flight %d, want 3", got)
	}
	for _, k := range []string{"a", "b", "c"} {
		c.Release(k)
	}
	if got := c.InFlight(); got != 0 {
		t.Fatalf("in flight %d, want 0", got)
	}

	// Over HTTP: a blocked handler holds the only slot; the next request is shed.
	one, _ := NewConcurrency(ConcurrencyConfig{Max: 1})
	release, entered := make(chan struct{}), make(chan struct{})
	h := one.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { close(entered); <-release }))
	done := make(chan struct{})
	go func() { h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil)); close(done) }()
	<-entered
	w, rec := serve(h, httptest.NewRequest("GET", "/", nil))
	if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") != "1" {
		t.Fatalf("second request: %d %v", w.Code, w.Header())
	}
	if ds := rec.Decisions(); ds[0].Outcome != record.Deny || ds[0].Rule != "concurrency" {
		t.Errorf("decisions %+v", ds)
	}
	close(release)
	<-done
	for _, cfg := range []ConcurrencyConfig{{}, {PerKey: 1}, {Max: -1}} {
		if _, err := NewConcurrency(cfg); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("NewConcurrency(%+v): %v", cfg, err)
		}
	}
}
