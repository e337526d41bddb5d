package ratelimit

import (
	"fmt"
	"time"
)

// MaxPolicies is the most policies one Limiter may enforce. Decisions keep
// their per-policy results inline, so a decision never allocates.
const MaxPolicies = 4

// A Policy is one rate: Limit units per Period, of which up to Burst may be
// spent at once. It is a token bucket of capacity Burst refilled at
// Limit/Period, decided with GCRA (the generic cell rate algorithm), which
// keeps a single timestamp per key instead of a token count.
type Policy struct {
	// Name identifies the policy in the RateLimit-Policy and RateLimit
	// headers, in records and in logs. Required; letters, digits, '_', '-'
	// and '.', at most 32 bytes, unique within a Limiter.
	Name string
	// Limit is how many units are granted per Period. Required, >= 1.
	Limit int
	// Period is the window Limit is counted over. Required, between 1ms
	// and 366 days.
	Period time.Duration
	// Burst is how many units may be spent at once, the bucket's capacity.
	// If zero, Limit: a client may use a whole period's allowance at once,
	// as with a fixed window, and then waits for it to refill. A cost larger
	// than Burst can never be admitted.
	Burst int

	// Filled in by validation, so decisions do not divide.
	iv, tau int64
}

const (
	maxPeriod  = 366 * 24 * time.Hour
	maxNameLen = 32
	// maxUnits bounds Limit and Burst so that every product in the
	// algorithm (cost × interval, burst × interval) stays below 2^53 µs:
	// exact as an int64 here and as a double in Redis's Lua.
	maxUnits = 1 << 30
)

// interval is the emission interval in microseconds: the time one unit
// takes to refill. It is rounded up, so a rate that does not divide evenly
// grants at most, never more than, Limit per Period.
func (p *Policy) interval() int64 {
	if p.iv != 0 {
		return p.iv
	}
	us := p.Period.Microseconds()
	return (us + int64(p.Limit) - 1) / int64(p.Limit)
}

// tolerance is the GCRA delay-variation tolerance in microseconds: how far
// ahead of now the theoretical arrival time may run, Burst intervals.
func (p *Policy) tolerance() int64 {
	if p.tau != 0 {
		return p.tau
	}
	return p.interval() * int64(p.Burst)
}

// Interval returns the time one unit takes to refill, Period/Limit rounded
// up to a whole microsecond: GCRA's emission interval. It is 0 for a
// policy without a positive Limit. Stores that keep GCRA state outside
// this package (see [Decision.Decide]) advance a key's arrival time by
// cost × Interval.
func (p *Policy) Interval() time.Duration {
	if p.iv == 0 && p.Limit <= 0 {
		return 0
	}
	return usec(p.interval())
}

// Tolerance returns Burst × Interval: how far ahead of now a key's
// theoretical arrival time may run after an admission, GCRA's
// delay-variation tolerance. A policy's Burst defaults to its Limit only
// once validated (as [Limiter.Policies] and [Request.Policies] are).
func (p *Policy) Tolerance() time.Duration {
	if p.iv == 0 && p.Limit <= 0 {
		return 0
	}
	return usec(p.tolerance())
}

// validate checks p and fills in its defaults.
// validName reports whether name may name a limiter or a policy: 1 to
// maxNameLen letters, digits, '_', '-' and '.', safe in store keys, headers
// and metric attributes.
func validName(name string) bool {
	if name == "" || len(name) > maxNameLen {
		return false
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

func (p *Policy) validate() error {
	if p.Name == "" {
		return fmt.Errorf("%w: a policy has no Name", ErrInvalidConfig)
	}
	if len(p.Name) > maxNameLen {
		return fmt.Errorf("%w: policy name %q is longer than %d bytes", ErrInvalidConfig, p.Name, maxNameLen)
	}
	if !validName(p.Name) {
		return fmt.Errorf("%w: policy name %q may hold only letters, digits, '_', '-' and '.'", ErrInvalidConfig, p.Name)
	}
	if p.Limit < 1 || p.Limit > maxUnits {
		return fmt.Errorf("%w: policy %q: Limit %d is not between 1 and %d", ErrInvalidConfig, p.Name, p.Limit, maxUnits)
	}
	if p.Period < time.Millisecond || p.Period > maxPeriod {
		return fmt.Errorf("%w: policy %q: Period %v is not between 1ms and %v", ErrInvalidConfig, p.Name, p.Period, maxPeriod)
	}
	if p.Burst == 0 {
		p.Burst = p.Limit
	}
	if p.Burst < 1 || p.Burst > maxUnits {
		return fmt.Errorf("%w: policy %q: Burst %d is not between 1 and %d", ErrInvalidConfig, p.Name, p.Burst, maxUnits)
	}
	if p.Period.Microseconds() < int64(p.Limit) {
		return fmt.Errorf("%w: policy %q: Limit %d per %v is finer than one unit per microsecond", ErrInvalidConfig, p.Name, p.Limit, p.Period)
	}
	if p.tolerance() > 1<<52 {
		return fmt.Errorf("%w: policy %q: Burst %d × interval exceeds the exact range", ErrInvalidConfig, p.Name, p.Burst)
	}
	p.iv, p.tau = 0, 0
	p.iv = p.interval()
	p.tau = p.tolerance()
	return nil
}

// validatePolicies validates and copies a policy list.
func validatePolicies(in []Policy) ([]Policy, error) {
	if len(in) == 0 {
		return nil, fmt.Errorf("%w: no Policies", ErrInvalidConfig)
	}
	if len(in) > MaxPolicies {
		return nil, fmt.Errorf("%w: %d policies, at most %d", ErrInvalidConfig, len(in), MaxPolicies)
	}
	out := make([]Policy, len(in))
	copy(out, in)
	for i := range out {
		if err := out[i].validate(); err != nil {
			return nil, err
		}
		for j := range i {
			if out[j].Name == out[i].Name {
				return nil, fmt.Errorf("%w: policy name %q used twice", ErrInvalidConfig, out[i].Name)
			}
		}
	}
	return out, nil
}
