package ipfilter

import (
	"maps"
	"net/http/httptest"
	"runtime"
	"slices"
	"testing"

	"github.com/apishield/apishield/internal/telemetry/telemetrytest"
)

// TestMetrics drives real requests through a Handler and reads back,
// through the SDK's manual reader, exactly the decisions counted by
// outcome, and the span events; Check counts nothing.
func TestMetrics(t *testing.T) {
	t.Parallel()
	m := telemetrytest.NewMetrics(t)
	spans := telemetrytest.NewSpans(t)
	f := MustNew(Config{Allow: []string{"192.0.2.0/24"}, Deny: []string{"192.0.2.66"}, MeterProvider: m})
	h := f.Handler(okHandler)
	open := MustNew(Config{Deny: []string{"203.0.113.0/24"}, MeterProvider: m})
	oh := open.Handler(okHandler)

	for _, c := range []struct {
		name string
		peer string
		want int
	}{
		{"allowed", "192.0.2.1:1234", 204},
		{"allowed again", "192.0.2.2:1234", 204},
		{"denied entry", "192.0.2.66:1234", 403},
		{"outside allow-list", "198.51.100.1:1234", 403},
		{"unix peer under allow-list", "@", 403},
	} {
		r := request("GET", "/v1/items", c.peer)
		ctx, span := spans.Start(r.Context(), "request")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r.WithContext(ctx))
		span.End()
		if w.Code != c.want {
			t.Fatalf("%s: status %d, want %d", c.name, w.Code, c.want)
		}
	}
	for _, c := range []struct {
		peer string
		want int
	}{{"@", 204}, {"203.0.113.5:1", 403}} {
		w := httptest.NewRecorder()
		oh.ServeHTTP(w, request("GET", "/", c.peer))
		if w.Code != c.want {
			t.Fatalf("open filter, peer %q: status %d, want %d", c.peer, w.Code, c.want)
		}
	}
	if f.Check(request("GET", "/", "198.51.100.1:1")) == nil {
		t.Fatal("Check allowed an address outside the allow-list")
	}

	want := map[string]float64{"outcome=allow": 3, "outcome=deny": 4}
	if got := m.Series("apishield.ipfilter.decisions"); !maps.Equal(got, want) {
		t.Errorf("decisions =\n%v\nwant\n%v", got, want)
	}
	if md := m.Collect()["apishield.ipfilter.decisions"]; md.Scope != "github.com/apishield/apishield/ipfilter" || md.Unit != "{decision}" {
		t.Errorf("scope, unit = %q, %q", md.Scope, md.Unit)
	}
	wantEv := []string{"outcome=deny", "outcome=deny", "outcome=deny"} // allowed requests add no event
	if ev := telemetrytest.Sorted(spans.Events(decisionEvent)); !slices.Equal(ev, wantEv) {
		t.Errorf("span events = %v, want %v", ev, wantEv)
	}
	runtime.KeepAlive(f)
	runtime.KeepAlive(open)
}
