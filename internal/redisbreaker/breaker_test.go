package redisbreaker

import (
	"net"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/apishield/apishield/internal/redistest"
)

func TestState(t *testing.T) {
	t.Parallel()
	b := New(nil, 1, time.Second, time.Hour)
	for _, c := range []struct {
		open, pinging bool
		want          int
	}{{false, false, Closed}, {true, false, Open}, {true, true, HalfOpen}} {
		b.open.Store(c.open)
		b.pinging.Store(c.pinging)
		if got := b.State(); got != c.want {
			t.Errorf("open=%v pinging=%v: state %d, want %d", c.open, c.pinging, got, c.want)
		}
	}
}

// TestOpensAndCloses: the threshold of consecutive failures opens the
// breaker, a success in between resets the count, and the probe closes it
// once Redis answers.
func TestOpensAndCloses(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	c := redis.NewClient(&redis.Options{Addr: srv.Addr, ContextTimeoutEnabled: true, MaxRetries: -1})
	defer c.Close()
	b := New(c, 3, 100*time.Millisecond, 10*time.Millisecond)
	defer b.Close()
	b.Failure()
	b.Failure()
	b.Success()
	b.Failure()
	b.Failure()
	if !b.Allow() {
		t.Fatal("opened after two consecutive failures, threshold 3")
	}
	srv.Stop()
	b.Failure()
	if b.Allow() {
		t.Fatal("still closed after three consecutive failures")
	}
	time.Sleep(50 * time.Millisecond) // several probes fail meanwhile
	if b.Allow() {
		t.Fatal("closed while Redis was down")
	}
	srv.Restart()
	for deadline := time.Now().Add(5 * time.Second); !b.Allow(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the probe did not close the breaker after Redis came back")
		}
	}
}

// TestClose: Close stops the probe and closes the breaker for good.
func TestClose(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens: every PING fails
	c := redis.NewClient(&redis.Options{Addr: addr, ContextTimeoutEnabled: true, MaxRetries: -1})
	defer c.Close()
	b := New(c, 1, 20*time.Millisecond, 10*time.Millisecond)
	b.Failure()
	if b.Allow() {
		t.Fatal("still closed after a failure, threshold 1")
	}
	b.Close()
	for deadline := time.Now().Add(5 * time.Second); !b.Allow(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the breaker stayed open after Close")
		}
	}
	b.Failure()
	if !b.Allow() {
		t.Error("the breaker opened again after Close")
	}
}

func TestDeadlinesEnabled(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name   string
		client redis.UniversalClient
		want   bool
	}{
		{"client", redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", ContextTimeoutEnabled: true}), true},
		{"client without", redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"}), false},
		{"cluster", redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{"127.0.0.1:1"}, ContextTimeoutEnabled: true}), true},
		{"cluster without", redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{"127.0.0.1:1"}}), false},
		{"ring without", redis.NewRing(&redis.RingOptions{Addrs: map[string]string{"a": "127.0.0.1:1"}}), false},
	} {
		if got := DeadlinesEnabled(c.client); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
		c.client.Close()
	}
}
