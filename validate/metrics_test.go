package validate_test

import (
	"maps"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/apishield/apishield/internal/telemetry/telemetrytest"
	"github.com/apishield/apishield/validate"
)

// TestMetrics drives real requests through validators and reads back,
// through the SDK's manual reader, exactly the failures counted by kind,
// and the span events.
func TestMetrics(t *testing.T) {
	t.Parallel()
	m := telemetrytest.NewMetrics(t)
	spans := telemetrytest.NewSpans(t)
	v := validate.MustNew(validate.Config{
		MeterProvider: m,
		Body:          []byte(`{"type":"object","additionalProperties":false,"required":["price"],"properties":{"price":{"type":"number","minimum":0}}}`),
		Query:         []byte(`{"type":"object","additionalProperties":false,"properties":{"limit":{"type":"integer","maximum":50}}}`),
		Header:        []byte(`{"type":"object","additionalProperties":false,"properties":{"X-Page-Size":{"type":"integer","maximum":50}}}`),
		Path:          []byte(`{"type":"object","additionalProperties":false,"properties":{"id":{"type":"integer","minimum":1}}}`),
		MaxBodyBytes:  64,
		Limits:        validate.Limits{MaxDepth: 3},
	})
	mux := http.NewServeMux()
	mux.Handle("POST /items/{id}", v.Handler(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {})))
	resp := validate.MustNew(validate.Config{MeterProvider: m, Response: []byte(publicUser), ResponseMode: validate.ResponseReport})
	limit, err := validate.NewBodyLimit(validate.BodyLimitConfig{MaxBytes: 8, MeterProvider: m})
	if err != nil {
		t.Fatal(err)
	}

	send := func(h http.Handler, path, header, body string, want int) {
		t.Helper()
		r := httptest.NewRequest("POST", path, strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		if header != "" {
			r.Header.Set("X-Page-Size", header)
		}
		ctx, span := spans.Start(r.Context(), "request")
		w := httptest.NewRecorder()
		quiet(h).ServeHTTP(w, r.WithContext(ctx))
		span.End()
		if w.Code != want {
			t.Fatalf("%s %s: status %d, want %d; %s", path, body, w.Code, want, w.Body)
		}
	}
	send(mux, "/items/1", "", `{"price":1}`, 200)
	send(mux, "/items/1", "", `{"price":-1}`, 422)                          // body
	send(mux, "/items/1", "", `{"price":`+strings.Repeat("1", 80)+`}`, 413) // limit: size
	send(mux, "/items/1", "", `{"a":[[[[1]]]],"price":1}`, 400)             // limit: depth
	send(mux, "/items/1", "", `{"price":`, 400)                             // body: malformed
	send(mux, "/items/1?limit=99", "", `{"price":1}`, 422)                  // query
	send(mux, "/items/1", "99", `{"price":1}`, 422)                         // header
	send(mux, "/items/0", "", `{"price":1}`, 422)                           // path
	send(resp.Handler(userHandler(200, "application/json", leaky)), "/", "", "", 200)
	send(limit.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})), "/", "", `{"price":12345}`, 413)

	want := map[string]float64{"kind=body": 2, "kind=limit": 3, "kind=query": 1, "kind=header": 1, "kind=path": 1, "kind=response": 1}
	got := m.Series("apishield.validate.failures")
	if !maps.Equal(got, want) {
		t.Errorf("failures =\n%v\nwant\n%v", got, want)
	}
	if md := m.Collect()["apishield.validate.failures"]; md.Scope != "github.com/apishield/apishield/validate" || md.Unit != "{failure}" {
		t.Errorf("scope, unit = %q, %q", md.Scope, md.Unit)
	}
	var wantEv []string
	for k, n := range want {
		for range int(n) {
			wantEv = append(wantEv, k)
		}
	}
	if ev := telemetrytest.Sorted(spans.Events("apishield.validate.decision")); !slices.Equal(ev, telemetrytest.Sorted(wantEv)) {
		t.Errorf("span events =\n%v\nwant\n%v", ev, telemetrytest.Sorted(wantEv))
	}
	runtime.KeepAlive(v)
	runtime.KeepAlive(resp)
	runtime.KeepAlive(limit)
}
