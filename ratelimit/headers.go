package ratelimit

import (
	"net/http"
	"strconv"
	"strings"
	"time"
	"unsafe"
)

// The response fields of draft-ietf-httpapi-ratelimit-headers-11,
// "RateLimit header fields for HTTP": RateLimit-Policy, a structured-field
// List (RFC 9651) of one item per policy, and RateLimit, one item per
// policy with its current state. Items are named by String bare items.

// quotaExceeded is the draft's problem type for a request over a quota,
// with its member "violated-policies", the names of the refusing policies.
const quotaExceeded = "https://iana.org/assignments/http-problem-types#quota-exceeded"

// window is a policy's w: its Period in whole seconds, rounded up, since
// the draft's windows are whole seconds.
func window(p *Policy) int64 { return max(1, ceilSeconds(p.Period)) }

// quota is a policy's q for the window w: the most units it admits within
// any w seconds, which is what a client can use within a window from a
// full bucket. GCRA admits Burst units at once and one more every
// Interval, so Burst + ⌊w / Interval⌋: 600 per minute with a burst of 100
// admits 700 within 60 seconds, not 600.
func quota(p *Policy, w int64) int64 {
	return int64(p.Burst) + w*int64(time.Second/time.Microsecond)/p.interval()
}

// policyItems formats the RateLimit-Policy items of policies, each named
// prefix and its name:
//
//	"burst";q=20;w=1, "hourly";q=2000;w=3600
func policyItems(prefix string, policies []Policy) string {
	var b []byte
	for i := range policies {
		p := &policies[i]
		if i > 0 {
			b = append(b, ", "...)
		}
		b = append(b, '"')
		b = append(b, prefix...)
		b = append(b, p.Name...)
		w := window(p)
		b = append(b, `";q=`...)
		b = strconv.AppendInt(b, quota(p, w), 10)
		b = append(b, ";w="...)
		b = strconv.AppendInt(b, w, 10)
	}
	return string(b)
}

// available returns a policy result's r and t: the units the policy admits
// now, and the seconds, rounded up as Retry-After is, until it admits one
// more. Within t seconds the client can use no more than r units, which is
// the draft's effective window; a refusing policy's t is never later than
// its wait for the refused cost, so never later than Retry-After.
func available(res *PolicyResult) (r, t int64) {
	p := &res.Policy
	r = max(0, int64(res.Remaining))
	// The arrival time runs Reset ahead of now; the unit after r is
	// admitted once it is within Tolerance of now again.
	next := int64(res.Reset/time.Microsecond) + (r+1)*p.interval() - p.tolerance()
	return r, max(1, ceilSeconds(usec(next)))
}

// appendRateLimit appends d's RateLimit items, each named prefix and its
// policy's name:
//
//	"burst";r=7;t=1, "hourly";r=1990;t=4
func appendRateLimit(b []byte, d *Decision, prefix string) []byte {
	for i := 0; i < d.n; i++ {
		res := &d.results[i]
		if i > 0 {
			b = append(b, ", "...)
		}
		r, t := available(res)
		b = append(b, '"')
		b = append(b, prefix...)
		b = append(b, res.Policy.Name...)
		b = append(b, `";r=`...)
		b = strconv.AppendInt(b, r, 10)
		b = append(b, ";t="...)
		b = strconv.AppendInt(b, t, 10)
	}
	return b
}

// ceilSeconds rounds d up to whole seconds, so a client that waits that
// long is never early.
func ceilSeconds(d time.Duration) int64 {
	if d <= 0 {
		return 0
	}
	return int64((d + time.Second - 1) / time.Second)
}

// retryAfter is the Retry-After value for a wait: whole seconds, rounded
// up, at least 1, and never earlier than the t of any RateLimit item
// already in h whose r is 0, such as a per-IP policy this request just
// exhausted before a per-subject one refused it: a retry before then
// would be refused by that policy.
func retryAfter(h http.Header, wait time.Duration) string {
	return strconv.FormatInt(retryAfterSeconds(h, wait), 10)
}

// retryAfterSeconds is retryAfter's value as a number.
func retryAfterSeconds(h http.Header, wait time.Duration) int64 {
	s := max(1, ceilSeconds(wait))
	for _, v := range h["Ratelimit"] {
		s = max(s, exhaustedWindow(v))
	}
	return s
}

// exhaustedWindow returns the largest t of the items in the RateLimit
// field value v whose r is 0, or 0. Items it cannot read are skipped.
func exhaustedWindow(v string) int64 {
	var most int64
	for item := range strings.SplitSeq(v, ",") {
		_, params, ok := strings.Cut(item, ";")
		if !ok {
			continue
		}
		r, t := int64(-1), int64(0)
		for param := range strings.SplitSeq(params, ";") {
			k, val, _ := strings.Cut(strings.TrimSpace(param), "=")
			n, err := strconv.ParseInt(val, 10, 64)
			if err != nil {
				continue
			}
			switch k {
			case "r":
				r = n
			case "t":
				t = n
			}
		}
		if r == 0 {
			most = max(most, t)
		}
	}
	return most
}

// hasItem reports whether the list value v holds an item named prefix
// followed by name.
func hasItem(v, prefix, name string) bool {
	for i := 0; ; {
		j := strings.Index(v[i:], name)
		if j < 0 {
			return false
		}
		at := i + j
		start, end := at-len(prefix)-1, at+len(name)
		if start >= 0 && v[start] == '"' && v[start+1:at] == prefix && end < len(v) && v[end] == '"' {
			return true
		}
		i = at + 1
	}
}

// collides reports whether an item of the list values vs has the name of
// one of policies, prefixed with prefix.
func collides(vs []string, prefix string, policies []Policy) bool {
	for _, v := range vs {
		for i := range policies {
			if hasItem(v, prefix, policies[i].Name) {
				return true
			}
		}
	}
	return false
}

// appendList appends the list values vs to b, each followed by ", ", as
// the start of one field value. Empty values are empty lists: left out.
func appendList(b []byte, vs []string) []byte {
	for _, v := range vs {
		if strings.Trim(v, " \t") != "" {
			b = append(append(b, v...), ", "...)
		}
	}
	return b
}

// setHeaders adds d's items to the RateLimit-Policy and RateLimit fields of
// h, after those of the limiters that decided the request before this one,
// and returns the prefix of this limiter's item names. Items are named by
// their policies, unless an earlier limiter's item has the same name: then
// all of this limiter's items are named "limiter/policy", so every name in
// a response stays distinct. If those are taken too (a limiter applied
// more than twice), the fields are left as they are.
//
// A decision on a cost that exceeds a burst was made without the store, so
// it has RateLimit-Policy items and no RateLimit items: the state is
// unknown.
func (l *Limiter) setHeaders(h http.Header, d *Decision, buf []byte) (prefix string, _ []byte) {
	if d.n == 0 {
		return "", buf
	}
	src := l
	if d.Fallback && l.local != nil {
		src = l.local // the Local mode's own, smaller policies
	}
	items := src.policyItems
	prev := h["Ratelimit-Policy"]
	if len(prev) > 0 && collides(prev, "", src.policies) {
		prefix = l.qualifier
		if collides(prev, prefix, src.policies) {
			return "", buf
		}
		items = src.qualifiedItems
	}
	if len(prev) > 0 {
		h["Ratelimit-Policy"] = []string{string(append(appendList(buf[:0], prev), items...))}
	} else if prefix == "" {
		h["Ratelimit-Policy"] = src.policyField // shared and never changed: no allocation
	} else {
		h["Ratelimit-Policy"] = []string{items}
	}
	if !d.CostExceedsBurst {
		if f := l.exhaustedField(h, d, prefix); f != nil {
			h["Ratelimit"] = f
		} else {
			buf = appendRateLimit(appendList(buf[:0], h["Ratelimit"]), d, prefix)
			h["Ratelimit"] = fieldOf(buf)
		}
	}
	if l.legacy {
		l.setLegacy(h, d)
	}
	return prefix, buf
}

// An exhausted is the RateLimit field value of a limiter with one policy
// whose r is 0: the same for every refusal within a second.
type exhausted struct {
	t     int64
	field []string
}

// exhaustedField returns the RateLimit value for d when it is the
// limiter's one item, unprefixed, with r 0, from the last such value the
// limiter made if its t is the same; else nil. A client that floods past
// its limit then costs no value per refusal.
func (l *Limiter) exhaustedField(h http.Header, d *Decision, prefix string) []string {
	if d.n != 1 || prefix != "" || len(h["Ratelimit"]) > 0 {
		return nil
	}
	r, t := available(&d.results[0])
	if r != 0 {
		return nil
	}
	if e := l.exhausted.Load(); e != nil && e.t == t {
		return e.field
	}
	var b [64]byte
	f := fieldOf(appendRateLimit(b[:0], d, ""))
	l.exhausted.Store(&exhausted{t: t, field: f})
	return f
}

// A field is a header field's value and its bytes: one allocation for
// what would otherwise take two. shortField is one for a value of at most
// 8 bytes, such as a number of seconds, in 24 bytes.
type (
	field struct {
		v [1]string
		b [32]byte
	}
	shortField struct {
		v [1]string
		b [8]byte
	}
)

// fieldOf returns a header value slice holding a copy of b. Its capacity
// is 1, so a later Header.Add copies rather than writing into it.
func fieldOf(b []byte) []string {
	switch {
	case len(b) == 0:
		return []string{""}
	case len(b) <= len(shortField{}.b):
		f := new(shortField)
		n := copy(f.b[:], b)
		f.v[0] = unsafe.String(&f.b[0], n)
		return f.v[:1:1]
	case len(b) <= len(field{}.b):
		f := new(field)
		n := copy(f.b[:], b)
		f.v[0] = unsafe.String(&f.b[0], n)
		return f.v[:1:1]
	}
	return []string{string(b)}
}

// setLegacy sets the X-RateLimit fields for d's deciding policy. With
// several limiters on a request the tightest wins: a denial, or else the
// policy with the fewest units remaining.
func (l *Limiter) setLegacy(h http.Header, d *Decision) {
	res := &d.results[max(0, d.Deciding())]
	if d.Allowed {
		if prev := h["X-Ratelimit-Remaining"]; len(prev) == 1 {
			if n, err := strconv.Atoi(prev[0]); err == nil && n <= res.Remaining {
				return
			}
		}
	}
	h["X-Ratelimit-Limit"] = []string{strconv.Itoa(res.Policy.Limit)}
	h["X-Ratelimit-Remaining"] = []string{strconv.Itoa(max(0, res.Remaining))}
	h["X-Ratelimit-Reset"] = []string{strconv.FormatInt(ceilSeconds(res.Reset), 10)}
}

// violated returns the names of the policies that refused d, as named in
// the fields: the quota-exceeded problem's "violated-policies".
func violated(d *Decision, prefix string) []string {
	var names []string
	for i := 0; i < d.n; i++ {
		if res := &d.results[i]; !res.Allowed {
			names = append(names, prefix+res.Policy.Name)
		}
	}
	return names
}

// secondsFields are the header values "0" to "99", shared: a Retry-After
// of under 100 seconds costs no allocation. Each has capacity 1, so a
// later Header.Add copies.
var secondsFields = func() (f [100][]string) {
	for i := range f {
		f[i] = []string{strconv.Itoa(i)}[:1:1]
	}
	return f
}()

// secondsField returns the header value slice for n seconds.
func secondsField(n int64) []string {
	if n >= 0 && n < int64(len(secondsFields)) {
		return secondsFields[n]
	}
	var b [20]byte
	return fieldOf(strconv.AppendInt(b[:0], n, 10))
}
