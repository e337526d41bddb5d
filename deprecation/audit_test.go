package deprecation_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apishield/apishield/audit"
	"github.com/apishield/apishield/deprecation"
	"github.com/apishield/apishield/internal/record"
	"github.com/apishield/apishield/route"
)

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// fakeAuth stands for auth, after the deprecation middleware's place in
// the record: it records the caller the way auth does.
func fakeAuth(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		record.From(r.Context()).SetPrincipal(record.Principal{Subject: "alice", ClientID: "billing-app", Method: "jwt"})
		next.ServeHTTP(w, r)
	})
}

// TestAuditEvent runs the recommended stack (audit, route, auth,
// deprecation, mux) and checks that the one audit event per request names
// the caller, carries the deprecation decision and is tagged, in both
// schemas.
func TestAuditEvent(t *testing.T) {
	t.Parallel()
	type want struct {
		status              int
		outcome, reason     string
		tagPath, userPath   string
		decisions, clientID string
	}
	tests := []struct {
		name   string
		schema audit.Schema
		now    time.Time
		want   want
	}{
		{"ECS deprecated", audit.ECS, depDate, want{200, "allow", "deprecated", "tags", "user.id", "apishield.decisions", "apishield.principal.client_id"}},
		{"ECS gone", audit.ECS, sunsetDate, want{410, "deny", "gone", "tags", "user.id", "apishield.decisions", "apishield.principal.client_id"}},
		{"OCSF deprecated", audit.OCSF, depDate, want{200, "allow", "deprecated", "metadata.labels", "actor.user.uid", "unmapped.decisions", "unmapped.principal.client_id"}},
		{"OCSF gone", audit.OCSF, sunsetDate, want{410, "deny", "gone", "metadata.labels", "actor.user.uid", "unmapped.decisions", "unmapped.principal.client_id"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			buf := &lockedBuffer{}
			aud, err := audit.New(audit.Config{Schema: tt.schema, Handlers: []slog.Handler{audit.NewJSONHandler(buf, nil)}})
			if err != nil {
				t.Fatal(err)
			}
			dep, err := deprecation.New(testConfig(tt.now))
			if err != nil {
				t.Fatal(err)
			}
			mux := testMux()
			h := aud.Handler(route.Mux(mux)(fakeAuth(dep.Handler(mux))))
			rr := httptest.NewRecorder()
			h.ServeHTTP(rr, httptest.NewRequest("GET", "/v1/orders", nil))
			if err := aud.Close(context.Background()); err != nil {
				t.Fatal(err)
			}
			if rr.Code != tt.want.status {
				t.Errorf("status = %d, want %d", rr.Code, tt.want.status)
			}
			lines := strings.Split(strings.TrimSpace(buf.b.String()), "\n")
			if len(lines) != 1 {
				t.Fatalf("%d events, want 1:\n%s", len(lines), buf.b.String())
			}
			var ev map[string]any
			if err := json.Unmarshal([]byte(lines[0]), &ev); err != nil {
				t.Fatal(err)
			}
			tags, _ := lookup(ev, tt.want.tagPath).([]any)
			if !slices.Contains(tags, any(audit.TagDeprecatedRoute)) {
				t.Errorf("%s = %v, want %q in it", tt.want.tagPath, lookup(ev, tt.want.tagPath), audit.TagDeprecatedRoute)
			}
			if got := lookup(ev, tt.want.userPath); got != "alice" {
				t.Errorf("%s = %v, want alice", tt.want.userPath, got)
			}
			if got := lookup(ev, tt.want.clientID); got != "billing-app" {
				t.Errorf("%s = %v, want billing-app", tt.want.clientID, got)
			}
			ds, _ := lookup(ev, tt.want.decisions).([]any)
			wantDec := map[string]any{"package": "deprecation", "outcome": tt.want.outcome, "reason": tt.want.reason, "rule": "/v1"}
			found := false
			for _, d := range ds {
				m, _ := d.(map[string]any)
				match := true
				for k, v := range wantDec {
					if m[k] != v {
						match = false
					}
				}
				found = found || match
			}
			if !found {
				t.Errorf("%s = %v, want %v in it", tt.want.decisions, ds, wantDec)
			}
		})
	}
}

// lookup walks a dotted path through nested JSON objects.
func lookup(m map[string]any, path string) any {
	var v any = m
	for _, k := range strings.Split(path, ".") {
		o, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = o[k]
	}
	return v
}
