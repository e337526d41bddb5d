package audit

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"

	"github.com/apishield/apishield/internal/telemetry/telemetrytest"
)

// TestMetricsQueueAndDrops holds the only sink still and reads back,
// through the SDK's manual reader, the queue depth, the drops and, once
// the sink is released, the writes timed.
func TestMetricsQueueAndDrops(t *testing.T) {
	t.Parallel()
	m := telemetrytest.NewMetrics(t)
	gate := newGate()
	a, err := New(Config{Handlers: []slog.Handler{gate}, QueueSize: 2, MeterProvider: m})
	if err != nil {
		t.Fatal(err)
	}
	defer runtime.KeepAlive(a)
	h := a.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	serve := func() { h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil)) }
	serve()
	<-gate.entered // the writer is now stuck inside the sink with event 1
	for range 5 {
		serve()
	}
	if v, ok := m.Value("apishield.audit.queue.depth"); !ok || v != 2 {
		t.Errorf("queue depth = %v, %v; want 2", v, ok)
	}
	if v, ok := m.Value("apishield.audit.dropped"); !ok || v != 3 {
		t.Errorf("dropped = %v, %v; want 3", v, ok)
	}
	close(gate.gate)
	if err := a.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if v, _ := m.Value("apishield.audit.queue.depth"); v != 0 {
		t.Errorf("queue depth after Close = %v, want 0", v)
	}
	if n, ok := m.Value("apishield.audit.write.duration", attribute.String("format", "ecs")); !ok || n != 3 {
		t.Errorf("writes timed = %v, %v; want 3 (ecs)", n, ok)
	}
	md := m.Collect()["apishield.audit.write.duration"]
	if md.Scope != "github.com/apishield/apishield/audit" || md.Unit != "s" {
		t.Errorf("scope, unit = %q, %q", md.Scope, md.Unit)
	}
	if got := m.Series("apishield.audit.alerts"); len(got) != 1 || got["kind=brute_force"] != 0 {
		t.Errorf("alerts = %v, want kind=brute_force at 0", got)
	}
}

// TestMetricsAlerts raises a brute-force alert and reads it back.
func TestMetricsAlerts(t *testing.T) {
	t.Parallel()
	m := telemetrytest.NewMetrics(t)
	a, flush, _ := newTest(t, Config{Schema: OCSF, BruteForce: BruteForce{Threshold: 2}, MeterProvider: m})
	defer runtime.KeepAlive(a)
	authFail(a, "192.0.2.7", "")
	authFail(a, "192.0.2.7", "")
	flush()
	if v, ok := m.Value("apishield.audit.alerts", attribute.String("kind", "brute_force")); !ok || v != 1 {
		t.Errorf("alerts{kind=brute_force} = %v, %v; want 1", v, ok)
	}
	if n, _ := m.Value("apishield.audit.write.duration", attribute.String("format", "ocsf")); n != 2 {
		t.Errorf("writes timed = %v, want 2 (ocsf; the alert is written with its cause)", n)
	}
	if v, ok := m.Value("apishield.audit.dropped"); !ok || v != 0 {
		t.Errorf("dropped = %v, %v; want 0", v, ok)
	}
}

// TestMetricsRepeated: requests counted into a summary are reported.
func TestMetricsRepeated(t *testing.T) {
	t.Parallel()
	m := telemetrytest.NewMetrics(t)
	a, flush, _ := newTest(t, Config{MeterProvider: m, Repeats: Repeats{Window: time.Hour}})
	defer runtime.KeepAlive(a)
	for range 4 {
		refuse(a, "192.0.2.7:4000", "/v1/items/1", "unauthenticated")
	}
	flush()
	if v, ok := m.Value("apishield.audit.repeated"); !ok || v != 3 {
		t.Errorf("repeated = %v, %v; want 3", v, ok)
	}
}
