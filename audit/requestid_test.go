package audit

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"

	apierrors "github.com/apishield/apishield/errors"
)

// TestClientRequestID: a client's X-Request-ID is never the event's request
// ID, in either schema, whether the auditor runs behind a Responder or
// alone; it is logged as client_request_id. Only the X-Request-ID of a
// Responder's trusted proxy is the request ID. The response header and the
// problem body agree with the event.
func TestClientRequestID(t *testing.T) {
	t.Parallel()
	proxies := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	const forged = "victim-req-0001"
	tests := []struct {
		name      string
		responder bool // behind a Responder trusting proxies; else the auditor alone
		remote    string
		incoming  string
		keep      bool // incoming is the request ID
		client    string
	}{
		{"forged from an untrusted peer", true, "203.0.113.9:4000", forged, false, forged},
		{"forged, auditor alone", false, "10.0.0.5:4000", forged, false, forged},
		{"from a trusted proxy", true, "10.0.0.5:4000", "proxy-req-0001", true, ""},
		{"unacceptable from an untrusted peer", true, "203.0.113.9:4000", "a b", false, ""},
		{"none", true, "203.0.113.9:4000", "", false, ""},
	}
	paths := map[Schema][3]string{ // request ID, client's ID, namespace
		ECS:  {"http.request.id", "apishield.client_request_id", "apishield"},
		OCSF: {"api.request.uid", "unmapped.client_request_id", "unmapped"},
	}
	for _, schema := range []Schema{ECS, OCSF} {
		for _, tt := range tests {
			t.Run(paths[schema][2]+"/"+tt.name, func(t *testing.T) {
				t.Parallel()
				a, flush, _ := newTest(t, Config{Schema: schema})
				rs, err := apierrors.NewResponder(apierrors.Config{TrustedProxies: proxies})
				if err != nil {
					t.Fatal(err)
				}
				h := a.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if err := a.Log(r.Context(), Event{Action: "item_deleted"}); err != nil {
						t.Error(err)
					}
					apierrors.Write(w, r, apierrors.New(http.StatusForbidden, apierrors.ReasonForbidden, ""))
				}))
				if tt.responder {
					h = rs.Handler(h)
				}
				req := httptest.NewRequest("DELETE", "/v1/items/1", nil)
				req.RemoteAddr = tt.remote
				if tt.incoming != "" {
					req.Header.Set("X-Request-ID", tt.incoming)
				}
				rr := httptest.NewRecorder()
				h.ServeHTTP(rr, req)

				id := rr.Header().Get("X-Request-ID")
				var problem struct {
					RequestID string `json:"request_id"`
				}
				if err := json.Unmarshal(rr.Body.Bytes(), &problem); err != nil || problem.RequestID != id {
					t.Errorf("problem body %s (%v): want request_id %q, the header's", rr.Body, err, id)
				}
				if tt.keep && id != tt.incoming {
					t.Errorf("X-Request-ID = %q, want the trusted proxy's %q", id, tt.incoming)
				}
				if !tt.keep && (id == tt.incoming || len(id) != 26) {
					t.Errorf("X-Request-ID = %q, want a fresh ULID, not the client's %q", id, tt.incoming)
				}
				lines := flush()
				if len(lines) != 2 {
					t.Fatalf("%d events, want the app event and the request's", len(lines))
				}
				for i, m := range lines {
					if got := str(m, paths[schema][0]); got != id {
						t.Errorf("event %d: %s = %q, want the response's %q", i, paths[schema][0], got, id)
					}
					if got := str(m, paths[schema][1]); got != tt.client {
						t.Errorf("event %d: %s = %q, want %q", i, paths[schema][1], got, tt.client)
					}
				}
			})
		}
	}
}
