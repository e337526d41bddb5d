package auth

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/apishield/apishield/internal/telemetry"
)

// RevocationPurgeInterval is the least time between two purges of a
// [RevocationList]'s expired entries. An expired entry matches only
// credentials that have expired too, so keeping it a little longer changes
// no answer.
const RevocationPurgeInterval = time.Minute

// RevocationListConfig configures a [RevocationList].
type RevocationListConfig struct {
	// OnRevoke, if not nil, is called after each revocation that
	// [RevocationList.Revoke] applied, with Revoke's context: the place to
	// write an audit event (audit.ActionAuthnTokenRevoked). It is not
	// called for revocations loaded with Add. It must be safe for
	// concurrent use. Nil means nothing is called.
	OnRevoke func(ctx context.Context, r Revocation)
	// MeterProvider receives the count of revocations applied and the
	// number held (see the package documentation, Monitoring). Nil means
	// the global provider of go.opentelemetry.io/otel when
	// NewRevocationList runs.
	MeterProvider metric.MeterProvider
}

// A RevocationList is a [Revocations] view held in memory, for one
// instance of a service, or as the local view of a shared store (see
// auth/redisstore). It is safe for concurrent use.
//
// Checks read an immutable snapshot through an atomic pointer: they take
// no lock and allocate nothing, whatever the number of revocations.
// Revoke and Add copy the snapshot (copy on write), which costs time in
// proportion to the revocations held; revocations are rare next to
// requests. Expired revocations are dropped at most once per
// [RevocationPurgeInterval].
type RevocationList struct {
	cur atomic.Pointer[revocationSnapshot]

	mu      sync.Mutex // serializes writers
	entries map[revocationKey]time.Time
	timer   *time.Timer // the next purge, nil if none is due
	closed  bool

	onRevoke func(context.Context, Revocation)
	applied  *telemetry.Counter
}

// revocationKey is a revocation without its expiry: revocations with equal
// keys are one entry, which expires at the latest of their Expires.
type revocationKey struct {
	tokenID, subject, issuer string
	before                   int64 // IssuedBefore in Unix nanoseconds; 0 for none
	hasBefore                bool
}

// A revocationSnapshot is the immutable view a check reads. Its maps are
// keyed by the ID alone (a string key is the map's fastest kind, and the
// ID is what sets revocations apart); the issuers come after, in a slice
// that rarely holds more than one.
type revocationSnapshot struct {
	// tokens holds the issuers of each revoked jti ("" for any issuer).
	tokens map[string][]string
	// subjects holds each revoked subject's rules, one per issuer.
	subjects map[string][]subjectRule
}

// A subjectRule is the union of a subject's revocations for one issuer (""
// for any): every credential, or those issued before a time.
type subjectRule struct {
	issuer string
	all    bool
	before time.Time
}

func (s *subjectRule) revokes(issuer string, iat time.Time) bool {
	return (s.issuer == "" || s.issuer == issuer) && (s.all || iat.IsZero() || iat.Before(s.before))
}

var emptyRevocations = &revocationSnapshot{}

// Attribute values of apishield.auth.revocations.applied.
const (
	selectorTokenID = iota
	selectorSubject
	selectorIssuedBefore
)

var revocationSets = []*telemetry.Attrs{
	telemetry.NewAttrs(attribute.String("selector", "token_id")),
	telemetry.NewAttrs(attribute.String("selector", "subject")),
	telemetry.NewAttrs(attribute.String("selector", "issued_before")),
}

// NewRevocationList returns an empty list.
func NewRevocationList(cfg RevocationListConfig) (*RevocationList, error) {
	meter := telemetry.Meter(cfg.MeterProvider, "auth")
	l := &RevocationList{
		entries:  make(map[revocationKey]time.Time),
		onRevoke: cfg.OnRevoke,
		applied: telemetry.NewCounter(meter, "apishield.auth.revocations.applied",
			"Revocations applied to a view, by selector: new ones, not repeats.", "{revocation}", revocationSets),
	}
	l.cur.Store(emptyRevocations)
	telemetry.Gauge(meter, "apishield.auth.revocations.entries",
		"Revocations a view holds, expired ones not yet purged included.", "{revocation}",
		l, func(l *RevocationList, observe func(float64, *telemetry.Attrs)) {
			observe(float64(l.Len()), nil)
		})
	return l, nil
}

// Check returns [ErrRevoked] if a revocation in the list matches p, and
// nil otherwise (for a nil p too). It takes no lock and allocates nothing.
func (l *RevocationList) Check(p *Principal) error {
	if p == nil {
		return nil
	}
	s := l.cur.Load()
	if p.TokenID != "" && len(s.tokens) > 0 {
		for _, iss := range s.tokens[p.TokenID] {
			if iss == "" || iss == p.Issuer {
				return ErrRevoked
			}
		}
	}
	if p.Subject != "" && len(s.subjects) > 0 {
		rules := s.subjects[p.Subject]
		for i := range rules {
			if rules[i].revokes(p.Issuer, p.IssuedAt) {
				return ErrRevoked
			}
		}
	}
	return nil
}

// Revoke validates r ([Revocation.Validate]), applies it, and then calls
// the configured OnRevoke. The credentials it matches are refused from
// the next check on. Revoking what is already revoked succeeds and
// extends the entry's expiry if r's is later. ctx is passed to OnRevoke.
func (l *RevocationList) Revoke(ctx context.Context, r Revocation) error {
	if err := r.Validate(time.Now()); err != nil {
		return err
	}
	l.apply([]Revocation{r}, time.Now())
	if l.onRevoke != nil {
		l.onRevoke(ctx, r)
	}
	return nil
}

// Add applies revocations known from elsewhere: another instance, a
// database read at start-up. It does not call OnRevoke. Revocations that
// have expired are skipped without error; invalid ones are skipped too,
// and the error joins their [Revocation.Validate] errors (each wrapping
// [ErrInvalidRevocation]). The valid ones are applied in one step.
func (l *RevocationList) Add(rs ...Revocation) error {
	now := time.Now()
	var errs []error
	valid := rs[:0:0]
	for _, r := range rs {
		if err := r.validShape(); err != nil {
			errs = append(errs, err)
			continue
		}
		if r.Expires.After(now) {
			valid = append(valid, r)
		}
	}
	if len(valid) > 0 {
		l.apply(valid, now)
	}
	return errors.Join(errs...)
}

// apply adds valid revocations and publishes the new snapshot.
func (l *RevocationList) apply(rs []Revocation, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	changed := false
	for _, r := range rs {
		k := revocationKey{tokenID: r.TokenID, subject: r.Subject, issuer: r.Issuer}
		if !r.IssuedBefore.IsZero() {
			k.before, k.hasBefore = r.IssuedBefore.UnixNano(), true
		}
		old, ok := l.entries[k]
		if ok && !r.Expires.After(old) {
			continue
		}
		l.entries[k] = r.Expires
		changed = true
		if !ok {
			switch {
			case k.tokenID != "":
				l.applied.Inc(selectorTokenID)
			case k.hasBefore:
				l.applied.Inc(selectorIssuedBefore)
			default:
				l.applied.Inc(selectorSubject)
			}
		}
	}
	if changed {
		l.publish(now)
	}
}

// publish builds the snapshot of l.entries, dropping expired ones, and
// schedules the next purge. l.mu must be held.
func (l *RevocationList) publish(now time.Time) {
	s := &revocationSnapshot{tokens: map[string][]string{}, subjects: map[string][]subjectRule{}}
	var next time.Time
	for k, exp := range l.entries {
		if !exp.After(now) {
			delete(l.entries, k)
			continue
		}
		if next.IsZero() || exp.Before(next) {
			next = exp
		}
		if k.tokenID != "" {
			// Each (jti, issuer) is one entry, so no issuer repeats.
			s.tokens[k.tokenID] = append(s.tokens[k.tokenID], k.issuer)
			continue
		}
		rules := s.subjects[k.subject]
		i := slices.IndexFunc(rules, func(r subjectRule) bool { return r.issuer == k.issuer })
		if i < 0 {
			rules = append(rules, subjectRule{issuer: k.issuer})
			i = len(rules) - 1
		}
		if k.hasBefore {
			if b := time.Unix(0, k.before); b.After(rules[i].before) {
				rules[i].before = b
			}
		} else {
			rules[i].all = true
		}
		s.subjects[k.subject] = rules
	}
	l.cur.Store(s)
	if l.timer != nil || next.IsZero() || l.closed {
		return // a purge is due already, or nothing will expire
	}
	l.timer = time.AfterFunc(max(next.Sub(now), RevocationPurgeInterval), l.purge)
}

// purge drops expired entries.
func (l *RevocationList) purge() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.timer = nil
	l.publish(time.Now())
}

// Len returns the number of revocations the list holds: distinct
// selectors, expired ones not yet purged included.
func (l *RevocationList) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.entries)
}

// Close stops the purging of expired entries, so that the list holds no
// timer. The list keeps answering and accepting revocations. It returns
// nil.
func (l *RevocationList) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.closed = true
	if l.timer != nil {
		l.timer.Stop()
		l.timer = nil
	}
	return nil
}
