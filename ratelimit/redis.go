package ratelimit

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
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// Defaults applied by NewRedisStore for zero RedisConfig fields.
const (
	DefaultRedisTimeout     = 50 * time.Millisecond
	DefaultRedisPrefix      = "apishield:rl:"
	DefaultBreakerFailures  = 3
	DefaultProbeInterval    = 100 * time.Millisecond
	DefaultDenyCacheEntries = 10000
)

// ErrCircuitOpen is wrapped by the error a RedisStore returns without
// calling Redis, while its circuit breaker is open.
var ErrCircuitOpen = errors.New("ratelimit: redis circuit breaker open")

// RedisConfig configures a Redis store.
type RedisConfig struct {
	// Secret keys the HMAC that turns each client key into its Redis key, so
	// Redis never holds a raw address, subject or API key, and a reader of
	// Redis cannot test guesses without it. Required, at least 16 bytes;
	// every instance sharing the limits must use the same secret.
	Secret []byte
	// Prefix starts every key. If empty, DefaultRedisPrefix.
	Prefix string
	// Timeout bounds each decision's round trip; the call is not retried.
	// If zero, DefaultRedisTimeout (50ms). The client must honour context
	// deadlines: for the go-redis clients, ContextTimeoutEnabled must be
	// set, and NewRedisStore checks it.
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
}

// A RedisStore keeps GCRA state in Redis, shared by every instance that
// uses the same Redis, prefix and secret. Each decision is one EVALSHA of one
// script that decides all policies of a key atomically with Redis's own
// clock (TIME), so instances with skewed clocks agree. The keys of one
// client share a hash tag, so the script works on Redis Cluster, and expire
// exactly when the bucket is full again.
//
// A RedisStore is safe for concurrent use. Close stops its background probe.
type RedisStore struct {
	client   redis.UniversalClient
	prefix   string
	timeout  time.Duration
	failures int
	probe    time.Duration
	macs     sync.Pool
	deny     *denyCache
	batch    batcher

	consecutive atomic.Int32
	open        atomic.Bool
	probing     atomic.Bool
	closed      chan struct{}
	closeOnce   sync.Once
}

// NewRedisStore returns a store on client: a *redis.Client, a Sentinel
// failover client, a *redis.ClusterClient, or any redis.UniversalClient.
// Errors wrap ErrInvalidConfig.
func NewRedisStore(client redis.UniversalClient, cfg RedisConfig) (*RedisStore, error) {
	if client == nil {
		return nil, fmt.Errorf("%w: nil Redis client", ErrInvalidConfig)
	}
	if len(cfg.Secret) < 16 {
		return nil, fmt.Errorf("%w: RedisConfig.Secret must be at least 16 bytes", ErrInvalidConfig)
	}
	if cfg.Timeout < 0 || cfg.BreakerFailures < 0 || cfg.ProbeInterval < 0 {
		return nil, fmt.Errorf("%w: negative RedisConfig Timeout, BreakerFailures or ProbeInterval", ErrInvalidConfig)
	}
	var ctxTimeouts bool
	switch c := client.(type) {
	case *redis.Client:
		ctxTimeouts = c.Options().ContextTimeoutEnabled
	case *redis.ClusterClient:
		ctxTimeouts = c.Options().ContextTimeoutEnabled
	case *redis.Ring:
		ctxTimeouts = c.Options().ContextTimeoutEnabled
	default:
		ctxTimeouts = true // cannot tell; documented requirement
	}
	if !ctxTimeouts {
		return nil, fmt.Errorf("%w: the Redis client ignores context deadlines, so the per-call Timeout could not hold; set ContextTimeoutEnabled: true in its options", ErrInvalidConfig)
	}
	s := &RedisStore{
		client: client, prefix: cfg.Prefix, timeout: cfg.Timeout,
		failures: cfg.BreakerFailures, probe: cfg.ProbeInterval,
		closed: make(chan struct{}),
	}
	if s.prefix == "" {
		s.prefix = DefaultRedisPrefix
	}
	if s.timeout == 0 {
		s.timeout = DefaultRedisTimeout
	}
	if s.failures == 0 {
		s.failures = DefaultBreakerFailures
	}
	if s.probe == 0 {
		s.probe = DefaultProbeInterval
	}
	s.batch = batcher{client: client, timeout: s.timeout}
	switch n := cfg.DenyCacheEntries; {
	case n == 0:
		s.deny = newDenyCache(DefaultDenyCacheEntries)
	case n > 0:
		s.deny = newDenyCache(n)
	}
	secret := append([]byte(nil), cfg.Secret...)
	s.macs.New = func() any { return &macState{h: hmac.New(sha256.New, secret)} }
	return s, nil
}

// Close stops the background probe. The client is not closed: it belongs to
// the caller. Decisions after Close still go to Redis, without a breaker.
func (s *RedisStore) Close() error {
	s.closeOnce.Do(func() { close(s.closed) })
	return nil
}

// Prepare loads the decision script into Redis (into every master of a
// Cluster), which also makes a Cluster client learn the slot layout, so the
// first decisions do not spend their deadline on it. It is optional and
// meant for start-up, with a start-up deadline in ctx; an error means Redis
// could not be reached or refused the script.
func (s *RedisStore) Prepare(ctx context.Context) error {
	if cc, ok := s.client.(*redis.ClusterClient); ok {
		return cc.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error {
			return gcraScript.Load(ctx, c).Err()
		})
	}
	return gcraScript.Load(ctx, s.client).Err()
}

// Available reports whether the circuit breaker is closed, that is whether
// decisions currently go to Redis.
func (s *RedisStore) Available() bool { return !s.open.Load() }

// gcraScript decides all policies of one key. KEYS are the key's per-policy
// Redis keys, all in one hash slot; ARGV[1] is the cost and ARGV[2i],
// ARGV[2i+1] the i'th policy's emission interval and tolerance in
// microseconds. For each policy it replies how far the theoretical arrival
// time was ahead of Redis's clock before the decision, max(tat, now) − now:
// an integer for one policy, an array for several. That is everything the
// decision depends on, so the client runs the same integer GCRA on it (see
// gcra) and fills in the outcome, remaining units, resets and retry times
// without a second source of truth. The script spends the cost only when
// every policy admits it.
//
// It is written for speed inside Redis, where it runs single-threaded:
// one TIME, one GET (MGET for several policies) and one SET … PX per
// policy when the cost is admitted, and a small reply. Each redis.call and
// each table costs Redis more than the arithmetic does.
//
// Numbers stay below 2^53, so Lua's doubles hold them exactly, and Redis
// passes number arguments of redis.call on with 17 significant digits
// (not Lua's 14), so they are stored exactly too.
var gcraScript = redis.NewScript(`
local t = redis.call('TIME')
local now = t[1] * 1000000 + t[2]
local cost = tonumber(ARGV[1])
if #KEYS == 1 then
  local tat = tonumber(redis.call('GET', KEYS[1])) or now
  if tat < now then tat = now end
  local new = tat + cost * ARGV[2]
  if cost > 0 and new - ARGV[3] <= now then
    redis.call('SET', KEYS[1], new, 'PX', math.ceil((new - now) / 1000))
  end
  return tat - now
end
local ahead = redis.call('MGET', unpack(KEYS))
local admit = cost > 0
for i = 1, #KEYS do
  local tat = tonumber(ahead[i]) or now
  if tat < now then tat = now end
  ahead[i] = tat - now
  if tat + cost * ARGV[2*i] - ARGV[2*i+1] > now then admit = false end
end
if admit then
  for i = 1, #KEYS do
    local ttl = ahead[i] + cost * ARGV[2*i]
    redis.call('SET', KEYS[i], now + ttl, 'PX', math.ceil(ttl / 1000))
  end
end
return ahead
`)

// Take implements [Store] with one EVALSHA (EVAL once after Redis lost its
// script cache). Concurrent decisions share round trips: see batcher. Like
// [MemoryStore.Take], it refuses a request no [Limiter] makes without
// calling Redis.
func (s *RedisStore) Take(ctx context.Context, req *Request, d *Decision) error {
	if err := req.check(); err != nil {
		return err
	}
	n := len(req.Policies)
	call := new(scriptCall)
	var id string
	call.keys, id = s.keys(call.keyBuf[:0], req)
	if s.deny != nil && s.deny.lookup(id, req.Cost, d) {
		return nil
	}
	if s.open.Load() {
		return ErrCircuitOpen
	}
	call.args = append(call.argBuf[:0], req.Cost)
	for i := range req.Policies {
		p := &req.Policies[i]
		call.args = append(call.args, p.interval(), p.tolerance())
	}
	err := s.batch.do(ctx, call)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err() // the caller gave up; says nothing about Redis
		}
		s.fail()
		return err
	}
	s.consecutive.Store(0)
	// The script replied each policy's arrival time relative to Redis's
	// now, so deciding again here at now = 0 reproduces its decision.
	gcra(0, int64(req.Cost), req.Policies, call.ahead[:n], d)
	if !d.Allowed && s.deny != nil {
		s.deny.add(id, req.Cost, d)
	}
	return nil
}

// keys appends the Redis keys of req's policies to dst: prefix, namespace,
// the key's HMAC as a hash tag, then the policy's name. They are built in
// one string, so they cost one allocation together. id is their common
// part, which names the client in the deny cache.
func (s *RedisStore) keys(dst []string, req *Request) (keys []string, id string) {
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
func (s *RedisStore) tag(dst *[22]byte, req *Request) {
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

// fail counts a failure and opens the breaker at the threshold. After
// Close the breaker no longer opens, since nothing would close it again.
func (s *RedisStore) fail() {
	if int(s.consecutive.Add(1)) < s.failures {
		return
	}
	select {
	case <-s.closed:
		return
	default:
	}
	if s.open.CompareAndSwap(false, true) && s.probing.CompareAndSwap(false, true) {
		go s.probeLoop()
	}
}

// probeLoop PINGs Redis until it answers, then closes the breaker. It
// clears probing before it closes the breaker, so a failure that reopens
// the breaker at once always finds no probe running and starts one.
func (s *RedisStore) probeLoop() {
	t := time.NewTicker(s.probe)
	defer t.Stop()
	for {
		select {
		case <-s.closed:
			s.probing.Store(false)
			s.open.Store(false)
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), max(s.timeout, s.probe))
		err := s.ping(ctx)
		cancel()
		if err == nil {
			s.consecutive.Store(0)
			s.probing.Store(false)
			s.open.Store(false)
			return
		}
	}
}

// ping checks Redis through a short-lived client of its own where it can
// build one. go-redis stops dialling for up to a second once its pool has
// seen PoolSize failed dials, so probing through the decisions' client
// would make it refuse Redis for that long after Redis is back.
func (s *RedisStore) ping(ctx context.Context) error {
	switch c := s.client.(type) {
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
	return s.client.Ping(ctx).Err()
}

// String describes the store without its secret.
func (s *RedisStore) String() string {
	return "ratelimit.RedisStore(prefix=" + strconv.Quote(s.prefix) + ")"
}
