package deprecation_test

import (
	"maps"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/apishield/apishield/deprecation"
	"github.com/apishield/apishield/internal/telemetry/telemetrytest"
)

// TestMetrics drives real requests through the Handler and reads back,
// through the SDK's manual reader, exactly the calls counted by state, and
// the span events; requests to other routes and Check count nothing.
func TestMetrics(t *testing.T) {
	t.Parallel()
	m := telemetrytest.NewMetrics(t)
	spans := telemetrytest.NewSpans(t)
	now := depDate.Add(time.Hour)
	mw := deprecation.MustNew(deprecation.Config{
		Prefixes: map[string]deprecation.Policy{
			"/v1/":   {Deprecated: depDate, Sunset: sunsetDate},
			"/v0/":   {Deprecated: depDate.Add(-48 * time.Hour), Sunset: depDate},
			"/beta/": {Deprecated: sunsetDate}, // announced
		},
		Now:           func() time.Time { return now },
		MeterProvider: m,
	})
	h := mw.Handler(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) }))
	for _, c := range []struct {
		path string
		want int
	}{
		{"/v1/items", 200},
		{"/v1/items/7", 200},
		{"/beta/items", 200},
		{"/v0/items", 410},
		{"/v2/items", 200},
	} {
		r := httptest.NewRequest("GET", c.path, nil)
		ctx, span := spans.Start(r.Context(), "request")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r.WithContext(ctx))
		span.End()
		if w.Code != c.want {
			t.Fatalf("%s: status %d, want %d", c.path, w.Code, c.want)
		}
	}
	if _, err := mw.Check(httptest.NewRequest("GET", "/v0/items", nil)); err == nil {
		t.Fatal("Check served a route past its sunset")
	}

	want := map[string]float64{"state=deprecated": 3, "state=sunset": 1}
	if got := m.Series("apishield.deprecation.calls"); !maps.Equal(got, want) {
		t.Errorf("calls =\n%v\nwant\n%v", got, want)
	}
	if md := m.Collect()["apishield.deprecation.calls"]; md.Scope != "github.com/apishield/apishield/deprecation" || md.Unit != "{call}" {
		t.Errorf("scope, unit = %q, %q", md.Scope, md.Unit)
	}
	wantEv := []string{"state=deprecated", "state=deprecated", "state=deprecated", "state=sunset"}
	if ev := telemetrytest.Sorted(spans.Events("apishield.deprecation.decision")); !slices.Equal(ev, wantEv) {
		t.Errorf("span events = %v, want %v", ev, wantEv)
	}
	runtime.KeepAlive(mw)
}
