package redisstore

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel/metric"

	"github.com/apishield/apishield/auth"
)

// Defaults of [RevocationsConfig].
const (
	DefaultRevocationsPrefix = "apishield:revocations"
	DefaultSyncInterval      = 30 * time.Second
	DefaultMaxStale          = 5 * time.Minute
	DefaultRevocationTimeout = 2 * time.Second
)

// Bounds on what is read from Redis, checked before it is parsed.
const (
	maxRevocationsPrefix = 128
	// maxRevocationEntry bounds one encoded revocation: three fields of at most
	// auth.MaxRevocationField bytes, escaped, and two numbers.
	maxRevocationEntry = 6*3*auth.MaxRevocationField + 128
	// revocationsPage is how many revocations one read of a full sync returns.
	revocationsPage = 1000
)

// ErrInvalidConfig is wrapped by every error that a constructor returns for
// a configuration it refuses.
var ErrInvalidConfig = errors.New("redisstore: invalid configuration")

// RevocationsConfig configures [NewRevocations]. The zero value of every
// field is the default it documents.
type RevocationsConfig struct {
	// Prefix names the sorted set of revocations ("{Prefix}:entries") and
	// the channel they are announced on ("{Prefix}:events"). Services that
	// share a Redis share revocations when they share a prefix. It must
	// not hold braces (it is the Redis Cluster hash tag), spaces or control
	// bytes, and be at most 128 bytes long. Empty means
	// [DefaultRevocationsPrefix].
	Prefix string
	// SyncInterval is how often the whole set is read again, repairing
	// what a lost message left out (a reconnection also triggers a read
	// at once). Zero means [DefaultSyncInterval] (30 s).
	SyncInterval time.Duration
	// MaxStale is how long the local view keeps answering while the set
	// cannot be read; after that every credential is refused
	// ([auth.ErrRevocationsStale]) until a read succeeds. It must be at
	// least SyncInterval. Zero means [DefaultMaxStale] (5 min); negative
	// means the view answers however old it is (fail open for
	// revocations made elsewhere during an outage, by choice).
	MaxStale time.Duration
	// Timeout bounds each Redis operation: a Revoke's write, one read of a
	// sync, the subscription at start. Zero means
	// [DefaultRevocationTimeout] (2 s).
	Timeout time.Duration
	// OnRevoke, if not nil, is called after each revocation that this
	// store's Revoke wrote to Redis (not for those other instances
	// announce), with Revoke's context: the place to write an audit
	// event. It must be safe for concurrent use.
	OnRevoke func(ctx context.Context, r auth.Revocation)
	// Logger receives failed reads, lost subscriptions and invalid
	// entries. Nil means slog.Default().
	Logger *slog.Logger
	// MeterProvider receives the syncs' outcomes, the view's age and the
	// revocations applied (see the package documentation, Monitoring).
	// Nil means the global provider of go.opentelemetry.io/otel when
	// NewRevocations runs.
	MeterProvider metric.MeterProvider
}

// Revocations is an [auth.Revocations] view shared by every instance of a
// service through Redis: Revoke writes to Redis and announces the
// revocation, and every instance applies announcements to its own
// in-memory view, which Check reads without a round trip. It is safe for
// concurrent use; Close stops its goroutines.
type Revocations struct {
	client       redis.UniversalClient
	key, channel string
	timeout      time.Duration
	interval     time.Duration
	maxStale     time.Duration
	onRevoke     func(context.Context, auth.Revocation)
	logger       *slog.Logger

	list    *auth.RevocationList
	pubsub  *redis.PubSub
	syncNow chan struct{}
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	close   sync.Once

	lastSync atomic.Int64 // Unix nanoseconds of the last full read
	stale    atomic.Bool
	metrics  revocationMetrics
}

// revokeScript removes the expired revocations, adds one (keeping the later
// expiry of a repeated one), keeps the key until its last entry expires,
// and announces the revocation, in one step on the key's node.
//
// KEYS[1] the sorted set; ARGV: member, expiry (ms), now (ms), channel,
// message.
var revokeScript = redis.NewScript(`
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[3])
redis.call('ZADD', KEYS[1], 'GT', ARGV[2], ARGV[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 or tonumber(ARGV[3]) + ttl < tonumber(ARGV[2]) then
	redis.call('PEXPIREAT', KEYS[1], ARGV[2])
end
redis.call('PUBLISH', ARGV[4], ARGV[5])
return 1
`)

// NewRevocations validates cfg, subscribes to the revocations' channel,
// reads every revocation in Redis, and starts keeping the view current. It
// fails if Redis cannot be reached: a view that starts empty would let
// revoked credentials through. ctx bounds only this start-up work.
func NewRevocations(ctx context.Context, client redis.UniversalClient, cfg RevocationsConfig) (*Revocations, error) {
	if client == nil {
		return nil, fmt.Errorf("%w: a Redis client is required", ErrInvalidConfig)
	}
	prefix := cfg.Prefix
	if prefix == "" {
		prefix = DefaultRevocationsPrefix
	}
	if len(prefix) > maxRevocationsPrefix || strings.ContainsFunc(prefix, func(r rune) bool {
		return r == '{' || r == '}' || r <= ' ' || r == 0x7f
	}) {
		return nil, fmt.Errorf("%w: Prefix %q must be at most %d bytes without braces, spaces or control bytes", ErrInvalidConfig, prefix, maxRevocationsPrefix)
	}
	s := &Revocations{
		client:   client,
		key:      "{" + prefix + "}:entries",
		channel:  "{" + prefix + "}:events",
		timeout:  cmp.Or(cfg.Timeout, DefaultRevocationTimeout),
		interval: cmp.Or(cfg.SyncInterval, DefaultSyncInterval),
		maxStale: cmp.Or(cfg.MaxStale, DefaultMaxStale),
		onRevoke: cfg.OnRevoke,
		logger:   cfg.Logger,
		syncNow:  make(chan struct{}, 1),
	}
	if cfg.Timeout < 0 || cfg.SyncInterval < 0 {
		return nil, fmt.Errorf("%w: Timeout and SyncInterval must not be negative", ErrInvalidConfig)
	}
	if s.maxStale >= 0 && s.maxStale < s.interval {
		return nil, fmt.Errorf("%w: MaxStale (%v) is shorter than SyncInterval (%v)", ErrInvalidConfig, s.maxStale, s.interval)
	}
	if s.logger == nil {
		s.logger = slog.Default()
	}
	list, err := auth.NewRevocationList(auth.RevocationListConfig{MeterProvider: cfg.MeterProvider})
	if err != nil {
		return nil, err
	}
	s.list = list

	// Subscribe before the first read, so that no revocation falls
	// between the two.
	startCtx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	s.pubsub = client.Subscribe(startCtx, s.channel)
	if _, err := s.pubsub.ReceiveTimeout(startCtx, s.timeout); err != nil {
		s.pubsub.Close()
		list.Close()
		return nil, fmt.Errorf("redisstore: subscribing to %s: %w", s.channel, err)
	}
	if err := s.read(startCtx); err != nil {
		s.pubsub.Close()
		list.Close()
		return nil, fmt.Errorf("redisstore: reading the revocations: %w", err)
	}
	s.lastSync.Store(time.Now().UnixNano())
	s.metrics = newRevocationMetrics(cfg.MeterProvider, s)

	runCtx, stop := context.WithCancel(context.Background())
	s.cancel = stop
	s.wg.Add(2)
	go s.receive(runCtx)
	go s.syncLoop(runCtx)
	return s, nil
}

// Check returns [auth.ErrRevoked] if a revocation known to this instance
// matches p, [auth.ErrRevocationsStale] if the view has not been read from
// Redis for longer than MaxStale, and nil otherwise. It makes no round
// trip, takes no lock and allocates nothing.
func (s *Revocations) Check(p *auth.Principal) error {
	if s.stale.Load() {
		return auth.ErrRevocationsStale
	}
	return s.list.Check(p)
}

// Revoke validates r ([auth.Revocation.Validate]), writes it to Redis and
// announces it to every instance, applies it to this instance's view, and
// then calls the configured OnRevoke. Every instance refuses the
// credentials it matches within a round trip of the announcement. If Redis
// cannot be written the error says so and nothing is applied: the caller
// should retry, since other instances would not learn of it.
func (s *Revocations) Revoke(ctx context.Context, r auth.Revocation) error {
	now := time.Now()
	if err := r.Validate(now); err != nil {
		return err
	}
	e := entryOfRevocation(r)
	member, err := json.Marshal(e)
	if err != nil {
		return err
	}
	e.Exp = expiryMillis(r.Expires)
	msg, err := json.Marshal(e)
	if err != nil {
		return err
	}
	wctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	err = revokeScript.Run(wctx, s.client, []string{s.key}, member, e.Exp, now.UnixMilli(), s.channel, msg).Err()
	if err != nil {
		return fmt.Errorf("redisstore: writing the revocation: %w", err)
	}
	if err := s.list.Add(r); err != nil {
		return err
	}
	if s.onRevoke != nil {
		s.onRevoke(ctx, r)
	}
	return nil
}

// Len returns the number of revocations in this instance's view.
func (s *Revocations) Len() int { return s.list.Len() }

// Close stops the subscription and the periodic reads and waits for their
// goroutines. Check keeps answering from the last view. It does not close
// the client. It returns the subscription's close error, if any.
func (s *Revocations) Close() error {
	var err error
	s.close.Do(func() {
		s.cancel()
		err = s.pubsub.Close()
		s.wg.Wait()
		s.list.Close()
	})
	return err
}

// A revocationEntry is a revocation as stored and announced. Without Exp
// it is the sorted set's member, whose score is the expiry: equal
// selectors are one member.
type revocationEntry struct {
	TokenID string `json:"jti,omitempty"`
	Subject string `json:"sub,omitempty"`
	Issuer  string `json:"iss,omitempty"`
	Before  int64  `json:"before,omitempty"` // Unix nanoseconds
	Exp     int64  `json:"exp,omitempty"`    // Unix milliseconds; messages only
}

func entryOfRevocation(r auth.Revocation) revocationEntry {
	e := revocationEntry{TokenID: r.TokenID, Subject: r.Subject, Issuer: r.Issuer}
	if !r.IssuedBefore.IsZero() {
		e.Before = r.IssuedBefore.UnixNano()
	}
	return e
}

func (e revocationEntry) revocation(expMillis int64) auth.Revocation {
	r := auth.Revocation{TokenID: e.TokenID, Subject: e.Subject, Issuer: e.Issuer, Expires: time.UnixMilli(expMillis)}
	if e.Before != 0 {
		r.IssuedBefore = time.Unix(0, e.Before)
	}
	return r
}

// expiryMillis rounds t up to a millisecond, so that storing it never
// shortens a revocation.
func expiryMillis(t time.Time) int64 {
	ms := t.UnixMilli()
	if time.UnixMilli(ms).Before(t) {
		ms++
	}
	return ms
}

// decodeRevocation parses an entry read from Redis, bounded before
// parsing.
func decodeRevocation(s string) (revocationEntry, error) {
	var e revocationEntry
	if len(s) > maxRevocationEntry {
		return e, fmt.Errorf("entry of %d bytes, more than %d", len(s), maxRevocationEntry)
	}
	err := json.Unmarshal([]byte(s), &e)
	return e, err
}

// receive applies announcements until ctx ends. After a lost connection
// go-redis subscribes again; the confirmation that follows triggers a full
// read, which repairs what was announced meanwhile.
func (s *Revocations) receive(ctx context.Context) {
	defer s.wg.Done()
	backoff := 50 * time.Millisecond
	for {
		msg, err := s.pubsub.ReceiveTimeout(ctx, s.interval)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				// Quiet channel: a PING finds a dead connection, which
				// the next receive then replaces.
				_ = s.pubsub.Ping(ctx)
				continue
			}
			s.metrics.received(false)
			s.logger.LogAttrs(ctx, slog.LevelWarn, "redisstore: revocations subscription failed", slog.String("error", err.Error()))
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, time.Second)
			continue
		}
		backoff = 50 * time.Millisecond
		switch m := msg.(type) {
		case *redis.Subscription:
			if m.Kind == "subscribe" {
				s.requestSync()
			}
		case *redis.Message:
			s.apply(m.Payload)
		}
	}
}

// apply applies one announcement.
func (s *Revocations) apply(payload string) {
	e, err := decodeRevocation(payload)
	if err == nil {
		err = s.list.Add(e.revocation(e.Exp))
	}
	s.metrics.received(err == nil)
	if err != nil {
		s.logger.LogAttrs(context.Background(), slog.LevelWarn, "redisstore: invalid revocation announced", slog.String("error", err.Error()))
	}
}

func (s *Revocations) requestSync() {
	select {
	case s.syncNow <- struct{}{}:
	default:
	}
}

// syncLoop reads the whole set every interval, and when asked.
func (s *Revocations) syncLoop(ctx context.Context) {
	defer s.wg.Done()
	t := time.NewTicker(s.interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-s.syncNow:
		}
		rctx, cancel := context.WithTimeout(ctx, s.timeout)
		err := s.read(rctx)
		cancel()
		if ctx.Err() != nil {
			return
		}
		s.metrics.synced(err == nil)
		now := time.Now()
		if err == nil {
			s.lastSync.Store(now.UnixNano())
			if s.stale.Swap(false) {
				s.logger.LogAttrs(ctx, slog.LevelInfo, "redisstore: revocations read again; credentials are checked again")
			}
			continue
		}
		s.logger.LogAttrs(ctx, slog.LevelWarn, "redisstore: reading the revocations failed; the last view stays", slog.String("error", err.Error()))
		age := now.Sub(time.Unix(0, s.lastSync.Load()))
		if s.maxStale >= 0 && age > s.maxStale && !s.stale.Swap(true) {
			s.logger.LogAttrs(ctx, slog.LevelError, "redisstore: revocations not read for longer than MaxStale; refusing every credential",
				slog.Duration("age", age), slog.Duration("max_stale", s.maxStale))
		}
	}
}

// read adds every unexpired revocation in Redis to the view. The view only
// grows: revocations are never withdrawn, only forgotten once expired, so
// merging cannot lose one announced while the read ran.
func (s *Revocations) read(ctx context.Context) error {
	from := "(" + strconv.FormatInt(time.Now().UnixMilli(), 10)
	var rs []auth.Revocation
	var bad int
	for offset := int64(0); ; offset += revocationsPage {
		zs, err := s.client.ZRangeByScoreWithScores(ctx, s.key, &redis.ZRangeBy{Min: from, Max: "+inf", Offset: offset, Count: revocationsPage}).Result()
		if err != nil {
			return err
		}
		for _, z := range zs {
			m, ok := z.Member.(string)
			if !ok {
				bad++
				continue
			}
			e, err := decodeRevocation(m)
			if err != nil {
				bad++
				continue
			}
			rs = append(rs, e.revocation(int64(z.Score)))
		}
		if len(zs) < revocationsPage {
			break
		}
	}
	if err := s.list.Add(rs...); err != nil {
		bad += len(joinedErrors(err))
	}
	if bad > 0 {
		s.logger.LogAttrs(ctx, slog.LevelWarn, "redisstore: invalid revocations in Redis skipped", slog.Int("count", bad), slog.String("key", s.key))
	}
	return nil
}

// joinedErrors returns the errors errors.Join joined in err.
func joinedErrors(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}
