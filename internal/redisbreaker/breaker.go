// Package redisbreaker is the circuit breaker that apishield's Redis
// stores share (ratelimit/redisstore, auth/redisstore): after a number of
// consecutive failed calls it opens, so that calls fail at once without
// waiting for Redis, and a background probe PINGs Redis until it answers,
// then closes it.
//
// It is not part of apishield's API; each store documents the behaviour
// in its own terms.
package redisbreaker

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// States reported by [Breaker.State], the values of the stores' breaker
// gauges.
const (
	Closed   = 0
	HalfOpen = 1 // open, with a probe's PING in flight
	Open     = 2
)

// A Breaker counts consecutive failures of calls to one Redis client. It
// is safe for concurrent use; the zero value is not usable, call New.
type Breaker struct {
	client   redis.UniversalClient
	failures int
	timeout  time.Duration // bounds each probe's PING, with probe
	probe    time.Duration

	consecutive atomic.Int32
	open        atomic.Bool
	probing     atomic.Bool
	pinging     atomic.Bool // a probe's PING is in flight: the breaker is half-open
	closed      chan struct{}
	closeOnce   sync.Once
}

// New returns a closed breaker for client that opens after failures
// consecutive failures and then probes every probe interval, each PING
// bounded by the larger of timeout and probe.
func New(client redis.UniversalClient, failures int, timeout, probe time.Duration) *Breaker {
	return &Breaker{client: client, failures: failures, timeout: timeout, probe: probe, closed: make(chan struct{})}
}

// Allow reports whether calls may go to Redis: the breaker is closed.
func (b *Breaker) Allow() bool { return !b.open.Load() }

// Success records a call that Redis answered.
func (b *Breaker) Success() { b.consecutive.Store(0) }

// Failure counts a failed call and opens the breaker at the threshold,
// starting the probe. After Close the breaker no longer opens, since
// nothing would close it again.
func (b *Breaker) Failure() {
	if int(b.consecutive.Add(1)) < b.failures {
		return
	}
	select {
	case <-b.closed:
		return
	default:
	}
	if b.open.CompareAndSwap(false, true) && b.probing.CompareAndSwap(false, true) {
		go b.probeLoop()
	}
}

// Close stops the probe and leaves the breaker closed for good.
func (b *Breaker) Close() {
	b.closeOnce.Do(func() { close(b.closed) })
}

// State returns Closed, HalfOpen or Open.
func (b *Breaker) State() int {
	switch {
	case !b.open.Load():
		return Closed
	case b.pinging.Load():
		return HalfOpen
	}
	return Open
}

// probeLoop PINGs Redis until it answers, then closes the breaker. It
// clears probing before it closes the breaker, so a failure that reopens
// the breaker at once always finds no probe running and starts one.
func (b *Breaker) probeLoop() {
	t := time.NewTicker(b.probe)
	defer t.Stop()
	for {
		select {
		case <-b.closed:
			b.probing.Store(false)
			b.open.Store(false)
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), max(b.timeout, b.probe))
		b.pinging.Store(true)
		err := b.ping(ctx)
		b.pinging.Store(false)
		cancel()
		if err == nil {
			b.consecutive.Store(0)
			b.probing.Store(false)
			b.open.Store(false)
			return
		}
	}
}

// ping checks Redis through a short-lived client of its own where it can
// build one. go-redis stops dialling for up to a second once its pool has
// seen PoolSize failed dials, so probing through the calls' client would
// make it refuse Redis for that long after Redis is back.
func (b *Breaker) ping(ctx context.Context) error {
	switch c := b.client.(type) {
	case *redis.Client:
		o := *c.Options()
		o.PoolSize, o.MinIdleConns, o.MaxRetries, o.DialerRetries = 1, 0, -1, 1
		pc := redis.NewClient(&o)
		defer pc.Close()
		return pc.Ping(ctx).Err()
	case *redis.ClusterClient:
		o := *c.Options()
		o.PoolSize, o.MinIdleConns, o.MaxRetries, o.DialerRetries = 1, 0, -1, 1
		pc := redis.NewClusterClient(&o)
		defer pc.Close()
		return pc.Ping(ctx).Err()
	}
	return b.client.Ping(ctx).Err()
}

// DeadlinesEnabled reports whether client honours context deadlines, as
// a per-call timeout needs: for the go-redis clients, whether their
// options set ContextTimeoutEnabled. For other implementations it cannot
// tell and reports true.
func DeadlinesEnabled(client redis.UniversalClient) bool {
	switch c := client.(type) {
	case *redis.Client:
		return c.Options().ContextTimeoutEnabled
	case *redis.ClusterClient:
		return c.Options().ContextTimeoutEnabled
	case *redis.Ring:
		return c.Options().ContextTimeoutEnabled
	}
	return true
}
