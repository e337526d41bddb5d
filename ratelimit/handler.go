package ratelimit

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"unsafe"

	apierrors "github.com/apishield/apishield/errors"
	"github.com/apishield/apishield/internal/record"
)

const pkgName = "ratelimit"

// storeFullRule is the rule recorded when the store has no room for a new
// client (ErrStoreFull).
const storeFullRule = "store_full"

var keyBufs = sync.Pool{New: func() any { b := make([]byte, 0, 128); return &b }}

// Handler returns next wrapped by the limiter. Each request's key comes
// from Config.Key and its cost from Config.Cost; the decision is recorded
// in apishield's request record, and the limiter's items are added to the
// RateLimit-Policy and RateLimit fields, after those of the limiters that
// ran before it (unless in shadow mode; see the package documentation).
//
//   - Admitted requests go to next.
//   - Denied requests get 429 rate_limited with Retry-After, through
//     apierrors.Write, as a quota-exceeded problem naming the refusing
//     policies; a cost larger than a policy's burst gets the same with its
//     own detail and no Retry-After, since waiting does not help.
//   - While the store is unavailable under FailClosed, requests get 503
//     overloaded with Retry-After.
//   - A new client the memory store has no room for (ErrStoreFull) gets 503
//     overloaded with Retry-After, whatever the failure mode.
//   - Requests without a key (ErrNoKey) go to next undecided.
//   - Requests whose key header is malformed (ErrMalformedKey) get 400
//     malformed_request; principals without a subject or client ID
//     (ErrUnidentified) get 403 forbidden.
//   - Other key errors and negative costs are server errors.
//   - In shadow mode every request goes to next, and a denial or refusal is
//     only recorded; server errors are still answered.
func (l *Limiter) Handler(next http.Handler) http.Handler {
	return record.Handler(func(w http.ResponseWriter, r *http.Request) {
		w, r, rec := record.Enter(w, r)
		bp := keyBufs.Get().(*[]byte)
		defer keyBufs.Put(bp)
		var key []byte
		var err error
		if l.ip != nil {
			key, err = l.ip.key((*bp)[:0], r, rec)
		} else {
			r = rec.Attach(r) // the application's key function may look for the record
			key, err = l.key((*bp)[:0], r)
		}
		*bp = key[:0]
		if err != nil {
			switch {
			case errors.Is(err, ErrNoKey):
				rec.AddDecision(record.Decision{Package: pkgName, Outcome: record.Skip, Rule: l.name})
				next.ServeHTTP(w, rec.RequestFor(next, w, r))
			case errors.Is(err, ErrMalformedKey):
				l.refuse(w, r, rec, next, l.name, apierrors.New(0, apierrors.ReasonMalformedRequest,
					"A credential header is empty, repeated, too long or malformed.").WithCause(err))
			case errors.Is(err, ErrUnidentified):
				l.refuse(w, r, rec, next, l.name, apierrors.New(0, apierrors.ReasonForbidden,
					"The credentials name no subject or client, so this rate limit cannot count them.").WithCause(err))
			default:
				l.metrics.refused(r.Context(), outcomeError)
				rec.AddDecision(record.Decision{Package: pkgName, Outcome: record.Error, Reason: apierrors.ReasonInternal, Rule: l.name})
				apierrors.Write(w, r, apierrors.Internal(err))
			}
			return
		}
		cost := 1
		if l.cost != nil {
			r = rec.Attach(r)
			cost = l.cost(r)
		}
		var d Decision
		err = l.allow(l.storeContext(r, rec), l.keyString(key), cost, &d)
		if errors.Is(err, ErrStoreFull) {
			rec.SetRateLimit(record.RateLimit{Key: l.name, Shadow: l.shadow, RetryAfter: d.RetryAfter})
			l.refuse(w, r, rec, next, storeFullRule, apierrors.New(0, apierrors.ReasonOverloaded, "").
				WithHeader("Retry-After", retryAfter(w.Header(), d.RetryAfter)).WithCause(err))
			return
		}
		if err != nil && !errors.Is(err, ErrUnavailable) {
			rec.AddDecision(record.Decision{Package: pkgName, Outcome: record.Error, Reason: apierrors.ReasonInternal, Rule: l.name})
			apierrors.Write(w, r, apierrors.Internal(err))
			return
		}
		l.serve(w, r, rec, next, &d, err)
	})
}

// storeContext is the context a decision is made with: r's, and for a
// store other than the memory store (which reads none), with the record
// in it, as a store of the application's may look for it. Putting it
// there costs nothing for the request the record was installed for.
func (l *Limiter) storeContext(r *http.Request, rec *record.Record) context.Context {
	if l.memory != nil {
		return r.Context()
	}
	return rec.ContextOf(r)
}

// keyString returns key for the store: for the memory store, which keeps
// only a hash of it, a view of the pooled buffer rather than a copy.
func (l *Limiter) keyString(key []byte) string {
	if l.memory != nil && len(key) > 0 {
		return unsafe.String(&key[0], len(key))
	}
	return string(key)
}

// refuse answers r with p, recording a denial by rule, or in shadow mode
// records it and passes r to next.
func (l *Limiter) refuse(w http.ResponseWriter, r *http.Request, rec *record.Record, next http.Handler, rule string, p *apierrors.Problem) {
	if rule != storeFullRule { // allow counted the full store
		l.metrics.refused(r.Context(), outcomeDeny)
	}
	if l.shadow {
		rec.AddDecision(record.Decision{Package: pkgName, Outcome: record.Skip, Reason: p.Reason, Rule: rule})
		next.ServeHTTP(w, rec.RequestFor(next, w, r))
		return
	}
	rec.AddDecision(record.Decision{Package: pkgName, Outcome: record.Deny, Reason: p.Reason, Rule: rule})
	apierrors.Write(w, r, p)
}

func (l *Limiter) serve(w http.ResponseWriter, r *http.Request, rec *record.Record, next http.Handler, d *Decision, storeErr error) {
	di := d.Deciding()
	rl := record.RateLimit{Key: l.name, Allowed: d.Allowed, Shadow: l.shadow, RetryAfter: d.RetryAfter}
	policy := l.name
	if di >= 0 {
		res := &d.results[di]
		policy = res.Policy.Name
		rl.Policy, rl.Limit, rl.Remaining = policy, res.Policy.Limit, res.Remaining
	}
	unavailable := storeErr != nil && !d.Allowed && l.mode == FailClosed
	var dec record.Decision
	switch {
	case storeErr != nil:
		reason := ""
		if !d.Allowed {
			reason = apierrors.ReasonRateLimited
			if unavailable {
				reason = apierrors.ReasonOverloaded
			}
		}
		dec = record.Decision{Package: pkgName, Outcome: record.Error, Reason: reason, Rule: l.mode.String()}
	case d.Allowed:
		dec = record.Decision{Package: pkgName, Outcome: record.Allow, Reason: policy, Rule: l.name}
	case l.shadow:
		dec = record.Decision{Package: pkgName, Outcome: record.Skip, Reason: apierrors.ReasonRateLimited, Rule: policy}
	default:
		dec = record.Decision{Package: pkgName, Outcome: record.Deny, Reason: apierrors.ReasonRateLimited, Rule: policy}
	}
	rec.SetRateLimitDecision(rl, dec)

	if l.shadow || d.Allowed {
		if !l.shadow && !unavailable {
			l.addHeaders(w.Header(), d)
		}
		next.ServeHTTP(w, rec.RequestFor(next, w, r))
		return
	}
	var p *apierrors.Problem
	switch {
	case unavailable:
		p = apierrors.New(0, apierrors.ReasonOverloaded, "").
			WithHeader("Retry-After", retryAfter(w.Header(), d.RetryAfter)).WithCause(storeErr)
	case d.CostExceedsBurst:
		prefix := l.addHeaders(w.Header(), d)
		p = apierrors.New(0, apierrors.ReasonRateLimited,
			"The request costs more than the rate limit admits at once; retrying will not help.").
			WithType(quotaExceeded, apierrors.Extension{Name: "violated-policies", Values: violated(d, prefix)})
	default:
		h := w.Header()
		prefix := l.addHeaders(h, d)
		// Set here rather than with WithHeader, which copies a header map
		// per refusal; the problem keeps the header's other fields.
		h["Retry-After"] = secondsField(retryAfterSeconds(h, d.RetryAfter))
		p = l.refusals.get(d, prefix)
	}
	apierrors.Write(w, r, p)
}

// refusals holds a Limiter's quota-exceeded problems for one refusing
// policy, made once: a flood of refusals costs no problem each.
type refusals map[refusalKey]*apierrors.Problem

// A refusalKey names a refusing policy's item: its prefix and policy.
type refusalKey struct{ prefix, policy string }

// newRefusals makes the problems for each of policies, named with each
// prefix. The Local failure mode's policies have the same names.
func newRefusals(prefixes []string, policies []Policy) refusals {
	rs := make(refusals, len(prefixes)*len(policies))
	for _, prefix := range prefixes {
		for _, p := range policies {
			rs[refusalKey{prefix, p.Name}] = rateLimited([]string{prefix + p.Name})
		}
	}
	return rs
}

// get returns the problem for d's refusing policies as named with prefix.
func (rs refusals) get(d *Decision, prefix string) *apierrors.Problem {
	var refused *PolicyResult
	for i := 0; i < d.n; i++ {
		if res := &d.results[i]; !res.Allowed {
			if refused != nil { // more than one: named together
				return rateLimited(violated(d, prefix))
			}
			refused = res
		}
	}
	if refused != nil {
		if p, ok := rs[refusalKey{prefix, refused.Policy.Name}]; ok {
			return p
		}
	}
	return rateLimited(violated(d, prefix))
}

func rateLimited(violated []string) *apierrors.Problem {
	return apierrors.New(0, apierrors.ReasonRateLimited, "Rate limit exceeded; retry after the time in Retry-After.").
		WithType(quotaExceeded, apierrors.Extension{Name: "violated-policies", Values: violated})
}

// addHeaders sets the rate-limit fields for d on h (see setHeaders) with
// a pooled buffer, and returns the prefix of this limiter's item names.
func (l *Limiter) addHeaders(h http.Header, d *Decision) string {
	bp := keyBufs.Get().(*[]byte)
	prefix, b := l.setHeaders(h, d, *bp)
	*bp = b[:0]
	keyBufs.Put(bp)
	return prefix
}
