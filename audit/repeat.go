package audit

import (
	"errors"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults of Repeats.
const (
	DefaultRepeatWindow  = time.Second
	DefaultRepeatMaxKeys = 10000
)

// Repeats configures the summary of repeated refusals that carry nothing
// new: a request without any credential (401 unauthenticated) and a
// rate-limited request (429), from one client IP, on one route, with one
// method, status and reason. The first such request in a Window gets its
// own event, like any other; those that repeat it within the Window are
// counted, and when the Window ends one summary event stands for them,
// with the count ("repeated": {"count": n}; OCSF's count), the first and
// the last of them (event.start and @timestamp). A flood of such requests
// thus costs the auditor a counter per request instead of an event, and a
// log that an attacker can fill no faster than one event per key and
// Window. Nothing is lost: Stats, metrics and the brute-force monitor count
// every request (the monitor when the summary is written, so an alert may
// come up to one Window late), and Close writes the summaries still open.
//
// Refusals that carry information are never summarised: invalid or
// expired credentials (brute force is seen one attempt at a time), authz
// denials, validation failures. The zero value enables summaries with the
// defaults.
type Repeats struct {
	// Disabled gives every request its own event.
	Disabled bool
	// Window is how long a summary collects repeats from the first
	// request's event. If zero, DefaultRepeatWindow.
	Window time.Duration
	// MaxKeys bounds the keys (client IP, route, method, status, reason)
	// counted at once; a request whose key does not fit gets its own
	// event. If zero, DefaultRepeatMaxKeys.
	MaxKeys int
}

func (r Repeats) withDefaults() (Repeats, error) {
	if r.Window < 0 || r.MaxKeys < 0 {
		return r, errors.New("Repeats fields must not be negative")
	}
	if r.Window == 0 {
		r.Window = DefaultRepeatWindow
	}
	if r.MaxKeys == 0 {
		r.MaxKeys = DefaultRepeatMaxKeys
	}
	return r, nil
}

// maxRepeatPath bounds the path a key holds when the request matched no
// route; longer paths are not summarised.
const maxRepeatPath = 256

// repeatKey is what makes two refusals the same.
type repeatKey struct {
	ip     netip.Addr
	method string
	route  string // the route pattern, or the path when there is none
	status int
	action string
	reason string
}

// repeatRun counts the repeats of one key's first event within its window.
type repeatRun struct {
	key         repeatKey
	byPath      bool // key.route is the path
	needsMethod bool
	end         time.Time // when the window ends
	n           int       // repeats counted
	first, last time.Time // of the repeats
}

// repeatShards spreads keys over locks by client IP.
const repeatShards = 16

type repeatShard struct {
	mu     sync.Mutex
	closed bool // no more runs: Close has written them
	runs   map[repeatKey]*repeatRun
	order  []*repeatRun // by window end, from head
	head   int
}

// repeats is the table of open summaries. The request path counts into
// it; the writer writes the summaries whose window ended.
type repeats struct {
	cfg      Repeats
	perShard int
	open     atomic.Int64 // runs in the table, so the writer's tick can skip it
	repeated counter      // requests counted into a summary
	shards   [repeatShards]repeatShard
}

func (r *repeats) init(cfg Repeats) {
	r.cfg = cfg
	r.perShard = max(1, cfg.MaxKeys/repeatShards)
	for i := range r.shards {
		r.shards[i].runs = map[repeatKey]*repeatRun{}
	}
}

// summarisable reports whether e is a refusal that Repeats summarises.
func summarisable(e *entry) bool {
	if e.app || e.snap.Principal.Subject != "" {
		return false
	}
	switch {
	case e.action == ActionRateLimitExceeded && e.status == 429:
		return true
	case e.action == ActionAuthnLoginFail && e.status == 401 && e.reason == "unauthenticated":
		return true
	}
	return false
}

func shardOf(ip netip.Addr) int {
	b := ip.As16()
	return int(b[15]^b[14]^b[13]^b[11]) % repeatShards
}

// count counts e into its key's open summary and reports true, or reports
// false when e must get its own event: the first of its key, one whose key
// does not fit, or any after Close.
func (r *repeats) count(e *entry) bool {
	if r.cfg.Disabled || !e.clientIP.IsValid() || !summarisable(e) {
		return false
	}
	k := repeatKey{ip: e.clientIP, method: e.method, route: e.route, status: e.status, action: e.action, reason: e.reason}
	byPath := k.route == ""
	if byPath {
		if len(e.path) > maxRepeatPath {
			return false
		}
		k.route = e.path
	}
	s := &r.shards[shardOf(k.ip)]
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	run := s.runs[k]
	if run != nil && e.end.Before(run.end) {
		if run.n == 0 {
			run.first = e.end
		}
		run.n++
		run.last = e.end
		r.repeated.Add(1)
		return true
	}
	// The first of its key, or of the key's next window: the run whose
	// window ended stays in order for the writer to write, whenever it
	// comes; a writer late by a few milliseconds must not turn a flood's
	// requests back into events.
	if run == nil && len(s.runs) >= r.perShard {
		return false
	}
	run = &repeatRun{key: k, byPath: byPath, needsMethod: e.routeNeedsMethod, end: e.end.Add(r.cfg.Window)}
	s.runs[k] = run
	s.order = append(s.order, run)
	r.open.Add(1)
	return false
}

// due removes the runs whose window ended by now, or every run and all
// that would come if closing, and returns those that counted repeats.
func (r *repeats) due(now time.Time, closing bool, out []*repeatRun) []*repeatRun {
	if r.open.Load() == 0 && !closing {
		return out
	}
	for i := range r.shards {
		s := &r.shards[i]
		s.mu.Lock()
		s.closed = s.closed || closing
		for s.head < len(s.order) {
			run := s.order[s.head]
			if !closing && now.Before(run.end) {
				break
			}
			s.order[s.head] = nil
			s.head++
			if s.runs[run.key] == run {
				delete(s.runs, run.key)
			}
			r.open.Add(-1)
			if run.n > 0 {
				out = append(out, run)
			}
		}
		if s.head > 0 && s.head*2 >= len(s.order) {
			s.order = append(s.order[:0], s.order[s.head:]...)
			s.head = 0
		}
		s.mu.Unlock()
	}
	return out
}

// summary is the event that stands for run's repeats.
func (run *repeatRun) summary() *entry {
	e := getEntry()
	k := run.key
	e.start, e.end = run.first, run.last
	e.method, e.status, e.clientIP = k.method, k.status, k.ip
	if run.byPath {
		e.path = k.route
	} else {
		e.route, e.routeNeedsMethod = k.route, run.needsMethod
	}
	e.action, e.outcome, e.reason = k.action, Failure, k.reason
	e.repeats = run.n
	return e
}

// writeRepeats writes the summaries whose window ended; the caller holds
// wmu.
func (a *Auditor) writeRepeats(now time.Time, closing bool) {
	runs := a.w.runs[:0]
	runs = a.repeats.due(now, closing, runs)
	for i, run := range runs {
		a.write(run.summary())
		runs[i] = nil
	}
	a.w.runs = runs[:0]
}
