package redisstore

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel/metric"

	"github.com/apishield/apishield/auth"
	"github.com/apishield/apishield/internal/redisbreaker"
)

// Defaults applied by NewReplayCache for zero ReplayConfig fields.
const (
	DefaultReplayPrefix  = "apishield:replay:"
	DefaultReplayTimeout = 50 * time.Millisecond
)

// Breaker defaults, as ratelimit/redisstore's.
const (
	defaultBreakerFailures = 3
	defaultProbeInterval   = 100 * time.Millisecond
)

// ErrReplayUnavailable is wrapped by the error [ReplayCache.Remember]
// returns under FailClosed when Redis failed, timed out, or was not asked
// because the circuit breaker is open. Remember's other errors are the
// caller's context ending, and, under Local, the memory cache's
// ([auth.ErrReplayCacheFull]).
var ErrReplayUnavailable = errors.New("redisstore: replay cache unavailable")

// errCircuitOpen is the cause of a refusal by the open breaker.
var errCircuitOpen = errors.New("circuit breaker open")

// ReplayConfig configures a [ReplayCache]. Its zero value is a valid
// configuration. A ReplayConfig is copied by NewReplayCache and may be
// reused.
type ReplayConfig struct {
	// Prefix starts every key. If empty, DefaultReplayPrefix
	// ("apishield:replay:"). Every instance sharing the cache must use
	// the same prefix.
	Prefix string
	// OnError is how Remember answers while Redis fails. The zero value is
	// FailClosed: an error, and the caller refuses the use.
	OnError FailMode
	// LocalMaxEntries bounds the memory cache of the Local mode (see
	// auth.MemoryReplayConfig.MaxEntries). If zero, auth's default.
	// Ignored by the other modes.
	LocalMaxEntries int
	// Timeout bounds each call's round trip; the call is not retried. If
	// zero, DefaultReplayTimeout (50ms). The client must honour context
	// deadlines: for the go-redis clients, ContextTimeoutEnabled must be
	// set, and NewReplayCache checks it.
	Timeout time.Duration
	// BreakerFailures is how many consecutive failures open the circuit
	// breaker. While open, calls fail at once without Redis, and a
	// background probe PINGs every ProbeInterval until Redis answers. If
	// zero, 3.
	BreakerFailures int
	// ProbeInterval is how often the open breaker probes Redis. If zero,
	// 100ms.
	ProbeInterval time.Duration
	// MeterProvider receives the cache's metrics (see the package
	// documentation, Monitoring). If nil, the global provider of
	// go.opentelemetry.io/otel when NewReplayCache runs, which does nothing
	// until the application installs an SDK.
	MeterProvider metric.MeterProvider
}

// A ReplayCache is an [auth.ReplayCache] in Redis, shared by every
// instance that uses the same Redis and prefix: each Remember is one
// SET NX PX, so exactly one instance gets a fresh answer for a key.
//
// A ReplayCache is safe for concurrent use. Close stops its background
// probe.
type ReplayCache struct {
	client  redis.UniversalClient
	prefix  string
	timeout time.Duration
	mode    FailMode
	local   *auth.MemoryReplayCache // the Local mode's cache; nil otherwise
	breaker *redisbreaker.Breaker
	metrics replayMetrics
}

var _ auth.ReplayCache = (*ReplayCache)(nil)

// NewReplayCache returns a replay cache on client: a *redis.Client, a
// Sentinel failover client, a *redis.ClusterClient, or any
// redis.UniversalClient. The client stays the caller's: the cache never
// closes it. Errors wrap [auth.ErrInvalidConfig].
func NewReplayCache(client redis.UniversalClient, cfg ReplayConfig) (*ReplayCache, error) {
	if client == nil {
		return nil, fmt.Errorf("%w: nil Redis client", auth.ErrInvalidConfig)
	}
	if cfg.Timeout < 0 || cfg.BreakerFailures < 0 || cfg.ProbeInterval < 0 || cfg.LocalMaxEntries < 0 {
		return nil, fmt.Errorf("%w: negative Timeout, BreakerFailures, ProbeInterval or LocalMaxEntries", auth.ErrInvalidConfig)
	}
	if cfg.OnError < FailClosed || cfg.OnError > Local {
		return nil, fmt.Errorf("%w: unknown ReplayConfig.OnError %v", auth.ErrInvalidConfig, cfg.OnError)
	}
	if !redisbreaker.DeadlinesEnabled(client) {
		return nil, fmt.Errorf("%w: the Redis client ignores context deadlines, so the per-call Timeout could not hold; set ContextTimeoutEnabled: true in its options", auth.ErrInvalidConfig)
	}
	c := &ReplayCache{client: client, prefix: cfg.Prefix, timeout: cfg.Timeout, mode: cfg.OnError}
	if c.prefix == "" {
		c.prefix = DefaultReplayPrefix
	}
	if c.timeout == 0 {
		c.timeout = DefaultReplayTimeout
	}
	failures, probe := cfg.BreakerFailures, cfg.ProbeInterval
	if failures == 0 {
		failures = defaultBreakerFailures
	}
	if probe == 0 {
		probe = defaultProbeInterval
	}
	if c.mode == Local {
		local, err := auth.NewMemoryReplayCache(auth.MemoryReplayConfig{MaxEntries: cfg.LocalMaxEntries, MeterProvider: cfg.MeterProvider})
		if err != nil {
			return nil, err
		}
		c.local = local
	}
	c.breaker = redisbreaker.New(client, failures, c.timeout, probe)
	c.metrics = newReplayMetrics(cfg.MeterProvider, c)
	return c, nil
}

// Close stops the background probe. The client is not closed: it belongs
// to the caller. Calls after Close still go to Redis, without a breaker.
func (c *ReplayCache) Close() error {
	c.breaker.Close()
	return nil
}

// Available reports whether the circuit breaker is closed, that is
// whether calls currently go to Redis.
func (c *ReplayCache) Available() bool { return c.breaker.Allow() }

// Remember implements [auth.ReplayCache] with one SET key 1 NX PX ttl,
// where ttl is exp − now rounded up to a millisecond, and at least one: an
// exp already past records nothing that outlives the call, and reports
// whether an unexpired record exists. While Redis fails, the FailMode
// answers: see [ReplayConfig].OnError. The call's deadline is
// ReplayConfig.Timeout, or ctx's own if that is sooner; a ctx that ends
// first ends the call with ctx's error, which says nothing of Redis.
func (c *ReplayCache) Remember(ctx context.Context, key string, exp time.Time) (bool, error) {
	if !c.breaker.Allow() {
		return c.fallback(ctx, key, exp, errCircuitOpen)
	}
	ttl := max(time.Until(exp), time.Millisecond)
	if r := ttl % time.Millisecond; r != 0 {
		ttl += time.Millisecond - r
	}
	rctx, cancel := ctx, context.CancelFunc(nil)
	if d, ok := ctx.Deadline(); !ok || time.Until(d) > c.timeout {
		rctx, cancel = context.WithTimeout(ctx, c.timeout)
	}
	var start time.Time
	timed := c.metrics.duration.Enabled(ctx)
	if timed {
		start = time.Now()
	}
	fresh, err := c.client.SetNX(rctx, c.redisKey(key), "1", ttl).Result()
	if cancel != nil {
		cancel()
	}
	if timed {
		c.metrics.roundTrip(ctx, time.Since(start), err)
	}
	if err != nil {
		if ctx.Err() != nil {
			return false, ctx.Err() // the caller gave up; says nothing about Redis
		}
		c.breaker.Failure()
		return c.fallback(ctx, key, exp, err)
	}
	c.breaker.Success()
	if !fresh {
		c.metrics.replays.Inc(0)
		return false, nil
	}
	if c.local != nil {
		// Record the use here too, for the outages to come; and a use this
		// instance saw during an outage, which Redis never learned of, is
		// a replay still. A full local cache does not overrule Redis.
		if fresh, err := c.local.Remember(ctx, key, exp); err == nil && !fresh {
			return false, nil
		}
	}
	return true, nil
}

// fallback answers for Redis, which failed with cause.
func (c *ReplayCache) fallback(ctx context.Context, key string, exp time.Time, cause error) (bool, error) {
	c.metrics.errors.Inc(int(c.mode))
	switch c.mode {
	case FailOpen:
		return true, nil
	case Local:
		return c.local.Remember(ctx, key, exp)
	}
	return false, fmt.Errorf("%w: %w", ErrReplayUnavailable, cause)
}

// redisKey is the prefix and the unpadded base64url SHA-256 of key.
func (c *ReplayCache) redisKey(key string) string {
	var kb [64]byte // auth's keys are 43 bytes: hashed without a copy on the heap
	sum := sha256.Sum256(append(kb[:0], key...))
	var buf [128]byte
	b := append(buf[:0], c.prefix...)
	b = base64.RawURLEncoding.AppendEncode(b, sum[:])
	return string(b)
}

// String describes the cache.
func (c *ReplayCache) String() string {
	return "redisstore.ReplayCache(prefix=" + strconv.Quote(c.prefix) + ", on_error=" + c.mode.String() + ")"
}
