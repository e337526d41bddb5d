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
// the result is exact and the same as the Redis script's.
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
			r.Remaining = int((tau - (tat - now)) / t)
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
				r.Remaining = int((policies[i].tolerance() - (tat - now)) / policies[i].interval())
				r.Reset = usec(tat - now)
			}
		}
	}
	return allowed
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
