package redisstore

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/apishield/apishield/ratelimit"
)

// maxBatch bounds how many decisions share one pipeline.
const maxBatch = 128

// A scriptCall is one decision waiting for Redis.
type scriptCall struct {
	keys  []string
	args  []any
	ahead [ratelimit.MaxPolicies]int64 // the script's reply, one value per key
	err   error

	keyBuf [ratelimit.MaxPolicies]string
	argBuf [1 + 2*ratelimit.MaxPolicies]any
	done   chan struct{} // closed once res and err are set; nil for the caller that sends the batch itself
}

// batcher pipelines concurrent decisions: a caller that finds Redis idle
// sends its own EVALSHA at once, so a lone request pays no extra latency;
// callers that arrive while a round trip is in flight queue up, and the next
// round trip carries all of them in one pipeline. Under load this turns many
// small writes and reads into few large ones, which is what lets a decision
// that runs a real script keep up with a trivial one. Each decision is still
// its own atomic script run.
type batcher struct {
	client  redis.UniversalClient
	timeout time.Duration

	mu      sync.Mutex
	queue   []*scriptCall
	running bool
}

// do runs c and waits for its result or for ctx.
func (b *batcher) do(ctx context.Context, c *scriptCall) error {
	b.mu.Lock()
	if !b.running {
		// Redis is idle: send at once, on this goroutine. The queue is
		// empty whenever no batch is running.
		b.running = true
		b.mu.Unlock()
		b.exec(c)
		if b.runBatch(false) {
			go b.drain()
		}
		return c.err
	}
	c.done = make(chan struct{})
	b.queue = append(b.queue, c)
	b.mu.Unlock()
	select {
	case <-c.done:
		return c.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// runBatch sends the queued calls in one round trip (if send is set) and
// reports whether calls are queued (the caller must then keep draining);
// if not, it marks the batcher idle.
func (b *batcher) runBatch(send bool) bool {
	b.mu.Lock()
	if !send {
		defer b.mu.Unlock()
		if len(b.queue) == 0 {
			b.running = false
			return false
		}
		return true
	}
	n := min(len(b.queue), maxBatch)
	batch := make([]*scriptCall, n)
	copy(batch, b.queue)
	rest := copy(b.queue, b.queue[n:])
	clear(b.queue[rest:])
	b.queue = b.queue[:rest]
	b.mu.Unlock()

	b.execBatch(batch)

	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.queue) == 0 {
		b.running = false
		return false
	}
	return true
}

func (b *batcher) drain() {
	for b.runBatch(true) {
	}
}

// exec sends one call alone. Its deadline is the store's timeout, not the
// caller's context: the caller that sends a round trip does not own it.
func (b *batcher) exec(c *scriptCall) {
	ctx, cancel := context.WithTimeout(context.Background(), b.timeout)
	defer cancel()
	c.err = c.read(gcraScript.Run(ctx, b.client, c.keys, c.args...))
	if c.done != nil {
		close(c.done)
	}
}

func (b *batcher) execBatch(batch []*scriptCall) {
	if len(batch) == 1 {
		b.exec(batch[0])
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), b.timeout)
	defer cancel()
	cmds := make([]*redis.Cmd, len(batch))
	pipe := b.client.Pipeline()
	for i, c := range batch {
		cmds[i] = gcraScript.EvalSha(ctx, pipe, c.keys, c.args...)
	}
	_, _ = pipe.Exec(ctx)
	// After Redis lost its script cache (a restart, a failover, SCRIPT
	// FLUSH), send the script itself, which also loads it.
	var again []int
	for i, cmd := range cmds {
		if err := cmd.Err(); err != nil && redis.HasErrorPrefix(err, "NOSCRIPT") {
			again = append(again, i)
		}
	}
	if len(again) > 0 {
		pipe = b.client.Pipeline()
		for _, i := range again {
			cmds[i] = gcraScript.Eval(ctx, pipe, batch[i].keys, batch[i].args...)
		}
		_, _ = pipe.Exec(ctx)
	}
	for i, c := range batch {
		c.err = c.read(cmds[i])
		close(c.done)
	}
}

// read stores the script's reply, one integer per key: a bare integer for
// one key, an array for several.
func (c *scriptCall) read(cmd *redis.Cmd) error {
	v, err := cmd.Result()
	if err != nil {
		return err
	}
	switch v := v.(type) {
	case int64:
		if len(c.keys) == 1 {
			c.ahead[0] = v
			return nil
		}
	case []any:
		if len(v) == len(c.keys) {
			for i, x := range v {
				n, ok := x.(int64)
				if !ok {
					return fmt.Errorf("redisstore: unexpected script reply element %T", x)
				}
				c.ahead[i] = n
			}
			return nil
		}
	}
	return fmt.Errorf("redisstore: unexpected script reply %T for %d keys", v, len(c.keys))
}
