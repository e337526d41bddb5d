package headers

import (
	"maps"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"testing"

	"github.com/apishield/apishield/internal/telemetry/telemetrytest"
)

// TestHostMetrics drives real requests through the Hosts Handler and reads
// back, through the SDK's manual reader, exactly the decisions counted by
// outcome, and the span events; Check and Allowed count nothing.
func TestHostMetrics(t *testing.T) {
	t.Parallel()
	m := telemetrytest.NewMetrics(t)
	spans := telemetrytest.NewSpans(t)
	hs, err := NewHosts(HostsConfig{Allow: []string{"api.example.com", "*.tenants.example.com"}, MeterProvider: m})
	if err != nil {
		t.Fatal(err)
	}
	h := hs.Handler(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	for _, c := range []struct {
		host string
		want int
	}{
		{"api.example.com", 204},
		{"API.example.com:443", 204},
		{"eu.tenants.example.com", 204},
		{"evil.example.net", 421},
		{"", 421},
		{"bad host", 400},
	} {
		r := httptest.NewRequest("GET", "/v1/items", nil)
		r.Host = c.host
		r.URL.Host = ""
		ctx, span := spans.Start(r.Context(), "request")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r.WithContext(ctx))
		span.End()
		if w.Code != c.want {
			t.Fatalf("Host %q: status %d, want %d", c.host, w.Code, c.want)
		}
	}
	r := httptest.NewRequest("GET", "/", nil)
	r.Host = "evil.example.net"
	if hs.Check(r) == nil || hs.Allowed("evil.example.net") {
		t.Fatal("Check or Allowed let an unlisted host through")
	}

	want := map[string]float64{"outcome=allow": 3, "outcome=deny": 3}
	if got := m.Series("apishield.headers.host_decisions"); !maps.Equal(got, want) {
		t.Errorf("host decisions =\n%v\nwant\n%v", got, want)
	}
	if md := m.Collect()["apishield.headers.host_decisions"]; md.Scope != "github.com/apishield/apishield/headers" || md.Unit != "{decision}" {
		t.Errorf("scope, unit = %q, %q", md.Scope, md.Unit)
	}
	wantEv := []string{"outcome=deny", "outcome=deny", "outcome=deny"} // allowed requests add no event
	if ev := telemetrytest.Sorted(spans.Events(decisionEvent)); !slices.Equal(ev, wantEv) {
		t.Errorf("span events = %v, want %v", ev, wantEv)
	}
	runtime.KeepAlive(hs)
}
