package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/metric"
)

// Errors returned by this package. Callers test them with errors.Is.
var (
	// ErrInvalidConfig is wrapped by every configuration error.
	ErrInvalidConfig = errors.New("ratelimit: invalid config")
	// ErrInvalidCost is returned by Allow for a negative cost.
	ErrInvalidCost = errors.New("ratelimit: negative cost")
	// ErrUnavailable is wrapped by the error Allow returns when the store
	// could not decide; the decision returned with it is the failure mode's.
	ErrUnavailable = errors.New("ratelimit: store unavailable")
	// ErrNoKey is returned by a [KeyFunc] when the request has no key of its
	// kind, such as BySubject on an anonymous request. The limiter then
	// lets the request through undecided and records a skip: place a
	// per-IP limiter in front for anonymous traffic.
	ErrNoKey = errors.New("ratelimit: request has no key")
	// ErrStoreFull is returned by Allow, with a denial, when the cost would
	// be admitted but the client is new and the memory store has no room
	// for it: every key it holds still owes time, and dropping one would
	// forgive that client. The decision's RetryAfter is when room is
	// expected. The handler answers 503 overloaded with Retry-After,
	// whatever the failure mode: the store did decide, and admitting
	// clients it cannot count would lift the limit for a flood of new keys.
	ErrStoreFull = errors.New("ratelimit: store full")
	// ErrUnidentified is returned by BySubject for a principal with neither
	// a subject nor a client ID, which no budget can count. The handler
	// answers 403 forbidden rather than let it through unlimited.
	ErrUnidentified = errors.New("ratelimit: principal has neither subject nor client ID")
	// ErrMalformedKey is wrapped by the error a [KeyFunc] returns when the
	// request carries its key in a malformed, repeated or oversized form,
	// such as an Authorization header auth cannot parse. The handler
	// answers 400 malformed_request: a key spelled in ways the verifier
	// does not accept must not get a bucket per spelling.
	ErrMalformedKey = errors.New("ratelimit: malformed key")
)

// A FailureMode says what a limiter decides when its store fails.
type FailureMode int

const (
	// FailClosed denies while the store is unavailable: the handler answers
	// 503 overloaded with Retry-After. The default.
	FailClosed FailureMode = iota
	// FailOpen admits every request while the store is unavailable.
	FailOpen
	// Local decides with an in-memory limiter of this instance, at
	// Config.LocalShare of each policy's Limit and Burst.
	Local
)

// String returns the mode's name as recorded in decisions: "fail_closed",
// "fail_open" or "local".
func (m FailureMode) String() string {
	switch m {
	case FailClosed:
		return "fail_closed"
	case FailOpen:
		return "fail_open"
	case Local:
		return "local"
	}
	return fmt.Sprintf("FailureMode(%d)", int(m))
}

// DefaultUnavailableRetryAfter is the Retry-After sent with 503 while the
// store is unavailable and Config.UnavailableRetryAfter is zero.
const DefaultUnavailableRetryAfter = time.Second

// Config configures a [Limiter]. A Config is copied by New and may be
// reused.
type Config struct {
	// Name names the limiter in store keys, records and logs, e.g. "ip" or
	// "subject", and qualifies its policies' names in the RateLimit fields
	// ("subject/hourly") when a limiter that ran before it on the request
	// has policies of the same names. Limiters that share a store must have
	// different names. If empty, "default". Letters, digits, '_', '-'
	// and '.', at most 32 bytes.
	Name string
	// Store keeps the state. If nil, a new memory store of its own with the
	// default MemoryConfig.
	Store Store
	// Policies are the rates enforced together, all-or-nothing. Required,
	// 1 to MaxPolicies.
	Policies []Policy
	// Key derives the client's key from a request, for Handler. Required:
	// there is no default, so a limiter never silently counts everyone as
	// one client. Allow does not use it.
	Key KeyFunc
	// Cost returns the units a request costs, for Handler. If nil, 1.
	// A negative cost is a server error.
	Cost func(*http.Request) int
	// Shadow makes Handler decide and record but never deny, and send no
	// rate-limit headers: for trying a policy on live traffic.
	Shadow bool
	// LegacyHeaders also sends X-RateLimit-Limit, X-RateLimit-Remaining and
	// X-RateLimit-Reset (seconds from now) for the deciding policy, for
	// clients that predate the RateLimit fields.
	LegacyHeaders bool
	// OnStoreError is the failure mode. The zero value is FailClosed.
	OnStoreError FailureMode
	// LocalShare is the share of each policy's Limit and Burst that the
	// Local failure mode enforces per instance, in (0, 1], e.g. 1/N for N
	// instances. Required when OnStoreError is Local, ignored otherwise.
	LocalShare float64
	// UnavailableRetryAfter is the Retry-After sent with 503 while the store
	// is unavailable under FailClosed. If zero,
	// DefaultUnavailableRetryAfter.
	UnavailableRetryAfter time.Duration
	// Logger receives store failures, at most one per second. If nil, they
	// are not logged (they are still recorded per request).
	Logger *slog.Logger
	// MeterProvider receives the limiter's metrics (see the package
	// documentation, Monitoring). If nil, the global provider of
	// go.opentelemetry.io/otel when New runs, which does nothing until the
	// application installs an SDK and delegates to it from then on.
	MeterProvider metric.MeterProvider
}

// A Limiter enforces a set of policies per key. Its decision is [Limiter.Allow];
// [Limiter.Handler] applies it to HTTP requests. A Limiter is safe for
// concurrent use.
type Limiter struct {
	name      string
	store     Store
	memory    *MemoryStore // store, when it is the memory store: called directly
	policies  []Policy
	key       KeyFunc
	refusals  refusals                  // the quota-exceeded problems, made once
	exhausted atomic.Pointer[exhausted] // the last RateLimit value with r 0, see exhaustedField
	ip        *ipKey                    // set when key is ByIP's: called with the record, see ipKeys
	cost      func(*http.Request) int
	shadow    bool
	legacy    bool
	mode      FailureMode
	local     *Limiter // the Local failure mode's limiter
	unavRetry time.Duration
	logger    *slog.Logger
	logGate   logGate
	metrics   *limiterMetrics // nil for the Local mode's limiter

	// RateLimit-Policy items, fixed per limiter: named by the policies,
	// or, when another limiter on the request uses those names, by
	// qualifier ("limiter/") and the policies.
	policyItems, qualifiedItems, qualifier string
	policyField                            []string // policyItems as a header value, shared
}

// New validates cfg and returns a limiter. Errors wrap ErrInvalidConfig.
func New(cfg Config) (*Limiter, error) {
	l, err := newLimiter(cfg)
	if err != nil {
		return nil, err
	}
	if cfg.Key == nil {
		return nil, fmt.Errorf("%w: Key is required", ErrInvalidConfig)
	}
	l.metrics = newLimiterMetrics(cfg.MeterProvider, l.name, l.policies, l.mode)
	return l, nil
}

func newLimiter(cfg Config) (*Limiter, error) {
	if cfg.Name == "" {
		cfg.Name = "default"
	}
	if !validName(cfg.Name) {
		return nil, fmt.Errorf("%w: limiter Name %q may hold only letters, digits, '_', '-' and '.', at most %d bytes", ErrInvalidConfig, cfg.Name, maxNameLen)
	}
	policies, err := validatePolicies(cfg.Policies)
	if err != nil {
		return nil, err
	}
	l := &Limiter{
		name: cfg.Name, store: cfg.Store, policies: policies, key: cfg.Key, ip: ipKeyOf(cfg.Key), cost: cfg.Cost,
		shadow: cfg.Shadow, legacy: cfg.LegacyHeaders, mode: cfg.OnStoreError,
		unavRetry: cfg.UnavailableRetryAfter, logger: cfg.Logger,
	}
	if l.unavRetry < 0 {
		return nil, fmt.Errorf("%w: UnavailableRetryAfter %v is negative", ErrInvalidConfig, l.unavRetry)
	}
	if l.unavRetry == 0 {
		l.unavRetry = DefaultUnavailableRetryAfter
	}
	if l.store == nil {
		l.store, _ = NewMemoryStore(MemoryConfig{})
	}
	l.memory, _ = l.store.(*MemoryStore)
	switch l.mode {
	case FailClosed, FailOpen:
	case Local:
		share := cfg.LocalShare
		if !(share > 0 && share <= 1) {
			return nil, fmt.Errorf("%w: LocalShare %v is not in (0, 1]; the Local failure mode needs it", ErrInvalidConfig, share)
		}
		lp := make([]Policy, len(policies))
		for i, p := range policies {
			p.Limit = max(1, int(math.Floor(float64(p.Limit)*share)))
			p.Burst = max(1, int(math.Floor(float64(p.Burst)*share)))
			lp[i] = p
		}
		if l.local, err = newLimiter(Config{Name: cfg.Name, Policies: lp}); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("%w: unknown OnStoreError %v", ErrInvalidConfig, l.mode)
	}
	l.qualifier = cfg.Name + "/"
	l.policyItems = policyItems("", policies)
	l.qualifiedItems = policyItems(l.qualifier, policies)
	l.policyField = []string{l.policyItems}
	l.refusals = newRefusals([]string{"", l.qualifier}, policies)
	return l, nil
}

// MustNew is New for start-up code: it panics if cfg is invalid.
func MustNew(cfg Config) *Limiter {
	l, err := New(cfg)
	if err != nil {
		panic(err)
	}
	return l
}

// Name returns the limiter's name.
func (l *Limiter) Name() string { return l.name }

// Policies returns a copy of the limiter's policies, with defaults filled in.
func (l *Limiter) Policies() []Policy { return append([]Policy(nil), l.policies...) }

// Allow decides whether key may spend cost units now under every policy, and
// spends them if so. A cost larger than a policy's Burst is refused with
// CostExceedsBurst set, without consulting the store; a cost of 0 asks
// without spending.
//
// The error is nil when the store decided. It wraps ErrInvalidCost for a
// negative cost, and ErrUnavailable when the store failed: the returned
// decision is then the failure mode's (denied under FailClosed, admitted
// under FailOpen, the local limiter's under Local), with Fallback set. It
// wraps ErrStoreFull, with a denial whose RetryAfter is when room is
// expected, when key is new and the memory store (or the Local mode's) has
// no room for it without forgetting a client that still owes time.
func (l *Limiter) Allow(ctx context.Context, key string, cost int) (Decision, error) {
	var d Decision
	err := l.allow(ctx, key, cost, &d)
	return d, err
}

func (l *Limiter) allow(ctx context.Context, key string, cost int, d *Decision) error {
	err := l.decide(ctx, key, cost, d)
	l.metrics.decided(ctx, d, err)
	return err
}

func (l *Limiter) decide(ctx context.Context, key string, cost int, d *Decision) error {
	if cost < 0 {
		return ErrInvalidCost
	}
	if exceedsBurst(int64(cost), l.policies, d) {
		return nil
	}
	if l.memory != nil {
		// A direct call keeps the request and decision on the stack.
		req := Request{Namespace: l.name, Key: key, Cost: cost, Policies: l.policies}
		return l.memory.take(&req, d)
	}
	err := l.takeStore(ctx, key, cost, d)
	if err == nil {
		return nil
	}
	if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
		// The caller gave up: not a store failure.
		return err
	}
	if errors.Is(err, ErrStoreFull) {
		// A decision, not a failure: no failure mode may admit it.
		d.Allowed = false
		return err
	}
	l.logFailure(ctx, err)
	err = fmt.Errorf("%w: %w", ErrUnavailable, err)
	*d = Decision{}
	switch l.mode {
	case FailOpen:
		d.Allowed = true
	case Local:
		if !exceedsBurst(int64(cost), l.local.policies, d) {
			req := Request{Namespace: l.name, Key: key, Cost: cost, Policies: l.local.policies}
			if lerr := l.local.store.(*MemoryStore).take(&req, d); lerr != nil {
				err = fmt.Errorf("%w; local: %w", err, lerr)
			}
		}
	default:
		d.RetryAfter = l.unavRetry
	}
	d.Fallback = true
	return err
}

// takeStore asks a store other than the memory store. What a call through
// the Store interface points to escapes to the heap, so the request and
// decision it hands over come from a pool: a decision costs no allocation
// here whatever the store, as it does when the memory store is called
// directly. Stores must not retain them (see Store).
func (l *Limiter) takeStore(ctx context.Context, key string, cost int, d *Decision) error {
	c := storeCalls.Get().(*storeCall)
	c.req = Request{Namespace: l.name, Key: key, Cost: cost, Policies: l.policies}
	c.d = Decision{}
	err := l.store.Take(ctx, &c.req, &c.d)
	*d = c.d
	c.req = Request{} // keep no key or policies alive in the pool
	storeCalls.Put(c)
	return err
}

// A storeCall is the request and decision of one call through the Store
// interface.
type storeCall struct {
	req Request
	d   Decision
}

var storeCalls = sync.Pool{New: func() any { return new(storeCall) }}

func (l *Limiter) logFailure(ctx context.Context, err error) {
	if l.logger == nil || !l.logGate.open() {
		return
	}
	l.logger.LogAttrs(ctx, slog.LevelError, "ratelimit: store failed",
		slog.String("limiter", l.name), slog.String("mode", l.mode.String()), slog.Any("error", err))
}
