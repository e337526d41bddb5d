package ratelimit

import "time"

// A Decision is the outcome of one [Limiter.Allow]: whether the cost was
// admitted and, for every policy, how much is left and when it refills.
// Per-policy results are held inline, so a Decision is an ordinary value
// that costs no allocation.
type Decision struct {
	// Allowed reports whether the cost was admitted. A denied cost consumed
	// nothing from any policy.
	Allowed bool
	// RetryAfter is how long to wait before the same cost would be admitted,
	// the longest wait of the policies that denied; 0 when allowed, and 0
	// when CostExceedsBurst, since no wait helps then.
	RetryAfter time.Duration
	// CostExceedsBurst reports that the cost is larger than some policy's
	// Burst, so it can never be admitted.
	CostExceedsBurst bool
	// Fallback reports that the store failed and the decision was made by
	// the limiter's failure mode (see [FailureMode]).
	Fallback bool

	n       int
	results [MaxPolicies]PolicyResult
}

// A PolicyResult is one policy's part in a [Decision].
type PolicyResult struct {
	// Policy is the policy the result is for.
	Policy Policy
	// Allowed reports whether this policy alone would admit the cost.
	Allowed bool
	// Remaining is how many units the policy would still admit right after
	// this decision, without waiting.
	Remaining int
	// Reset is how long until the policy's bucket is full again if nothing
	// more is spent.
	Reset time.Duration
	// RetryAfter is how long until this policy alone would admit the cost;
	// 0 if it admits it now.
	RetryAfter time.Duration
}

// Len returns the number of policies in the decision.
func (d *Decision) Len() int { return d.n }

// Result returns the result of the i'th policy, in the limiter's order.
// It panics if i is out of range.
func (d *Decision) Result(i int) PolicyResult {
	if i < 0 || i >= d.n {
		panic("ratelimit: Decision.Result index out of range")
	}
	return d.results[i]
}

// SetResult sets the result of the i'th policy, growing the decision to
// i+1 policies if needed. It is for [Store] implementations; i must be less
// than MaxPolicies.
func (d *Decision) SetResult(i int, r PolicyResult) {
	d.results[i] = r
	if i >= d.n {
		d.n = i + 1
	}
}

// Deciding returns the index of the policy that decided: on a denial the
// one with the longest wait, otherwise the one with the fewest remaining
// units. It returns -1 for an empty decision.
func (d *Decision) Deciding() int {
	best := -1
	for i := 0; i < d.n; i++ {
		r := &d.results[i]
		if best < 0 {
			best = i
			continue
		}
		b := &d.results[best]
		if d.Allowed {
			if r.Remaining < b.Remaining {
				best = i
			}
		} else if r.RetryAfter > b.RetryAfter || (b.Allowed && !r.Allowed) {
			best = i
		}
	}
	return best
}
