package ratelimit

import (
	"net/http"
	"strconv"
	"time"
)

// policyHeader formats the RateLimit-Policy field of
// draft-ietf-httpapi-ratelimit-headers: one item per policy with its quota
// (q, the Limit) and window (w, the Period in seconds, rounded up), e.g.
// "burst";q=10;w=1, "hourly";q=1000;w=3600.
func policyHeader(policies []Policy) string {
	var b []byte
	for i, p := range policies {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = append(b, '"')
		b = append(b, p.Name...)
		b = append(b, `";q=`...)
		b = strconv.AppendInt(b, int64(p.Limit), 10)
		b = append(b, ";w="...)
		b = strconv.AppendInt(b, ceilSeconds(p.Period), 10)
	}
	return string(b)
}

// appendRateLimit appends the RateLimit field: per policy the remaining
// units (r) and the seconds until the bucket is full again (t, rounded up),
// e.g. "burst";r=7;t=1, "hourly";r=990;t=36.
func appendRateLimit(b []byte, d *Decision) []byte {
	for i := 0; i < d.n; i++ {
		res := &d.results[i]
		if i > 0 {
			b = append(b, ", "...)
		}
		b = append(b, '"')
		b = append(b, res.Policy.Name...)
		b = append(b, `";r=`...)
		b = strconv.AppendInt(b, int64(res.Remaining), 10)
		b = append(b, ";t="...)
		b = strconv.AppendInt(b, ceilSeconds(res.Reset), 10)
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

// retryAfterValue is the Retry-After value for d: whole seconds, rounded
// up, at least 1.
func retryAfterValue(d time.Duration) string {
	return strconv.FormatInt(max(1, ceilSeconds(d)), 10)
}

// setHeaders sets the rate-limit fields for d on h.
func (l *Limiter) setHeaders(h http.Header, d *Decision, buf []byte) []byte {
	if d.n == 0 {
		return buf
	}
	h["Ratelimit-Policy"] = []string{l.policyHeader}
	buf = appendRateLimit(buf[:0], d)
	h["Ratelimit"] = []string{string(buf)}
	if l.legacy {
		res := &d.results[max(0, d.Deciding())]
		h["X-Ratelimit-Limit"] = []string{strconv.Itoa(res.Policy.Limit)}
		h["X-Ratelimit-Remaining"] = []string{strconv.Itoa(res.Remaining)}
		h["X-Ratelimit-Reset"] = []string{strconv.FormatInt(ceilSeconds(res.Reset), 10)}
	}
	return buf
}
