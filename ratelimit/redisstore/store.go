package redisstore

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel/metric"

	"github.com/apishield/apishield/internal/redisbreaker"
	"github.com/apishield/apishield/ratelimit"
)

// Defaults applied by New for zero Config fields.
const (
	DefaultTimeout          = 50 * time.Millisecond
	DefaultPrefix           = "apishield:rl:"
	DefaultBreakerFailures  = 3
	DefaultProbeInterval    = 100 * time.Millisecond
	DefaultDenyCacheEntries = 10000
)

// ErrCircuitOpen is wrapped by the error a Store returns without calling
// Redis, while its circuit breaker is open.
var ErrCircuitOpen = errors.New("redisstore: circuit breaker open")

// Config configures a [Store]. A Config is copied by New and may be reused.
type Config struct {
	// Secret keys the HMAC that turns each client key into its Redis key, so
	// Redis never holds a raw address, subject or API key, and a reader of
	// Redis cannot test guesses without it. Required, at least 16 bytes;
	// every instance sharing the limits must use the same secret.
	Secret []byte
	// Prefix starts every key. If empty, DefaultPrefix.
	Prefix string
	// Timeout bounds each decision's round trip; the call is not retried.
	// If zero, DefaultTimeout (50ms). The client must honour context
	// deadlines: for the go-redis clients, ContextTimeoutEnabled must be
	// set, and New checks it.
	Timeout time.Duration
	// BreakerFailures is how many consecutive failures open the circuit
	// breaker. While open, decisions fail at once without calling Redis,
	// and a background probe PINGs every ProbeInterval until Redis answers.
	// If zero, DefaultBreakerFailures.
	BreakerFailures int
	// ProbeInterval is how often the open breaker probes Redis. If zero,
	// DefaultProbeInterval (100ms).
	ProbeInterval time.Duration
	// DenyCacheEntries bounds the local deny cache: after Redis denies a key,
	// the same key asking for at least the same cost is refused locally until
	// its retry time, so a flood of rejected requests costs no round trips.
	// This is exact: the state in Redis can only tighten before that time.
	// If zero, DefaultDenyCacheEntries; negative disables the cache.
	DenyCacheEntries int
	// MeterProvider receives the store's metrics: the duration of each
	// round trip (apishield.ratelimit.store.duration) and the breaker's
	// state (apishield.ratelimit.breaker.state). If nil, the global
	// provider of go.opentelemetry.io/otel when New runs, which does
	// nothing until the application installs an SDK.
	MeterProvider metric.MeterProvider
}

// A Store is a [ratelimit.Store] that keeps GCRA state in Redis, shared by every instance that
// uses the same Redis, prefix and secret. Each decision is one EVALSHA of one
// script that decides all policies of a key atomically with Redis's own
// clock (TIME), so instances with skewed clocks agree. The keys of one
// client share a hash tag, so the script works on Redis Cluster, and expire
// exactly when the bucket is full again.
//
// A Store is safe for concurrent use. Close stops its background probe.
type Store struct {
	client   redis.UniversalClient
	prefix   string
	timeout  time.Duration
	failures int
	probe    time.Duration
	macs     sync.Pool
	deny     *denyCache
	batch    batcher
	breaker  *redisbreaker.Breaker
	metrics  storeMetrics
}

// New returns a store on client: a *redis.Client, a Sentinel failover
// client, a *redis.ClusterClient, or any redis.UniversalClient. The client
// stays the caller's: the store never closes it. Errors wrap
// [ratelimit.ErrInvalidConfig], as every ratelimit configuration error
// does.
func New(client redis.UniversalClient, cfg Config) (*Store, error) {
	if client == nil {
		return nil, fmt.Errorf("%w: nil Redis client", ratelimit.ErrInvalidConfig)
	}
	if len(cfg.Secret) < 16 {
		return nil, fmt.Errorf("%w: Config.Secret must be at least 16 bytes", ratelimit.ErrInvalidConfig)
	}
	if cfg.Timeout < 0 || cfg.BreakerFailures < 0 || cfg.ProbeInterval < 0 {
		return nil, fmt.Errorf("%w: negative Timeout, BreakerFailures or ProbeInterval", ratelimit.ErrInvalidConfig)
	}
	if !redisbreaker.DeadlinesEnabled(client) {
		return nil, fmt.Errorf("%w: the Redis client ignores context deadlines, so the per-call Timeout could not hold; set ContextTimeoutEnabled: true in its options", ratelimit.ErrInvalidConfig)
	}
	s := &Store{
		client: client, prefix: cfg.Prefix, timeout: cfg.Timeout,
		failures: cfg.BreakerFailures, probe: cfg.ProbeInterval,
	}
	if s.prefix == "" {
		s.prefix = DefaultPrefix
	}
	if s.timeout == 0 {
		s.timeout = DefaultTimeout
	}
	if s.failures == 0 {
		s.failures = DefaultBreakerFailures
	}
	if s.probe == 0 {
		s.probe = DefaultProbeInterval
	}
	s.batch = batcher{client: client, timeout: s.timeout}
	s.breaker = redisbreaker.New(client, s.failures, s.timeout, s.probe)
	switch n := cfg.DenyCacheEntries; {
	case n == 0:
		s.deny = newDenyCache(DefaultDenyCacheEntries)
	case n > 0:
		s.deny = newDenyCache(n)
	}
	s.metrics = newStoreMetrics(cfg.MeterProvider, s)
	secret := append([]byte(nil), cfg.Secret...)
	s.macs.New = func() any { return &macState{h: hmac.New(sha256.New, secret)} }
	return s, nil
}

// Close stops the background probe. The client is not closed: it belongs to
// the caller. Decisions after Close still go to Redis, without a breaker.
func (s *Store) Close() error {
	s.breaker.Close()
	return nil
}

// Prepare loads the decision script into Redis (into every master of a
// Cluster), which also makes a Cluster client learn the slot layout, so the
// first decisions do not spend their deadline on it. It is optional and
// meant for start-up, with a start-up deadline in ctx; an error means Redis
// could not be reached or refused the script.
func (s *Store) Prepare(ctx context.Context) error {
	if cc, ok := s.client.(*redis.ClusterClient); ok {
		return cc.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error {
			return gcraScript.Load(ctx, c).Err()
		})
	}
	return gcraScript.Load(ctx, s.client).Err()
}

// Available reports whether the circuit breaker is closed, that is whether
// decisions currently go to Redis.
func (s *Store) Available() bool { return s.breaker.Allow() }

// Take implements [ratelimit.Store] with one EVALSHA (EVAL once after
// Redis lost its script cache). Concurrent decisions share round trips:
// see batcher. Like the memory store, it refuses a request no
// [ratelimit.Limiter] makes without calling Redis: a negative cost
// (ratelimit.ErrInvalidCost), and no policies or more than
// ratelimit.MaxPolicies (ratelimit.ErrInvalidConfig).
func (s *Store) Take(ctx context.Context, req *ratelimit.Request, d *ratelimit.Decision) error {
	if err := check(req); err != nil {
		return err
	}
	n := len(req.Policies)
	call := new(scriptCall)
	var id string
	call.keys, id = s.keys(call.keyBuf[:0], req)
	if s.deny != nil && s.deny.lookup(id, req.Cost, d) {
		return nil
	}
	if !s.breaker.Allow() {
		return ErrCircuitOpen
	}
	call.args = append(call.argBuf[:0], req.Cost)
	for i := range req.Policies {
		p := &req.Policies[i]
		call.args = append(call.args, int64(p.Interval()/time.Microsecond), int64(p.Tolerance()/time.Microsecond))
	}
	var start time.Time
	timed := s.metrics.duration.Enabled(ctx)
	if timed {
		start = time.Now()
	}
	err := s.batch.do(ctx, call)
	if timed {
		s.metrics.roundTrip(ctx, time.Since(start), err)
	}
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err() // the caller gave up; says nothing about Redis
		}
		s.breaker.Failure()
		return err
	}
	s.breaker.Success()
	// The script replied how far each policy's arrival time runs ahead of
	// Redis's now, and spent the cost exactly when every policy admits
	// it: deciding on that reply reproduces its decision.
	var ahead [ratelimit.MaxPolicies]time.Duration
	for i := range n {
		ahead[i] = time.Duration(call.ahead[i]) * time.Microsecond
	}
	if !d.Decide(req.Cost, req.Policies, ahead[:n]) && s.deny != nil {
		s.deny.add(id, req.Cost, d)
	}
	return nil
}

// check refuses a request no limiter makes: a negative cost would give
// units back, and a key's state is sized by its number of policies.
func check(req *ratelimit.Request) error {
	if req.Cost < 0 {
		return ratelimit.ErrInvalidCost
	}
	if n := len(req.Policies); n < 1 || n > ratelimit.MaxPolicies {
		return fmt.Errorf("%w: a request with %d policies, want 1 to %d", ratelimit.ErrInvalidConfig, n, ratelimit.MaxPolicies)
	}
	return nil
}

// keys appends the Redis keys of req's policies to dst: prefix, namespace,
// the key's HMAC as a hash tag, then the policy's name. They are built in
// one string, so they cost one allocation together. id is their common
// part, which names the client in the deny cache.
func (s *Store) keys(dst []string, req *ratelimit.Request) (keys []string, id string) {
	var tag [22]byte
	s.tag(&tag, req)
	idLen := len(s.prefix) + len(req.Namespace) + len(":{") + len(tag) + len("}:")
	var buf [256]byte
	b := buf[:0]
	for i := range req.Policies {
		b = append(b, s.prefix...)
		b = append(b, req.Namespace...)
		b = append(b, ":{"...)
		b = append(b, tag[:]...)
		b = append(b, "}:"...)
		b = append(b, req.Policies[i].Name...)
	}
	all := string(b)
	id = all[:idLen]
	for i := range req.Policies {
		k := idLen + len(req.Policies[i].Name)
		dst = append(dst, all[:k])
		all = all[k:]
	}
	return dst, id
}

// tag writes the key's HMAC, 128 bits in base64url, the hash tag that
// keeps all policies of one key in one Cluster slot.
func (s *Store) tag(dst *[22]byte, req *ratelimit.Request) {
	m := s.macs.Get().(*macState)
	m.buf = append(append(append(m.buf[:0], req.Namespace...), 0), req.Key...)
	m.h.Reset()
	m.h.Write(m.buf)
	base64.RawURLEncoding.Encode(dst[:], m.h.Sum(m.sum[:0])[:16])
	if cap(m.buf) <= 1<<10 {
		s.macs.Put(m)
	}
}

// macState is a pooled HMAC with its buffers, so tagging a key does not
// allocate.
type macState struct {
	h   hash.Hash
	buf []byte
	sum [sha256.Size]byte
}

// String describes the store without its secret.
func (s *Store) String() string {
	return "redisstore.Store(prefix=" + strconv.Quote(s.prefix) + ")"
}
