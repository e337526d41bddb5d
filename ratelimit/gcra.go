package ratelimit

import "time"

// gcra decides cost against the theoretical arrival times tats (one per
// policy, in microseconds; 0 means no state) at now, also in microseconds,
// all-or-nothing: either every policy admits the cost and tats are advanced,
// or tats are left unchanged. It fills d and reports whether the cost was
// admitted.
//
// For each policy with emission interval T and tolerance τ = Burst·T, a
// cost c is admitted when max(tat, now) + c·T − τ ≤ now; the new arrival
// time is then max(tat, now) + c·T. Everything is integer microseconds, so
// the result is exact, and the same in every store that decides with it
// (see Decision.Decide).
func gcra(now, cost int64, policies []Policy, tats []int64, d *Decision) bool {
	allowed := true
	var retry int64
	for i := range policies {
		p := &policies[i]
		t, tau := p.interval(), p.tolerance()
		tat := max(tats[i], now)
		newTAT := tat + cost*t
		r := &d.results[i]
		r.Policy = *p
		if wait := newTAT - tau - now; wait > 0 {
			allowed = false
			retry = max(retry, wait)
			r.Allowed = false
			r.RetryAfter = usec(wait)
			r.Remaining = int(max(0, tau-(tat-now)) / t)
			r.Reset = usec(tat - now)
		} else {
			r.Allowed = true
			r.RetryAfter = 0
			r.Remaining = int((tau - (newTAT - now)) / t)
			r.Reset = usec(newTAT - now)
		}
	}
	d.n = len(policies)
	d.Allowed = allowed
	if allowed {
		d.RetryAfter = 0
		for i := range policies {
			tats[i] = max(tats[i], now) + cost*policies[i].iv
		}
	} else {
		d.RetryAfter = usec(retry)
		// Nothing was spent: report what each admitting policy still has.
		for i := range policies {
			if r := &d.results[i]; r.Allowed {
				tat := max(tats[i], now)
				r.Remaining = int(max(0, policies[i].tolerance()-(tat-now)) / policies[i].interval())
				r.Reset = usec(tat - now)
			}
		}
	}
	return allowed
}

// Decide fills d with the decision on cost under policies, given for each
// policy how far its key's theoretical arrival time runs ahead of now
// (zero or negative for a key without state or whose bucket is full), and
// reports whether cost is admitted. It is the arithmetic of this
// package's memory store, exported for [Store] implementations that keep
// the arrival times elsewhere, as the redisstore package does in Redis: a
// store that, when Decide admits, advances each policy's arrival time to
// now + max(ahead, 0) + cost × Interval, and otherwise changes nothing,
// decides exactly as the memory store does.
//
// policies must be validated, as the ones in a [Request] are. Decide
// panics if ahead is shorter than policies, if there are more than
// MaxPolicies of them, or if cost is negative. Fractions of a microsecond
// in ahead are rounded up, so a decision is never more lenient than the
// state it is given.
func (d *Decision) Decide(cost int, policies []Policy, ahead []time.Duration) bool {
	if cost < 0 || len(policies) > MaxPolicies || len(ahead) < len(policies) {
		panic("ratelimit: Decision.Decide: negative cost, too many policies or too few arrival times")
	}
	var tats [MaxPolicies]int64
	for i := range policies {
		if a := ahead[i]; a > 0 {
			tats[i] = int64((a + time.Microsecond - 1) / time.Microsecond)
		}
	}
	d.CostExceedsBurst, d.Fallback = false, false
	return gcra(0, int64(cost), policies, tats[:len(policies)], d)
}

// exceedsBurst fills d as the refusal of a cost that no policy state could
// ever admit, and reports whether cost is such a cost.
func exceedsBurst(cost int64, policies []Policy, d *Decision) bool {
	over := false
	for i := range policies {
		over = over || cost > int64(policies[i].Burst)
	}
	if !over {
		return false
	}
	for i := range policies {
		p := &policies[i]
		r := &d.results[i]
		*r = PolicyResult{Policy: *p, Allowed: cost <= int64(p.Burst)}
	}
	d.n = len(policies)
	d.Allowed, d.RetryAfter, d.CostExceedsBurst = false, 0, true
	return true
}

func usec(us int64) time.Duration { return time.Duration(us) * time.Microsecond }
