package cors

import (
	"maps"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/apishield/apishield/internal/telemetry/telemetrytest"
)

// TestMetrics drives real requests through the Handler and reads back,
// through the SDK's manual reader, exactly the decisions counted by
// outcome and reason, and the span events; requests without an Origin and
// Check count nothing.
func TestMetrics(t *testing.T) {
	t.Parallel()
	m := telemetrytest.NewMetrics(t)
	spans := telemetrytest.NewSpans(t)
	mw := MustNew(Config{Policy: Policy{AllowedOrigins: []string{"https://app.example.com"}, AllowedMethods: []string{"GET", "PUT"}}, MeterProvider: m})
	h := mw.Handler(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) }))
	for _, c := range []struct {
		name, method, origin string
		hdr                  []string
		want                 int
	}{
		{"no Origin", "GET", "", nil, 200},
		{"allowed", "GET", "https://app.example.com", nil, 200},
		{"same origin", "POST", "https://api.example.com", []string{"Sec-Fetch-Site", "same-origin"}, 200},
		{"preflight", "OPTIONS", "https://app.example.com", []string{"Access-Control-Request-Method", "PUT"}, 204},
		{"preflight, method refused", "OPTIONS", "https://app.example.com", []string{"Access-Control-Request-Method", "DELETE"}, 403},
		{"origin refused", "GET", "https://evil.example.net", nil, 403},
		{"null origin", "GET", "null", nil, 403},
	} {
		r := httptest.NewRequest(c.method, "/v1/items/7", nil)
		if c.origin != "" {
			r.Header.Set("Origin", c.origin)
		}
		for i := 0; i+1 < len(c.hdr); i += 2 {
			r.Header.Set(c.hdr[i], c.hdr[i+1])
		}
		ctx, span := spans.Start(r.Context(), "request")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r.WithContext(ctx))
		span.End()
		if w.Code != c.want {
			t.Fatalf("%s: status %d, want %d", c.name, w.Code, c.want)
		}
	}
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Origin", "https://evil.example.net")
	if mw.Check(r) == nil {
		t.Fatal("Check allowed an unlisted origin")
	}

	want := map[string]float64{
		"outcome=allow,reason=ok":                2,
		"outcome=preflight,reason=ok":            1,
		"outcome=deny,reason=origin_not_allowed": 3,
	}
	if got := m.Series("apishield.cors.decisions"); !maps.Equal(got, want) {
		t.Errorf("decisions =\n%v\nwant\n%v", got, want)
	}
	if md := m.Collect()["apishield.cors.decisions"]; md.Scope != "github.com/apishield/apishield/cors" || md.Unit != "{decision}" {
		t.Errorf("scope, unit = %q, %q", md.Scope, md.Unit)
	}
	var wantEv []string
	for k, n := range want {
		if strings.HasPrefix(k, "outcome=allow") {
			continue // an allowed request is counted, with no span event
		}
		for range int(n) {
			wantEv = append(wantEv, k)
		}
	}
	wantEv = telemetrytest.Sorted(wantEv)
	if ev := telemetrytest.Sorted(spans.Events(decisionEvent)); !slices.Equal(ev, wantEv) {
		t.Errorf("span events = %v, want %v", ev, wantEv)
	}
	runtime.KeepAlive(mw)
}
