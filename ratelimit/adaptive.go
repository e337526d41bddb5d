package ratelimit

import (
	"fmt"
	"net/http"
	"sync"
	"time"

	"go.opentelemetry.io/otel/metric"

	apierrors "github.com/apishield/apishield/errors"
	"github.com/apishield/apishield/internal/record"
)

// AdaptiveConfig configures an [Adaptive] limiter. The zero value is valid.
type AdaptiveConfig struct {
	// Initial is the starting concurrency limit. If zero, 20.
	Initial int
	// Min is the lowest the limit falls to. If zero, 1.
	Min int
	// Max is the highest the limit rises to. If zero, 1000.
	Max int
	// Latency is the handler latency above which a request counts as a sign
	// of overload. If zero, Tolerance times the lowest latency seen in the
	// last one to two Windows, so the limiter learns the service's normal
	// latency by itself.
	Latency time.Duration
	// Tolerance multiplies the learned latency when Latency is zero. If
	// zero, 2.
	Tolerance float64
	// Window is how long a learned low latency is remembered. If zero, 10s.
	Window time.Duration
	// Backoff is the factor the limit is multiplied by on overload, in
	// (0, 1). If zero, 0.9.
	Backoff float64
	// Failed reports whether a response status is a failure that counts as
	// overload. If nil, statuses 500 and above other than 501.
	Failed func(status int) bool
	// RetryAfter is sent with 503 overloaded. If zero, 1s.
	RetryAfter time.Duration
	// Name names the limiter in metrics. If empty, "adaptive".
	Name string
	// MeterProvider receives the limiter's metrics (see the package
	// documentation's Monitoring). If nil, the global provider, a no-op
	// until the application installs one.
	MeterProvider metric.MeterProvider
}

// Adaptive is a concurrency limiter whose limit follows the service's
// health, AIMD style (as in Netflix's concurrency-limits and Envoy's adaptive
// concurrency): every request that finishes in time while the limit is in
// use raises it by 1/limit, so by about one per round of requests; a
// request slower than the latency threshold or failing cuts it by Backoff,
// at most once per such latency, so one slow burst counts once. Requests
// beyond the limit get 503 overloaded with Retry-After; none queue.
//
// An Adaptive is safe for concurrent use.
type Adaptive struct {
	min, max   float64
	fixed      time.Duration
	tolerance  float64
	window     time.Duration
	backoff    float64
	failed     func(int) bool
	retryAfter string

	mu           sync.Mutex
	limit        float64
	inflight     int
	lastDecrease time.Time
	epochStart   time.Time
	minCur       time.Duration // lowest latency in the current window
	minPrev      time.Duration // and in the previous one

	metrics *loadMetrics
}

// NewAdaptive validates cfg and returns an adaptive limiter. Errors wrap
// ErrInvalidConfig.
func NewAdaptive(cfg AdaptiveConfig) (*Adaptive, error) {
	if cfg.Initial == 0 {
		cfg.Initial = 20
	}
	if cfg.Min == 0 {
		cfg.Min = 1
	}
	if cfg.Max == 0 {
		cfg.Max = 1000
	}
	if cfg.Tolerance == 0 {
		cfg.Tolerance = 2
	}
	if cfg.Window == 0 {
		cfg.Window = 10 * time.Second
	}
	if cfg.Backoff == 0 {
		cfg.Backoff = 0.9
	}
	if cfg.RetryAfter == 0 {
		cfg.RetryAfter = time.Second
	}
	switch {
	case cfg.Min < 1 || cfg.Max < cfg.Min || cfg.Initial < cfg.Min || cfg.Initial > cfg.Max:
		return nil, fmt.Errorf("%w: need 1 <= Min <= Initial <= Max, have %d, %d, %d", ErrInvalidConfig, cfg.Min, cfg.Initial, cfg.Max)
	case !(cfg.Backoff > 0 && cfg.Backoff < 1):
		return nil, fmt.Errorf("%w: Backoff %v is not in (0, 1)", ErrInvalidConfig, cfg.Backoff)
	case !(cfg.Tolerance >= 1):
		return nil, fmt.Errorf("%w: Tolerance %v is below 1", ErrInvalidConfig, cfg.Tolerance)
	case cfg.Latency < 0 || cfg.Window < 0 || cfg.RetryAfter < 0:
		return nil, fmt.Errorf("%w: negative Latency, Window or RetryAfter", ErrInvalidConfig)
	}
	if cfg.Name == "" {
		cfg.Name = "adaptive"
	}
	if !validName(cfg.Name) {
		return nil, fmt.Errorf("%w: limiter Name %q may hold only letters, digits, '_', '-' and '.', at most %d bytes", ErrInvalidConfig, cfg.Name, maxNameLen)
	}
	if cfg.Failed == nil {
		cfg.Failed = func(s int) bool { return s >= 500 && s != http.StatusNotImplemented }
	}
	a := &Adaptive{
		min: float64(cfg.Min), max: float64(cfg.Max), fixed: cfg.Latency, tolerance: cfg.Tolerance,
		window: cfg.Window, backoff: cfg.Backoff, failed: cfg.Failed,
		retryAfter: retryAfter(nil, cfg.RetryAfter), limit: float64(cfg.Initial),
	}
	a.metrics = newLoadMetrics(cfg.MeterProvider, "adaptive", cfg.Name, a, func(a *Adaptive) (int, int) {
		a.mu.Lock()
		defer a.mu.Unlock()
		return a.inflight, int(a.limit)
	})
	return a, nil
}

// Limit returns the current concurrency limit.
func (a *Adaptive) Limit() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return int(a.limit)
}

// InFlight returns the number of requests in flight.
func (a *Adaptive) InFlight() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.inflight
}

// Acquire takes a slot if one is free under the current limit. Every
// successful Acquire must be paired with one Release.
func (a *Adaptive) Acquire() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.inflight >= int(a.limit) {
		return false
	}
	a.inflight++
	return true
}

// Release returns a slot and adjusts the limit with the request's latency
// and whether it failed.
func (a *Adaptive) Release(latency time.Duration, failed bool) {
	now := time.Now()
	a.mu.Lock()
	defer a.mu.Unlock()
	inUse := a.inflight
	a.inflight--
	threshold := a.threshold(now, latency)
	if failed || (threshold > 0 && latency > threshold) {
		// One decrease per latency: the requests that were already in
		// flight when the limit fell report the same overload again.
		if now.Sub(a.lastDecrease) >= latency {
			a.limit = max(a.min, a.limit*a.backoff)
			a.lastDecrease = now
		}
		return
	}
	// Grow only while the limit is what holds traffic back.
	if 2*float64(inUse) >= a.limit {
		a.limit = min(a.max, a.limit+1/a.limit)
	}
}

// threshold returns the latency above which a sample is slow, learning the
// lowest latency from sample; 0 means none learned yet. Called with a.mu.
func (a *Adaptive) threshold(now time.Time, sample time.Duration) time.Duration {
	if a.fixed > 0 {
		return a.fixed
	}
	if now.Sub(a.epochStart) >= a.window {
		a.minPrev, a.minCur, a.epochStart = a.minCur, 0, now
	}
	// The threshold is judged against what was known before this sample,
	// so a slowdown is not learned as the norm by the sample that shows it.
	base := a.minCur
	if base == 0 || (a.minPrev > 0 && a.minPrev < base) {
		base = a.minPrev
	}
	if a.minCur == 0 || sample < a.minCur {
		a.minCur = max(sample, 1)
	}
	if base == 0 {
		return 0
	}
	return time.Duration(float64(base) * a.tolerance)
}

// Handler returns next wrapped by the limiter. Requests beyond the limit get
// 503 overloaded with Retry-After; the others are timed, and their latency
// and status (read from apishield's request record) adjust the limit. A
// panicking handler counts as a failure.
func (a *Adaptive) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w, r, rec := record.Install(w, r)
		if !a.Acquire() {
			a.metrics.shed(r.Context(), outcomeDeny)
			rec.AddDecision(record.Decision{Package: pkgName, Outcome: record.Deny, Reason: apierrors.ReasonOverloaded, Rule: "adaptive"})
			apierrors.Write(w, r, apierrors.New(0, apierrors.ReasonOverloaded, "").WithHeader("Retry-After", a.retryAfter))
			return
		}
		a.metrics.allowed()
		rec.AddDecision(record.Decision{Package: pkgName, Outcome: record.Allow, Rule: "adaptive"})
		start := time.Now()
		failed := true
		defer func() {
			status, _, _ := rec.Status()
			a.Release(time.Since(start), failed || a.failed(status))
		}()
		next.ServeHTTP(w, r)
		failed = false
	})
}
