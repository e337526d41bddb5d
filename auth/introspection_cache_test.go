package auth_test

import (
	"context"
	"errors"
	"maps"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/apishield/apishield/auth"
	"github.com/apishield/apishield/internal/telemetry/telemetrytest"
)

// inBubble builds, inside a synctest bubble, an Introspection whose
// requests reach s in memory, so that the bubble's fake clock drives
// token times and cache lifetimes.
func inBubble(t *testing.T, s *introspectionServer, mod func(*auth.IntrospectionConfig)) *auth.Introspection {
	return introspector(t, "https://idp.example/introspect", inMemoryClient(s), mod)
}

// TestIntrospectionCacheLifetime: an active token's answer is reused until
// its exp or for CacheTTL, whichever is sooner, and not a nanosecond
// longer; a refusal for NegativeTTL.
func TestIntrospectionCacheLifetime(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		body   func(now time.Time) string
		mod    func(*auth.IntrospectionConfig)
		reused time.Duration // how long the answer is reused
	}{
		{"bounded by exp", func(now time.Time) string { return withExp(now, now.Add(time.Minute)) }, nil, time.Minute},
		{"bounded by the default CacheTTL", func(now time.Time) string { return withExp(now, now.Add(time.Hour)) }, nil, auth.DefaultIntrospectionCacheTTL},
		{"bounded by CacheTTL", func(now time.Time) string { return withExp(now, now.Add(time.Hour)) },
			func(c *auth.IntrospectionConfig) { c.CacheTTL = 30 * time.Second }, 30 * time.Second},
		{"no exp", func(now time.Time) string {
			return strings.Replace(withExp(now, now), `,"exp":`+itoa(now.Unix()), "", 1)
		},
			func(c *auth.IntrospectionConfig) { c.CacheTTL = 2 * time.Minute }, 2 * time.Minute},
		{"inactive, default NegativeTTL", func(time.Time) string { return `{"active":false}` }, nil, auth.DefaultIntrospectionNegativeTTL},
		{"inactive, NegativeTTL", func(time.Time) string { return `{"active":false}` },
			func(c *auth.IntrospectionConfig) { c.NegativeTTL = time.Minute }, time.Minute},
		{"other audience", func(now time.Time) string {
			return strings.Replace(withExp(now, now.Add(time.Hour)), testAudience, "https://other.example", 1)
		}, nil, auth.DefaultIntrospectionNegativeTTL},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				s := newIDP(t, auth.ClientSecretBasic)
				in := inBubble(t, s, tc.mod)
				s.answer("opaque", tc.body(time.Now()))
				_, first := in.Verify(context.Background(), "opaque")
				time.Sleep(tc.reused - time.Nanosecond)
				_, again := in.Verify(context.Background(), "opaque")
				if n := s.calls.Load(); n != 1 {
					t.Fatalf("calls = %d before the answer's lifetime ended, want 1", n)
				}
				if !errors.Is(again, first) && again != first {
					t.Errorf("cached answer %v, first %v", again, first)
				}
				time.Sleep(time.Nanosecond)
				in.Verify(context.Background(), "opaque")
				if n := s.calls.Load(); n != 2 {
					t.Fatalf("calls = %d once the answer's lifetime ended, want 2", n)
				}
			})
		})
	}
}

func withExp(now, exp time.Time) string {
	return strings.Replace(activeJSON(now, ""), `"exp":`+itoa(now.Add(time.Hour).Unix()), `"exp":`+itoa(exp.Unix()), 1)
}

// TestIntrospectionCacheDisabled: negative lifetimes and sizes turn the
// caches off: every look-up is an introspection.
func TestIntrospectionCacheDisabled(t *testing.T) {
	t.Parallel()
	for name, mod := range map[string]func(*auth.IntrospectionConfig){
		"CacheTTL":    func(c *auth.IntrospectionConfig) { c.CacheTTL = -1 },
		"NegativeTTL": func(c *auth.IntrospectionConfig) { c.NegativeTTL = -1 },
		"CacheSize":   func(c *auth.IntrospectionConfig) { c.CacheSize = -1 },
	} {
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				s := newIDP(t, auth.ClientSecretBasic)
				in := inBubble(t, s, mod)
				tok := "inactive"
				if name != "NegativeTTL" {
					tok = "active"
					s.answer(tok, activeJSON(time.Now(), ""))
				}
				for range 3 {
					in.Verify(context.Background(), tok)
				}
				if n := s.calls.Load(); n != 3 {
					t.Errorf("calls = %d, want 3", n)
				}
			})
		})
	}
}

// TestIntrospectionCoalescedWithoutCache: with the caches off, only
// coalescing can make 50 concurrent look-ups of one token share a call.
// synctest.Wait returns once all 50 are blocked (one in the endpoint, the
// others waiting for it), so they all overlap the call by construction.
func TestIntrospectionCoalescedWithoutCache(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		s := newIDP(t, auth.ClientSecretBasic)
		s.block = make(chan struct{})
		s.answer("opaque", activeJSON(time.Now(), ""))
		in := inBubble(t, s, func(c *auth.IntrospectionConfig) { c.CacheSize = -1 })
		var wg sync.WaitGroup
		for range 50 {
			wg.Go(func() {
				if p, err := in.Verify(context.Background(), "opaque"); err != nil || p.Subject != "alice" {
					t.Errorf("Verify = %v, %v", p, err)
				}
			})
		}
		synctest.Wait()
		close(s.block)
		wg.Wait()
		if n := s.calls.Load(); n != 1 {
			t.Errorf("calls = %d, want 1", n)
		}
		in.Verify(context.Background(), "opaque") // after the flight: a call of its own
		if n := s.calls.Load(); n != 2 {
			t.Errorf("calls = %d, want 2", n)
		}
	})
}

// TestIntrospectionMetrics reads back, through the SDK, the calls by
// outcome, their durations, the cache lookups, and the middleware's
// decisions with method introspection.
func TestIntrospectionMetrics(t *testing.T) {
	t.Parallel()
	m := telemetrytest.NewMetrics(t)
	s := newIDP(t, auth.ClientSecretBasic)
	endpoint, client := s.serveTLS(t)
	in := introspector(t, endpoint, client, func(c *auth.IntrospectionConfig) { c.MeterProvider = m })
	mw := auth.MustNew(auth.Config{Authenticators: []auth.Authenticator{in}, Logger: discardLogger(), MeterProvider: m})
	// The instruments hold their owners weakly: keep both until the
	// metrics are read, or a collection may find them gone.
	defer runtime.KeepAlive(in)
	defer runtime.KeepAlive(mw)
	now := time.Now()
	s.answer("active", activeJSON(now, ""))
	s.answer("other-aud", strings.Replace(activeJSON(now, ""), testAudience, "https://other.example", 1))
	s.answer("broken", `{"active":"yes"}`)
	h := mw.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	for _, tok := range []string{"active", "active", "inactive", "inactive", "other-aud", "broken", "broken"} {
		req := httptest.NewRequest("GET", "/v1/items", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		h.ServeHTTP(httptest.NewRecorder(), req)
	}
	for name, want := range map[string]map[string]float64{
		"apishield.auth.introspection.calls":         {"outcome=active": 1, "outcome=inactive": 1, "outcome=invalid": 1, "outcome=failure": 2},
		"apishield.auth.introspection.duration":      {"outcome=active": 1, "outcome=inactive": 1, "outcome=invalid": 1, "outcome=failure": 2},
		"apishield.auth.introspection.cache.lookups": {"result=hit": 1, "result=negative_hit": 1, "result=miss": 5},
		"apishield.auth.decisions": {"method=introspection,outcome=allow,reason=ok": 2,
			"method=introspection,outcome=deny,reason=invalid_token": 5},
	} {
		if got := m.Series(name); !maps.Equal(got, want) {
			t.Errorf("%s =\n%v\nwant\n%v", name, got, want)
		}
	}
}
