package limits_test

import (
	"maps"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/apishield/apishield/internal/telemetry/telemetrytest"
	"github.com/apishield/apishield/limits"
)

// TestMetrics drives real requests through the Handler and reads back,
// through the SDK's manual reader, exactly the decisions counted by
// outcome and problem reason, and the span events; Check counts nothing.
func TestMetrics(t *testing.T) {
	t.Parallel()
	m := telemetrytest.NewMetrics(t)
	spans := telemetrytest.NewSpans(t)
	g, err := limits.New(limits.Config{
		Default:       limits.Rules{MaxBodyBytes: 16, ContentTypes: []string{"application/json"}},
		MeterProvider: m,
	})
	if err != nil {
		t.Fatal(err)
	}
	h := g.Handler(echo)
	json := http.Header{"Content-Type": {"application/json"}}
	for _, c := range []struct {
		name string
		req  req
		want int
	}{
		{"GET", req{}, 200},
		{"POST", req{method: "POST", header: json, body: strings.NewReader("{}"), length: 2}, 200},
		{"TRACE", req{method: "TRACE"}, 405},
		{"path over", req{target: "/" + strings.Repeat("a", limits.DefaultMaxPathBytes)}, 414},
		{"query over", req{target: "/v1/items?q=" + strings.Repeat("a", limits.DefaultMaxQueryBytes)}, 414},
		{"101 header fields", req{header: headers(101, 1)}, 431},
		{"GET with a body", req{body: strings.NewReader("x"), length: 1}, 400},
		{"text body", req{method: "POST", header: http.Header{"Content-Type": {"text/plain"}}, body: strings.NewReader("x"), length: 1}, 415},
		{"body over its length", req{method: "POST", header: json, body: strings.NewReader(strings.Repeat(" ", 17)), length: 17}, 413},
		{"chunked body over", req{method: "POST", header: json, body: strings.NewReader(strings.Repeat(" ", 17)), length: -1}, 413},
	} {
		r, _ := c.req.build()
		ctx, span := spans.Start(r.Context(), "request")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r.WithContext(ctx))
		span.End()
		if w.Code != c.want {
			t.Fatalf("%s: status %d, want %d; %s", c.name, w.Code, c.want, w.Body)
		}
	}
	if r, _ := (req{method: "TRACE"}).build(); g.Check(r) == nil {
		t.Fatal("Check allowed TRACE")
	}

	want := map[string]float64{
		"outcome=allow,reason=ok":                    2,
		"outcome=deny,reason=method_not_allowed":     1,
		"outcome=deny,reason=uri_too_long":           2,
		"outcome=deny,reason=headers_too_large":      1,
		"outcome=deny,reason=malformed_request":      1,
		"outcome=deny,reason=unsupported_media_type": 1,
		"outcome=deny,reason=payload_too_large":      2,
	}
	if got := m.Series("apishield.limits.decisions"); !maps.Equal(got, want) {
		t.Errorf("decisions =\n%v\nwant\n%v", got, want)
	}
	if md := m.Collect()["apishield.limits.decisions"]; md.Scope != "github.com/apishield/apishield/limits" || md.Unit != "{decision}" {
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
	if ev := telemetrytest.Sorted(spans.Events("apishield.limits.decision")); !slices.Equal(ev, wantEv) {
		t.Errorf("span events =\n%v\nwant\n%v", ev, wantEv)
	}
	runtime.KeepAlive(g)
}
