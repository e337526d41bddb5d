package ratelimit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/apishield/apishield/auth"
)

// fields is one response's rate-limit fields, parsed as a client would.
type fields struct {
	policy     map[string]sfItem // RateLimit-Policy items by name
	rate       map[string]sfItem // RateLimit items by name
	order      []string          // RateLimit-Policy names in order
	retryAfter int64             // -1 if absent
}

// parseFields parses w's RateLimit-Policy, RateLimit and Retry-After with
// the strict structured-field parser, and checks what the draft requires
// of their shape: lists of String-named items, distinct names, q, w, r and
// t integers (q and r non-negative, w and t positive), every RateLimit item
// naming a policy of RateLimit-Policy.
func parseFields(t *testing.T, h http.Header) fields {
	t.Helper()
	f := fields{policy: map[string]sfItem{}, rate: map[string]sfItem{}, retryAfter: -1}
	for field, into := range map[string]map[string]sfItem{"Ratelimit-Policy": f.policy, "Ratelimit": f.rate} {
		if len(h[field]) == 0 {
			continue
		}
		items, err := parseSFList(h[field])
		if err != nil {
			t.Fatalf("%s: %v", field, err)
		}
		for _, it := range items {
			name, ok := it.value.(sfString)
			if !ok {
				t.Fatalf("%s: item %v is not a String", field, it.value)
			}
			if _, dup := into[string(name)]; dup {
				t.Fatalf("%s: the name %q is used twice in %q", field, name, h[field])
			}
			into[string(name)] = it
			if field == "Ratelimit-Policy" {
				f.order = append(f.order, string(name))
			}
		}
	}
	for name, it := range f.policy {
		if q := intParam(t, it, "q"); q < 0 {
			t.Fatalf("policy %q: q=%d", name, q)
		}
		if w := intParam(t, it, "w"); w < 1 {
			t.Fatalf("policy %q: w=%d", name, w)
		}
	}
	for name, it := range f.rate {
		if _, ok := f.policy[name]; !ok {
			t.Fatalf("RateLimit item %q names no policy of RateLimit-Policy %q", name, h["Ratelimit-Policy"])
		}
		if r := intParam(t, it, "r"); r < 0 {
			t.Fatalf("RateLimit %q: r=%d", name, r)
		}
		if tt := intParam(t, it, "t"); tt < 1 {
			t.Fatalf("RateLimit %q: t=%d", name, tt)
		}
	}
	if v := h["Retry-After"]; len(v) > 0 {
		n, err := strconv.ParseInt(v[0], 10, 64)
		if len(v) != 1 || err != nil || n < 1 {
			t.Fatalf("Retry-After %q: want one positive integer of seconds", v)
		}
		f.retryAfter = n
	}
	return f
}

func intParam(t *testing.T, it sfItem, key string) int64 {
	t.Helper()
	v, ok := it.param(key)
	n, isInt := v.(int64)
	if !ok || !isInt {
		t.Fatalf("item %v: parameter %s is %v, want an Integer", it.value, key, v)
	}
	return n
}

// violatedPolicies reads the quota-exceeded problem of a 429.
func violatedPolicies(t *testing.T, w *httptest.ResponseRecorder) []string {
	t.Helper()
	var body struct {
		Type     string   `json:"type"`
		Reason   string   `json:"reason"`
		Violated []string `json:"violated-policies"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
		t.Fatalf("body %s: %v", w.Body, err)
	}
	if body.Type != quotaExceeded || body.Reason != "rate_limited" || len(body.Violated) == 0 {
		t.Fatalf("429 body %s: want the quota-exceeded type, reason rate_limited and violated-policies", w.Body)
	}
	return body.Violated
}

func fromAddr(addr string) *http.Request {
	r := httptest.NewRequest("GET", "/v1/items", nil)
	r.RemoteAddr = addr
	return r
}

// The RateLimit-Policy q and w of every policy are what GCRA admits:
// driving the limiter as fast as it admits from a fresh key, exactly q
// units are admitted within w seconds (the most any w seconds can hold,
// since a full bucket is where the most can be spent). 600 per minute with
// a burst of 100 admits 700 in the first minute.
func TestPolicyFieldIsWhatGCRAAdmits(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		p          Policy
		wantQ, wnt int64 // 0: not fixed by the table, only by driving
	}{
		{Policy{Name: "ip", Limit: 600, Period: time.Minute, Burst: 100}, 700, 60},
		{Policy{Name: "default-burst", Limit: 100, Period: time.Minute}, 200, 60},
		{Policy{Name: "no-burst", Limit: 10, Period: time.Second, Burst: 1}, 11, 1},
		{Policy{Name: "uneven", Limit: 7, Period: time.Second, Burst: 3}, 0, 1},
		{Policy{Name: "hourly", Limit: 1000, Period: time.Hour, Burst: 20}, 1020, 3600},
		{Policy{Name: "sub-second", Limit: 10, Period: 100 * time.Millisecond, Burst: 5}, 105, 1},
		{Policy{Name: "odd-period", Limit: 3, Period: 2500 * time.Millisecond, Burst: 1}, 0, 3},
	} {
		t.Run(tc.p.Name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				l := MustNew(Config{Key: mustByIP(t, IPConfig{}), Policies: []Policy{tc.p}})
				w, _ := serve(l.Handler(okHandler), fromAddr("192.0.2.1:1"))
				f := parseFields(t, w.Header())
				it := f.policy[tc.p.Name]
				q, win := intParam(t, it, "q"), intParam(t, it, "w")
				if tc.wantQ != 0 && (q != tc.wantQ || win != tc.wnt) {
					t.Fatalf("q=%d w=%d, want q=%d w=%d", q, win, tc.wantQ, tc.wnt)
				}
				// Drive a fresh key as fast as the limiter admits it.
				start := time.Now()
				var admitted int64
				for time.Since(start) <= time.Duration(win)*time.Second {
					d, err := l.Allow(context.Background(), "driven", 1)
					if err != nil {
						t.Fatal(err)
					}
					if d.Allowed {
						admitted++
						continue
					}
					time.Sleep(d.RetryAfter)
				}
				if admitted != q {
					t.Fatalf("the limiter admitted %d units within w=%ds, the field says q=%d", admitted, win, q)
				}
			})
		})
	}
}

// r is what the policy admits now and t the seconds until it admits one
// more: right after a response, r more requests are admitted and the next
// is refused; after t seconds, one more is admitted.
func TestRateLimitFieldIsAvailableNow(t *testing.T) {
	t.Parallel()
	for _, p := range []Policy{
		{Name: "hourly", Limit: 1000, Period: time.Hour, Burst: 20},
		{Name: "fast", Limit: 10, Period: time.Second, Burst: 4},
		{Name: "slow", Limit: 2, Period: time.Minute, Burst: 3},
	} {
		for _, spent := range []int{0, 1, 2} {
			t.Run(fmt.Sprintf("%s/spent-%d", p.Name, spent), func(t *testing.T) {
				t.Parallel()
				synctest.Test(t, func(t *testing.T) {
					h := MustNew(Config{Key: mustByIP(t, IPConfig{}), Policies: []Policy{p}}).Handler(okHandler)
					for range spent {
						serve(h, fromAddr("192.0.2.1:1"))
					}
					time.Sleep(p.Period / 7) // off the refill grid
					w, _ := serve(h, fromAddr("192.0.2.1:1"))
					f := parseFields(t, w.Header())
					r, tt := intParam(t, f.rate[p.Name], "r"), intParam(t, f.rate[p.Name], "t")
					for i := range r {
						if w, _ := serve(h, fromAddr("192.0.2.1:1")); w.Code != http.StatusNoContent {
							t.Fatalf("r=%d, but request %d of them got %d", r, i+1, w.Code)
						}
					}
					if w, _ := serve(h, fromAddr("192.0.2.1:1")); w.Code != http.StatusTooManyRequests {
						t.Fatalf("r=%d, but request %d was admitted too", r, r+1)
					}
					time.Sleep(time.Duration(tt) * time.Second)
					if w, _ := serve(h, fromAddr("192.0.2.1:1")); w.Code != http.StatusNoContent {
						t.Fatalf("t=%d, but after t seconds the next request got %d", tt, w.Code)
					}
				})
			})
		}
	}
}

// On every 429, Retry-After is never earlier than the t of a refusing
// policy, nor of any item with nothing available; the body names the
// refusing policies as the fields do; and a retry after Retry-After is
// admitted. Random policies, costs and pauses, from a fixed seed.
func TestRetryAfterNeverBeforeT(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(18, 429))
	periods := []time.Duration{300 * time.Millisecond, time.Second, 1700 * time.Millisecond, time.Minute, time.Hour}
	for run := range 40 {
		var ps []Policy
		for i := range 1 + rng.IntN(3) {
			limit := 1 + rng.IntN(50)
			ps = append(ps, Policy{Name: "p" + strconv.Itoa(i), Limit: limit, Period: periods[rng.IntN(len(periods))], Burst: 1 + rng.IntN(8)})
		}
		maxCost := 1 + rng.IntN(3)
		for _, p := range ps {
			maxCost = min(maxCost, p.Burst)
		}
		seed := rng.Uint64()
		t.Run(strconv.Itoa(run), func(t *testing.T) {
			t.Parallel()
			rng := rand.New(rand.NewPCG(seed, 0))
			synctest.Test(t, func(t *testing.T) {
				cost := 1
				l := MustNew(Config{Key: mustByIP(t, IPConfig{}), Policies: ps, Cost: func(*http.Request) int { return cost }})
				h := l.Handler(okHandler)
				denials := 0
				for range 60 {
					cost = 1 + rng.IntN(maxCost)
					w, _ := serve(h, fromAddr("192.0.2.1:1"))
					if w.Code == http.StatusNoContent {
						time.Sleep(time.Duration(rng.Int64N(int64(ps[0].Period / 4))))
						continue
					}
					if w.Code != http.StatusTooManyRequests {
						t.Fatalf("status %d", w.Code)
					}
					denials++
					f := parseFields(t, w.Header())
					violated := violatedPolicies(t, w)
					for name, it := range f.rate {
						r, tt := intParam(t, it, "r"), intParam(t, it, "t")
						if (r < int64(cost) || slices.Contains(violated, name)) && tt > f.retryAfter {
							t.Fatalf("%v cost %d: Retry-After %d is earlier than %q's t=%d (r=%d)", ps, cost, f.retryAfter, name, tt, r)
						}
						if slices.Contains(violated, name) != (r < int64(cost)) {
							t.Fatalf("%q: r=%d for cost %d, yet violated-policies %v", name, r, cost, violated)
						}
					}
					time.Sleep(time.Duration(f.retryAfter) * time.Second)
					if w, _ := serve(h, fromAddr("192.0.2.1:1")); w.Code != http.StatusNoContent {
						t.Fatalf("%v: retried cost %d after Retry-After %d: %d", ps, cost, f.retryAfter, w.Code)
					}
				}
				if denials == 0 {
					t.Logf("%v: no denial in this run", ps)
				}
			})
		})
	}
}

// withSubject authenticates requests as sub, as auth's middleware does.
func withSubject(sub string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(auth.NewContext(r.Context(), &auth.Principal{Subject: sub, Issuer: "https://issuer.example"})))
	})
}

// A request through a per-IP and a per-subject limiter carries both
// limiters' items, the per-IP ones first; a per-IP policy this request
// exhausted holds Retry-After back when the per-subject one refuses it.
func TestFieldsOfEveryLimiter(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		perIP := MustNew(Config{Name: "ip", Key: mustByIP(t, IPConfig{}), Policies: []Policy{{Name: "ip", Limit: 1, Period: 10 * time.Second}}})
		perSubject := MustNew(Config{Name: "subject", Key: BySubject(), Policies: []Policy{
			{Name: "subject", Limit: 1, Period: 3 * time.Second},
			{Name: "daily", Limit: 100, Period: 24 * time.Hour},
		}})
		h := perIP.Handler(withSubject("alice", perSubject.Handler(okHandler)))

		w, _ := serve(h, fromAddr("192.0.2.1:1"))
		f := parseFields(t, w.Header())
		if w.Code != http.StatusNoContent || !slices.Equal(f.order, []string{"ip", "subject", "daily"}) || len(f.rate) != 3 {
			t.Fatalf("%d, RateLimit-Policy %q, RateLimit %q: want the items of both limiters", w.Code, w.Header()["Ratelimit-Policy"], w.Header()["Ratelimit"])
		}

		// Another address, the same subject: the per-IP limit admits it
		// and is spent for 10 seconds; the per-subject one refuses it
		// for 3. Retrying after 3 seconds would meet the per-IP limit.
		w, _ = serve(h, fromAddr("192.0.2.2:1"))
		f = parseFields(t, w.Header())
		if w.Code != http.StatusTooManyRequests {
			t.Fatalf("status %d, want 429", w.Code)
		}
		if r, tt := intParam(t, f.rate["ip"], "r"), intParam(t, f.rate["ip"], "t"); r != 0 || tt != 10 || f.retryAfter != 10 {
			t.Fatalf(`"ip";r=%d;t=%d and Retry-After %d: want r=0, t=10 and Retry-After 10`, r, tt, f.retryAfter)
		}
		if got := violatedPolicies(t, w); !slices.Equal(got, []string{"subject"}) {
			t.Fatalf("violated-policies %v, want [subject]", got)
		}
		time.Sleep(10 * time.Second)
		if w, _ := serve(h, fromAddr("192.0.2.2:1")); w.Code != http.StatusNoContent {
			t.Fatalf("after Retry-After: %d", w.Code)
		}
	})
}

// Limiters whose policies have the same names: the later limiter's items
// are named "limiter/policy", in both fields and in violated-policies.
func TestFieldNamesStayDistinct(t *testing.T) {
	t.Parallel()
	ps := []Policy{{Name: "default", Limit: 1, Period: time.Hour}}
	perIP := MustNew(Config{Name: "ip", Key: mustByIP(t, IPConfig{}), Policies: ps})
	perSubject := MustNew(Config{Name: "subject", Key: BySubject(), Policies: ps})
	h := perIP.Handler(withSubject("bob", perSubject.Handler(okHandler)))
	w, _ := serve(h, fromAddr("192.0.2.1:1"))
	if f := parseFields(t, w.Header()); !slices.Equal(f.order, []string{"default", "subject/default"}) || len(f.rate) != 2 {
		t.Fatalf("RateLimit-Policy %q, RateLimit %q", w.Header()["Ratelimit-Policy"], w.Header()["Ratelimit"])
	}
	w, _ = serve(h, fromAddr("192.0.2.2:1"))
	parseFields(t, w.Header())
	if got := violatedPolicies(t, w); !slices.Equal(got, []string{"subject/default"}) {
		t.Fatalf("violated-policies %v", got)
	}
	// A limiter applied three times (a mistake: it counts each request
	// thrice) adds its items twice, once qualified, and no more.
	l := MustNew(Config{Name: "ip", Key: mustByIP(t, IPConfig{}), Policies: []Policy{{Name: "default", Limit: 5, Period: time.Hour}}})
	w, _ = serve(l.Handler(l.Handler(l.Handler(okHandler))), fromAddr("192.0.2.9:1"))
	if f := parseFields(t, w.Header()); w.Code != http.StatusNoContent || !slices.Equal(f.order, []string{"default", "ip/default"}) || len(f.rate) != 2 {
		t.Fatalf("%d, RateLimit-Policy %q, RateLimit %q", w.Code, w.Header()["Ratelimit-Policy"], w.Header()["Ratelimit"])
	}
}

// A cost no burst admits is refused without the store: the policies are
// sent, and no RateLimit item, since the state was not read.
func TestFieldsWhenCostExceedsBurst(t *testing.T) {
	t.Parallel()
	l := MustNew(Config{Key: mustByIP(t, IPConfig{}), Cost: func(*http.Request) int { return 6 }, Policies: []Policy{
		{Name: "small", Limit: 10, Period: time.Second, Burst: 5},
		{Name: "large", Limit: 100, Period: time.Hour},
	}})
	w, _ := serve(l.Handler(okHandler), fromAddr("192.0.2.1:1"))
	f := parseFields(t, w.Header())
	if w.Code != http.StatusTooManyRequests || len(f.policy) != 2 || len(f.rate) != 0 || f.retryAfter != -1 {
		t.Fatalf("%d %v: want 429 with RateLimit-Policy, no RateLimit, no Retry-After", w.Code, w.Header())
	}
	if got := violatedPolicies(t, w); !slices.Equal(got, []string{"small"}) {
		t.Fatalf("violated-policies %v, want [small]", got)
	}
}

// Under the Local failure mode the fields describe the local policies,
// which enforce a share of each.
func TestFieldsOfTheLocalMode(t *testing.T) {
	t.Parallel()
	l := MustNew(Config{Key: mustByIP(t, IPConfig{}), Store: failingStore{errors.New("down")}, OnStoreError: Local, LocalShare: 0.5,
		Policies: []Policy{{Name: "p", Limit: 100, Period: time.Minute, Burst: 10}}})
	w, _ := serve(l.Handler(okHandler), fromAddr("192.0.2.1:1"))
	f := parseFields(t, w.Header())
	if q, r := intParam(t, f.policy["p"], "q"), intParam(t, f.rate["p"], "r"); q != 5+50 || r != 4 {
		t.Fatalf("q=%d r=%d, want the local share's q=55 and r=4", q, r)
	}
}

// exhaustedWindow reads only well-formed items with r=0.
func TestExhaustedWindow(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]int64{
		`"a";r=0;t=7, "b";r=0;t=9, "c";r=3;t=99`: 9,
		`"a";r=1;t=7`:                            0,
		`"a";t=5;r=0`:                            5,
		`"a";r=0;t=x, garbage, ;;;, "b";r=0`:     0,
		``:                                       0,
	} {
		if got := exhaustedWindow(in); got != want {
			t.Errorf("%q: %d, want %d", in, got, want)
		}
	}
}

// TestFieldValues: the one-allocation header values hold exactly their
// bytes, and have capacity 1 so an Add copies instead of writing into a
// value another response may share.
func TestFieldValues(t *testing.T) {
	for _, s := range []string{"", "7", "12345678", "123456789", strings.Repeat("x", 32), strings.Repeat("y", 33), strings.Repeat("z", 300)} {
		f := fieldOf([]byte(s))
		if len(f) != 1 || cap(f) != 1 || f[0] != s {
			t.Errorf("fieldOf(%q) = %q (cap %d)", s, f, cap(f))
		}
	}
	for _, n := range []int64{0, 1, 99, 100, 3600, 1 << 40} {
		f := secondsField(n)
		if len(f) != 1 || cap(f) != 1 || f[0] != strconv.FormatInt(n, 10) {
			t.Errorf("secondsField(%d) = %q (cap %d)", n, f, cap(f))
		}
		h := http.Header{"Retry-After": f}
		h.Add("Retry-After", "x")
		if f[0] != strconv.FormatInt(n, 10) || secondsField(n)[0] != strconv.FormatInt(n, 10) {
			t.Errorf("Header.Add changed the shared value of %d", n)
		}
	}
}

// TestExhaustedFieldShared: refusals of a client past its one policy
// within the same second share one RateLimit value, which is the value
// formatted afresh; a second later, t differs and a new value is made.
func TestExhaustedFieldShared(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l, err := New(Config{Name: "ip", Key: func(dst []byte, r *http.Request) ([]byte, error) { return append(dst, "k"...), nil },
			Policies: []Policy{{Name: "per-ip", Limit: 2, Period: time.Hour}}})
		if err != nil {
			t.Fatal(err)
		}
		h := l.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
		serve := func() []string {
			w := httptest.NewRecorder()
			h.ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
			return w.Header()["Ratelimit"]
		}
		serve()
		serve()
		a, b := serve(), serve()
		if len(a) != 1 || len(b) != 1 || &a[0] != &b[0] {
			t.Fatalf("two refusals in one instant: RateLimit %q and %q, not one shared value", a, b)
		}
		d, _ := l.Allow(context.Background(), "k", 1)
		if want := string(appendRateLimit(nil, &d, "")); a[0] != want || !strings.HasPrefix(want, `"per-ip";r=0;t=`) {
			t.Fatalf("shared value %q, formatted afresh %q", a[0], want)
		}
		time.Sleep(900 * time.Second)
		c := serve()
		if len(c) != 1 || c[0] == a[0] {
			t.Fatalf("a quarter of an hour later RateLimit is %q, as before (%q)", c, a)
		}
		d, _ = l.Allow(context.Background(), "k", 1)
		if want := string(appendRateLimit(nil, &d, "")); c[0] != want {
			t.Fatalf("value %q, formatted afresh %q", c[0], want)
		}
	})
}
