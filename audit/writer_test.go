package audit

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestAsyncNeverWaitsForASlowSink holds the only sink completely still and
// serves requests: every request completes, the overflow is dropped and
// counted, and OnDrop hears of each drop.
func TestAsyncNeverWaitsForASlowSink(t *testing.T) {
	t.Parallel()
	gate := newGate()
	var onDrop atomic.Uint64
	a, err := New(Config{Handlers: []slog.Handler{gate}, QueueSize: 2, OnDrop: func(n uint64) { onDrop.Store(n) }})
	if err != nil {
		t.Fatal(err)
	}
	h := a.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	serve := func() { h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil)) }
	serve()
	<-gate.entered // the writer is now stuck inside the sink with event 1
	const n = 50
	for range n {
		serve() // would deadlock here if the request path waited for the sink
	}
	s := a.Stats()
	if s.Dropped != n-2 || onDrop.Load() != n-2 {
		t.Errorf("Dropped = %d, OnDrop saw %d; want %d (queue of 2 full behind a stuck sink)", s.Dropped, onDrop.Load(), n-2)
	}
	if s.Requests != n+1 {
		t.Errorf("Requests = %d, want %d: counted even when dropped", s.Requests, n+1)
	}
	close(gate.gate)
	if err := a.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := gate.count(); got != 3 {
		t.Errorf("sink got %d events, want 3 (1 in flight + 2 queued)", got)
	}
}

// TestBlockingLosesNothing runs many concurrent requests through a queue of
// one in front of a sink that is held, then released: every event arrives.
func TestBlockingLosesNothing(t *testing.T) {
	t.Parallel()
	gate := newGate()
	a, err := New(Config{Handlers: []slog.Handler{gate}, QueueSize: 1, Blocking: true})
	if err != nil {
		t.Fatal(err)
	}
	h := a.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	const n = 40
	var wg sync.WaitGroup
	var done atomic.Int32
	for range n {
		wg.Go(func() {
			h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
			done.Add(1)
		})
	}
	<-gate.entered
	// With the sink held, at most 1 event is in the sink and 1 queued; the
	// other requests are held back instead of dropping their events.
	if d := done.Load(); d > 2 {
		t.Errorf("%d requests finished while the sink held 1 event and the queue 1", d)
	}
	close(gate.gate)
	wg.Wait()
	if err := a.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got, s := gate.count(), a.Stats(); got != n || s.Dropped != 0 || s.Emitted != n {
		t.Errorf("sink got %d, Emitted %d, Dropped %d; want %d, %d, 0", got, s.Emitted, s.Dropped, n, n)
	}
}

func TestBlockingLogHonoursContext(t *testing.T) {
	t.Parallel()
	gate := newGate()
	a, err := New(Config{Handlers: []slog.Handler{gate}, QueueSize: 1, Blocking: true})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { close(gate.gate); a.Close(context.Background()) }()
	a.Log(context.Background(), Event{Action: "user_created"})
	<-gate.entered
	a.Log(context.Background(), Event{Action: "user_created"}) // fills the queue
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := a.Log(ctx, Event{Action: "user_created"}); !errors.Is(err, context.Canceled) {
		t.Errorf("Log with a full queue and a canceled context = %v, want context.Canceled", err)
	}
}

func TestCloseFlushesAndLaterEventsAreWritten(t *testing.T) {
	t.Parallel()
	a, flush, buf := newTest(t, Config{QueueSize: 1000})
	h := a.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	for range 200 {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	}
	if err := a.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := len(parseLines(t, buf.String())); n != 200 {
		t.Fatalf("%d lines after Close, want all 200", n)
	}
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	a.Log(context.Background(), Event{Action: "user_deleted"})
	if n := len(flush()); n != 202 {
		t.Errorf("%d lines, want the 2 events after Close written too", n)
	}
	if err := a.Close(context.Background()); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestCloseReturnsWhenContextEnds(t *testing.T) {
	t.Parallel()
	gate := newGate()
	a, err := New(Config{Handlers: []slog.Handler{gate}})
	if err != nil {
		t.Fatal(err)
	}
	a.Log(context.Background(), Event{Action: "user_created"})
	<-gate.entered
	ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
	defer cancel()
	if err := a.Close(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Close with a stuck sink = %v, want DeadlineExceeded", err)
	}
	close(gate.gate)
	if err := a.Close(context.Background()); err != nil {
		t.Errorf("Close after the sink recovered: %v", err)
	}
}

// TestConcurrentRequestsAndClose races requests, Log and Close under -race.
func TestConcurrentRequestsAndClose(t *testing.T) {
	t.Parallel()
	a, flush, buf := newTest(t, Config{QueueSize: 4, Blocking: true, ChainKey: make32()})
	h := a.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 25 {
				h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
				a.Log(context.Background(), Event{Action: "user_updated"})
			}
		})
	}
	wg.Go(func() { a.Close(context.Background()) })
	wg.Wait()
	if n := len(flush()); n != 400 {
		t.Errorf("%d lines, want 400: blocking mode loses nothing, even across Close", n)
	}
	if res, err := Verify(strings.NewReader(buf.String()), make32()); err != nil || res.Events != 400 {
		t.Errorf("Verify = %+v, %v; want one unbroken chain across Close", res, err)
	}
}

func make32() []byte {
	k := make([]byte, 32)
	for i := range k {
		k[i] = byte(i)
	}
	return k
}
