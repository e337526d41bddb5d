package ratelimit

import (
	"context"
	"errors"
	"maps"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"

	"github.com/apishield/apishield/internal/telemetry/telemetrytest"
)

// TestMetrics drives real requests through limiters and reads back, through
// the SDK's manual reader, exactly the decisions and fallbacks counted.
func TestMetrics(t *testing.T) {
	t.Parallel()
	m := telemetrytest.NewMetrics(t)
	spans := telemetrytest.NewSpans(t)
	ip := MustNew(Config{Name: "ip", Key: mustByIP(t, IPConfig{}), MeterProvider: m,
		Policies: []Policy{{Name: "minute", Limit: 2, Period: time.Minute}}})
	open := MustNew(Config{Name: "shared", Store: failingStore{errors.New("down")}, Key: mustByIP(t, IPConfig{}),
		OnStoreError: FailOpen, MeterProvider: m, Policies: []Policy{{Name: "hour", Limit: 5, Period: time.Hour}}})
	byKey := MustNew(Config{Name: "key", Key: mustKey(ByAPIKey("X-API-Key")), MeterProvider: m,
		Policies: []Policy{{Name: "hour", Limit: 5, Period: time.Hour}}})

	traced := func(h http.Handler, r *http.Request) int {
		ctx, span := spans.Start(r.Context(), "request")
		w, _ := serve(h, r.WithContext(ctx))
		span.End()
		return w.Code
	}
	for i, want := range []int{204, 204, 429, 429} {
		if code := traced(ip.Handler(okHandler), httptest.NewRequest("GET", "/", nil)); code != want {
			t.Fatalf("ip request %d: %d, want %d", i, code, want)
		}
	}
	for range 2 {
		if code := traced(open.Handler(okHandler), httptest.NewRequest("GET", "/", nil)); code != 204 {
			t.Fatalf("fail-open request: %d, want 204", code)
		}
	}
	bad := httptest.NewRequest("GET", "/", nil)
	bad.Header["X-Api-Key"] = []string{"a", "b"} // repeated: malformed
	if code := traced(byKey.Handler(okHandler), bad); code != 400 {
		t.Fatalf("malformed key: %d, want 400", code)
	}
	// Allow outside HTTP counts too, without a span.
	if _, err := ip.Allow(context.Background(), "other", 1); err != nil {
		t.Fatal(err)
	}

	defer runtime.KeepAlive([]*Limiter{ip, open, byKey})
	got := m.Series("apishield.ratelimit.decisions")
	want := map[string]float64{
		"limiter=ip,outcome=allow,policy=minute":   3,
		"limiter=ip,outcome=deny,policy=minute":    2,
		"limiter=shared,outcome=error,policy=none": 2,
		"limiter=key,outcome=deny,policy=none":     1,
	}
	if !maps.Equal(got, want) {
		t.Errorf("decisions =\n%v\nwant\n%v", got, want)
	}
	if n, ok := m.Value("apishield.ratelimit.fallbacks", attribute.String("mode", "fail_open")); !ok || n != 2 {
		t.Errorf("fallbacks{mode=fail_open} = %v, %v; want 2", n, ok)
	}
	if fb := m.Series("apishield.ratelimit.fallbacks"); len(fb) != 1 {
		t.Errorf("fallbacks series = %v, want only fail_open", fb)
	}
	md := m.Collect()["apishield.ratelimit.decisions"]
	if md.Scope != "github.com/apishield/apishield/ratelimit" || md.Unit != "{decision}" {
		t.Errorf("scope, unit = %q, %q", md.Scope, md.Unit)
	}
	// Bounded attributes only: never the client's address or key.
	for k := range got {
		if strings.Contains(k, "192.0.2.1") || strings.Contains(k, "other") {
			t.Errorf("series %q holds a client identity", k)
		}
	}

	events := telemetrytest.Sorted(spans.Events(decisionEvent))
	wantEv := telemetrytest.Sorted([]string{
		"limiter=ip,outcome=allow,policy=minute", "limiter=ip,outcome=allow,policy=minute",
		"limiter=ip,outcome=deny,policy=minute", "limiter=ip,outcome=deny,policy=minute",
		"limiter=shared,outcome=error,policy=none", "limiter=shared,outcome=error,policy=none",
		"limiter=key,outcome=deny,policy=none",
	})
	if !slices.Equal(events, wantEv) {
		t.Errorf("span events =\n%v\nwant\n%v", events, wantEv)
	}
}

// A store that has no room for a new client is a denial by no policy, and a
// key function's failure an error; a client without a key is not a
// decision.
func TestMetricsStoreFullAndKeyErrors(t *testing.T) {
	t.Parallel()
	m := telemetrytest.NewMetrics(t)
	noKey := MustNew(Config{Name: "subject", Key: BySubject(), MeterProvider: m,
		Policies: []Policy{{Name: "p", Limit: 1, Period: time.Hour}}})
	broken := MustNew(Config{Name: "broken", MeterProvider: m,
		Key:      func(dst []byte, _ *http.Request) ([]byte, error) { return dst, errors.New("broken") },
		Policies: []Policy{{Name: "p", Limit: 1, Period: time.Hour}}})
	serve(noKey.Handler(okHandler), httptest.NewRequest("GET", "/", nil))
	serve(broken.Handler(okHandler), httptest.NewRequest("GET", "/", nil))
	full := MustNew(Config{Name: "full", Store: fullStore{}, Key: mustByIP(t, IPConfig{}), MeterProvider: m,
		Policies: []Policy{{Name: "p", Limit: 1, Period: time.Hour}}})
	if w, _ := serve(full.Handler(okHandler), httptest.NewRequest("GET", "/", nil)); w.Code != 503 {
		t.Fatalf("full store: %d, want 503", w.Code)
	}
	defer runtime.KeepAlive([]*Limiter{noKey, broken, full})
	got := m.Series("apishield.ratelimit.decisions")
	want := map[string]float64{
		"limiter=broken,outcome=error,policy=none": 1,
		"limiter=full,outcome=deny,policy=none":    1,
	}
	if !maps.Equal(got, want) {
		t.Errorf("decisions = %v, want %v", got, want)
	}
	if fb := m.Series("apishield.ratelimit.fallbacks"); len(fb) != 0 {
		t.Errorf("fallbacks = %v, want none (a full store decided)", fb)
	}
}

// TestLoadMetrics: concurrency and adaptive limiters count admitted and
// shed requests, add a span event only when shedding, and report the
// requests in flight and their limit while a request is held.
func TestLoadMetrics(t *testing.T) {
	t.Parallel()
	m := telemetrytest.NewMetrics(t)
	spans := telemetrytest.NewSpans(t)
	conc, err := NewConcurrency(ConcurrencyConfig{Max: 1, Name: "uploads", MeterProvider: m})
	if err != nil {
		t.Fatal(err)
	}
	adapt, err := NewAdaptive(AdaptiveConfig{Initial: 1, Min: 1, Max: 4, Latency: time.Hour, MeterProvider: m})
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range []func(http.Handler) http.Handler{conc.Handler, adapt.Handler} {
		entered, release := make(chan struct{}), make(chan struct{})
		held := h(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			close(entered)
			<-release
		}))
		done := make(chan struct{})
		go func() {
			serve(held, httptest.NewRequest("GET", "/", nil))
			close(done)
		}()
		<-entered
		ctx, span := spans.Start(context.Background(), "request")
		if w, _ := serve(h(okHandler), httptest.NewRequest("GET", "/", nil).WithContext(ctx)); w.Code != http.StatusServiceUnavailable {
			t.Fatalf("second request: %d, want 503", w.Code)
		}
		span.End()
		if got := m.Series("apishield.ratelimit.concurrency.in_flight"); len(got) == 0 {
			t.Errorf("no in_flight series while a request is held")
		}
		close(release)
		<-done
	}
	defer runtime.KeepAlive([]any{conc, adapt})
	want := map[string]float64{
		"kind=concurrency,limiter=uploads,outcome=allow": 1,
		"kind=concurrency,limiter=uploads,outcome=deny":  1,
		"kind=adaptive,limiter=adaptive,outcome=allow":   1,
		"kind=adaptive,limiter=adaptive,outcome=deny":    1,
	}
	if got := m.Series("apishield.ratelimit.concurrency.decisions"); !maps.Equal(got, want) {
		t.Errorf("decisions =\n%v\nwant\n%v", got, want)
	}
	if n, ok := m.Value("apishield.ratelimit.concurrency.limit", attribute.String("limiter", "uploads"), attribute.String("kind", "concurrency")); !ok || n != 1 {
		t.Errorf("limit{uploads} = %v, %v; want 1", n, ok)
	}
	if n, ok := m.Value("apishield.ratelimit.concurrency.in_flight", attribute.String("limiter", "uploads"), attribute.String("kind", "concurrency")); !ok || n != 0 {
		t.Errorf("in_flight{uploads} after release = %v, %v; want 0", n, ok)
	}
	events := telemetrytest.Sorted(spans.Events(shedEvent))
	if wantEv := []string{"kind=adaptive,limiter=adaptive,outcome=deny", "kind=concurrency,limiter=uploads,outcome=deny"}; !slices.Equal(events, wantEv) {
		t.Errorf("span events = %v, want %v", events, wantEv)
	}
}

func TestLoadLimiterNames(t *testing.T) {
	t.Parallel()
	if _, err := NewConcurrency(ConcurrencyConfig{Max: 1, Name: "bad name"}); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("NewConcurrency with a bad Name: %v", err)
	}
	if _, err := NewAdaptive(AdaptiveConfig{Name: strings.Repeat("a", maxNameLen+1)}); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("NewAdaptive with a long Name: %v", err)
	}
}
