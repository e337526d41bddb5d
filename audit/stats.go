package audit

import (
	"sync"
	"sync/atomic"
)

// maxReasons bounds the distinct reasons Stats counts; later ones are
// counted under "other", so an application logging free-form reasons cannot
// grow the map without bound.
const maxReasons = 128

// Stats are an auditor's counters since New. Counts of requests and
// outcomes are taken on the request path, so they include events that were
// later dropped.
type Stats struct {
	Requests  uint64 // requests seen by Handler
	AppEvents uint64 // events passed to Log

	Success uint64 // events with outcome success
	Failure uint64 // events with outcome failure

	AuthFailures        uint64 // authn_login_fail and authn_token_reuse events
	Denials             uint64 // authz_fail events
	NotFound            uint64 // not_found events (objects that do not exist)
	RateLimited         uint64 // excess_rate_limit_exceeded events
	ValidationFailures  uint64 // input_validation_fail events
	BruteForceSuspected uint64 // authn_brute_force_suspected events emitted

	// Repeated counts requests summarised in a summary of repeated
	// refusals (see Repeats) instead of getting their own event.
	Repeated uint64

	Emitted    uint64 // events handed to the handlers
	Dropped    uint64 // events dropped because the queue was full (async mode)
	SinkErrors uint64 // handler errors, one per failing handler per event
	// MonitorOverflow counts failures the brute-force monitor could not
	// track because it already tracked BruteForce.MaxKeys keys.
	MonitorOverflow uint64

	// ByReason counts failure events by reason (the problem's reason code,
	// or the Event's Reason).
	ByReason map[string]uint64
}

type counters struct {
	requests, appEvents, success, failure                     counter
	authFailures, denials, notFound, rateLimited              counter
	validationFailures                                        counter
	bruteForce, emitted, dropped, sinkErrors, monitorOverflow counter

	// reasons is read on the request path of every failure, without a
	// lock: a map that is never changed, replaced by a copy with each new
	// reason (at most maxReasons+1 times). sync.Map's any-typed key would
	// allocate for each string looked up.
	reasonsMu sync.Mutex // serialises the copies
	reasons   atomic.Pointer[map[string]*counter]
}

func (c *counters) count(e *entry) {
	c.requests.Add(1)
	c.outcome(e)
}

func (c *counters) countApp(e *entry) {
	c.appEvents.Add(1)
	c.outcome(e)
}

func (c *counters) outcome(e *entry) {
	switch e.outcome {
	case Success:
		c.success.Add(1)
	case Failure:
		c.failure.Add(1)
		if e.reason != "" {
			c.reason(e.reason).Add(1)
		}
	}
	switch e.action {
	case ActionAuthnLoginFail, ActionAuthnTokenReuse:
		c.authFailures.Add(1)
	case ActionAuthzFail:
		c.denials.Add(1)
	case ActionNotFound:
		c.notFound.Add(1)
	case ActionRateLimitExceeded:
		c.rateLimited.Add(1)
	case ActionInputValidation:
		c.validationFailures.Add(1)
	}
}

func (c *counters) reason(r string) *counter {
	if m := c.reasons.Load(); m != nil {
		if n, ok := (*m)[r]; ok {
			return n
		}
	}
	c.reasonsMu.Lock()
	defer c.reasonsMu.Unlock()
	var old map[string]*counter
	if m := c.reasons.Load(); m != nil {
		old = *m
	}
	if n, ok := old[r]; ok {
		return n
	}
	if len(old) >= maxReasons {
		r = "other"
		if n, ok := old[r]; ok {
			return n
		}
	}
	m := make(map[string]*counter, len(old)+1)
	for k, v := range old {
		m[k] = v
	}
	n := new(counter)
	m[r] = n
	c.reasons.Store(&m)
	return n
}

// Stats returns a snapshot of the counters.
func (a *Auditor) Stats() Stats {
	c := &a.stats
	s := Stats{
		Requests: c.requests.Load(), AppEvents: c.appEvents.Load(),
		Success: c.success.Load(), Failure: c.failure.Load(),
		AuthFailures: c.authFailures.Load(), Denials: c.denials.Load(), NotFound: c.notFound.Load(),
		RateLimited: c.rateLimited.Load(), ValidationFailures: c.validationFailures.Load(),
		BruteForceSuspected: c.bruteForce.Load(), Repeated: a.repeats.repeated.Load(),
		Emitted: c.emitted.Load(), Dropped: c.dropped.Load(),
		SinkErrors: c.sinkErrors.Load(), MonitorOverflow: c.monitorOverflow.Load(),
		ByReason: map[string]uint64{},
	}
	if m := c.reasons.Load(); m != nil {
		for k, v := range *m {
			s.ByReason[k] = v.Load()
		}
	}
	return s
}
