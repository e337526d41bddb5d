package redisstore

import (
	"context"
	"errors"
	"runtime"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"

	"github.com/apishield/apishield/internal/redistest"
	"github.com/apishield/apishield/internal/telemetry/telemetrytest"
	"github.com/apishield/apishield/ratelimit"
)

// TestMetrics reads back, through the SDK's manual reader, the round trips
// of real decisions on Redis, the failures that open the breaker, the
// breaker's state and the fallbacks the limiter counts meanwhile.
func TestMetrics(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	m := telemetrytest.NewMetrics(t)
	l, s := newRedisLimiter(t, newClient(t, srv.Addr),
		ratelimit.Config{Name: "subject", MeterProvider: m, Policies: []ratelimit.Policy{{Name: "p", Limit: 1000, Period: time.Second, Burst: 1000}}},
		Config{MeterProvider: m, ProbeInterval: time.Hour, DenyCacheEntries: -1})
	defer runtime.KeepAlive(l)
	defer runtime.KeepAlive(s)
	redis := attribute.String("store", "redis")
	if v, ok := m.Value("apishield.ratelimit.breaker.state", redis); !ok || v != breakerClosed {
		t.Fatalf("breaker state before any decision = %v, %v; want 0 (closed)", v, ok)
	}
	for range 5 {
		if _, err := l.Allow(context.Background(), "k", 1); err != nil {
			t.Fatal(err)
		}
	}
	if n, _ := m.Value("apishield.ratelimit.store.duration", redis, attribute.String("outcome", "ok")); n != 5 {
		t.Errorf("round trips ok = %v, want 5", n)
	}

	srv.Stop()
	for range 5 {
		if _, err := l.Allow(context.Background(), "k", 1); !errors.Is(err, ratelimit.ErrUnavailable) {
			t.Fatalf("Allow with Redis down: %v, want ErrUnavailable", err)
		}
	}
	if s.Available() {
		t.Fatal("the breaker did not open")
	}
	// DefaultBreakerFailures round trips failed; then the open breaker
	// refused without one.
	if n, _ := m.Value("apishield.ratelimit.store.duration", redis, attribute.String("outcome", "error")); n != DefaultBreakerFailures {
		t.Errorf("round trips failed = %v, want %d", n, DefaultBreakerFailures)
	}
	if v, _ := m.Value("apishield.ratelimit.breaker.state", redis); v != breakerOpen {
		t.Errorf("breaker state = %v, want 2 (open)", v)
	}
	if n, _ := m.Value("apishield.ratelimit.fallbacks", attribute.String("mode", "fail_closed")); n != 5 {
		t.Errorf("fallbacks = %v, want 5", n)
	}
	want := map[string]float64{"limiter=subject,outcome=allow,policy=p": 5, "limiter=subject,outcome=error,policy=none": 5}
	got := m.Series("apishield.ratelimit.decisions")
	if len(got) != len(want) || got["limiter=subject,outcome=allow,policy=p"] != 5 || got["limiter=subject,outcome=error,policy=none"] != 5 {
		t.Errorf("decisions = %v, want %v", got, want)
	}
	if sc := m.Collect()["apishield.ratelimit.store.duration"]; sc.Scope != "github.com/apishield/apishield/ratelimit/redisstore" || sc.Unit != "s" {
		t.Errorf("store.duration scope, unit = %q, %q", sc.Scope, sc.Unit)
	}
}
