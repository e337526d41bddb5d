package ratelimit

import (
	"errors"
	"fmt"
	"hash/maphash"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/metric"

	apierrors "github.com/apishield/apishield/errors"
	"github.com/apishield/apishield/internal/record"
)

// ConcurrencyConfig configures a [Concurrency] limiter. At least one of Max
// and PerKey must be set.
type ConcurrencyConfig struct {
	// Max bounds the requests in flight through the limiter in total. If
	// zero, no total bound.
	Max int
	// PerKey bounds the requests in flight per key. If zero, no per-key
	// bound.
	PerKey int
	// Key derives the key for PerKey. Required when PerKey is set.
	Key KeyFunc
	// RetryAfter is sent with 503 overloaded. If zero, 1s.
	RetryAfter time.Duration
	// Name names the limiter in metrics. If empty, "concurrency".
	Name string
	// MeterProvider receives the limiter's metrics (see the package
	// documentation's Monitoring). If nil, the global provider, a no-op
	// until the application installs one.
	MeterProvider metric.MeterProvider
}

// Concurrency bounds how many requests are in flight at once, in total and
// per key: the defence for expensive endpoints where the rate of requests
// matters less than how many run together. Excess requests get 503
// overloaded with Retry-After at once; none queue.
//
// A Concurrency is safe for concurrent use.
type Concurrency struct {
	max, perKey int
	key         KeyFunc
	retryAfter  string
	inflight    atomic.Int64
	seed        maphash.Seed
	shards      [16]concShard
	metrics     *loadMetrics
}

type concShard struct {
	mu sync.Mutex
	m  map[string]int
}

// NewConcurrency validates cfg and returns a concurrency limiter. Errors wrap
// ErrInvalidConfig.
func NewConcurrency(cfg ConcurrencyConfig) (*Concurrency, error) {
	if cfg.Max < 0 || cfg.PerKey < 0 || cfg.RetryAfter < 0 {
		return nil, fmt.Errorf("%w: negative Max, PerKey or RetryAfter", ErrInvalidConfig)
	}
	if cfg.Max == 0 && cfg.PerKey == 0 {
		return nil, fmt.Errorf("%w: ConcurrencyConfig needs Max or PerKey", ErrInvalidConfig)
	}
	if cfg.PerKey > 0 && cfg.Key == nil {
		return nil, fmt.Errorf("%w: PerKey needs Key", ErrInvalidConfig)
	}
	if cfg.RetryAfter == 0 {
		cfg.RetryAfter = time.Second
	}
	if cfg.Name == "" {
		cfg.Name = "concurrency"
	}
	if !validName(cfg.Name) {
		return nil, fmt.Errorf("%w: limiter Name %q may hold only letters, digits, '_', '-' and '.', at most %d bytes", ErrInvalidConfig, cfg.Name, maxNameLen)
	}
	c := &Concurrency{max: cfg.Max, perKey: cfg.PerKey, key: cfg.Key,
		retryAfter: retryAfter(nil, cfg.RetryAfter), seed: maphash.MakeSeed()}
	for i := range c.shards {
		c.shards[i].m = make(map[string]int)
	}
	c.metrics = newLoadMetrics(cfg.MeterProvider, "concurrency", cfg.Name, c, func(c *Concurrency) (int, int) { return c.InFlight(), c.max })
	return c, nil
}

// Acquire takes a slot for key (ignored without PerKey) and reports whether
// one was free. Every successful Acquire must be paired with Release(key).
func (c *Concurrency) Acquire(key string) bool {
	if c.max > 0 && c.inflight.Add(1) > int64(c.max) {
		c.inflight.Add(-1)
		return false
	}
	if c.perKey > 0 {
		sh := &c.shards[maphash.String(c.seed, key)%uint64(len(c.shards))]
		sh.mu.Lock()
		n := sh.m[key]
		if n >= c.perKey {
			sh.mu.Unlock()
			if c.max > 0 {
				c.inflight.Add(-1)
			}
			return false
		}
		sh.m[key] = n + 1
		sh.mu.Unlock()
	}
	return true
}

// Release returns a slot taken by Acquire(key).
func (c *Concurrency) Release(key string) {
	if c.perKey > 0 {
		sh := &c.shards[maphash.String(c.seed, key)%uint64(len(c.shards))]
		sh.mu.Lock()
		if n := sh.m[key]; n <= 1 {
			delete(sh.m, key) // idle keys take no memory
		} else {
			sh.m[key] = n - 1
		}
		sh.mu.Unlock()
	}
	if c.max > 0 {
		c.inflight.Add(-1)
	}
}

// InFlight returns the number of requests in flight.
func (c *Concurrency) InFlight() int {
	if c.max > 0 {
		return int(c.inflight.Load())
	}
	n := 0
	for i := range c.shards {
		sh := &c.shards[i]
		sh.mu.Lock()
		for _, v := range sh.m {
			n += v
		}
		sh.mu.Unlock()
	}
	return n
}

// Handler returns next wrapped by the limiter: a request beyond the bounds
// gets 503 overloaded with Retry-After. A request without a key (ErrNoKey)
// is bounded only by Max.
func (c *Concurrency) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w, r, rec := record.Install(w, r)
		var key string
		if c.perKey > 0 {
			bp := keyBufs.Get().(*[]byte)
			k, err := c.key((*bp)[:0], r)
			switch {
			case err == nil:
				key = string(k)
			case errors.Is(err, ErrNoKey):
			default:
				keyBufs.Put(bp)
				c.metrics.shed(r.Context(), outcomeError)
				rec.AddDecision(record.Decision{Package: pkgName, Outcome: record.Error, Reason: apierrors.ReasonInternal, Rule: "concurrency"})
				apierrors.Write(w, r, apierrors.Internal(err))
				return
			}
			*bp = k[:0]
			keyBufs.Put(bp)
		}
		if !c.acquireFor(key) {
			c.metrics.shed(r.Context(), outcomeDeny)
			rec.AddDecision(record.Decision{Package: pkgName, Outcome: record.Deny, Reason: apierrors.ReasonOverloaded, Rule: "concurrency"})
			apierrors.Write(w, r, apierrors.New(0, apierrors.ReasonOverloaded, "").WithHeader("Retry-After", c.retryAfter))
			return
		}
		defer c.releaseFor(key)
		c.metrics.allowed()
		rec.AddDecision(record.Decision{Package: pkgName, Outcome: record.Allow, Rule: "concurrency"})
		next.ServeHTTP(w, r)
	})
}

// acquireFor is Acquire where an empty key (no key) skips the per-key bound.
func (c *Concurrency) acquireFor(key string) bool {
	if key != "" || c.perKey == 0 {
		return c.Acquire(key)
	}
	if c.max > 0 && c.inflight.Add(1) > int64(c.max) {
		c.inflight.Add(-1)
		return false
	}
	return true
}

func (c *Concurrency) releaseFor(key string) {
	if key != "" || c.perKey == 0 {
		c.Release(key)
		return
	}
	if c.max > 0 {
		c.inflight.Add(-1)
	}
}
