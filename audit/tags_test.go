package audit

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/apishield/apishield/internal/record"
)

// TestDeprecatedRouteTag checks that a request with a decision of package
// deprecation is tagged in both schemas, beside the principal recorded by
// auth after it, and that other requests are not.
func TestDeprecatedRouteTag(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		schema   Schema
		decision *record.Decision
		status   int
		tagPath  string
		userPath string
		wantTag  bool
	}{
		{"ECS deprecated", ECS, &record.Decision{Package: "deprecation", Outcome: record.Allow, Reason: "deprecated", Rule: "/v1"}, 200, "tags", "user.id", true},
		{"ECS gone", ECS, &record.Decision{Package: "deprecation", Outcome: record.Deny, Reason: "gone", Rule: "GET /v1/items"}, 410, "tags", "user.id", true},
		{"ECS not deprecated", ECS, nil, 200, "tags", "user.id", false},
		{"ECS other package", ECS, &record.Decision{Package: "authz", Outcome: record.Allow}, 200, "tags", "user.id", false},
		{"OCSF deprecated", OCSF, &record.Decision{Package: "deprecation", Outcome: record.Allow, Reason: "deprecated", Rule: "/v1"}, 200, "metadata.labels", "actor.user.uid", true},
		{"OCSF gone", OCSF, &record.Decision{Package: "deprecation", Outcome: record.Deny, Reason: "gone", Rule: "GET /v1/items"}, 410, "metadata.labels", "actor.user.uid", true},
		{"OCSF not deprecated", OCSF, nil, 200, "metadata.labels", "actor.user.uid", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a, flush, _ := newTest(t, Config{Schema: tt.schema})
			h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				rec := record.From(r.Context())
				if tt.decision != nil {
					rec.AddDecision(*tt.decision)
				}
				// auth records the principal later in the stack.
				rec.SetPrincipal(record.Principal{Subject: "alice", ClientID: "billing-app", Method: "jwt"})
				w.WriteHeader(tt.status)
			})
			serve(a, h, httptest.NewRequest("GET", "/v1/items", nil))
			lines := flush()
			if len(lines) != 1 {
				t.Fatalf("%d events, want 1", len(lines))
			}
			m := lines[0]
			tags, _ := get(m, tt.tagPath).([]any)
			gotTag := slices.Contains(tags, any(TagDeprecatedRoute))
			if gotTag != tt.wantTag {
				t.Errorf("%s = %v: tagged %v, want %v", tt.tagPath, get(m, tt.tagPath), gotTag, tt.wantTag)
			}
			if !tt.wantTag && get(m, tt.tagPath) != nil {
				t.Errorf("%s = %v, want absent", tt.tagPath, get(m, tt.tagPath))
			}
			if got := str(m, tt.userPath); got != "alice" {
				t.Errorf("%s = %q, want alice", tt.userPath, got)
			}
			ns := "apishield"
			if tt.schema == OCSF {
				ns = "unmapped"
			}
			if got := str(m, ns+".principal.client_id"); got != "billing-app" {
				t.Errorf("%s.principal.client_id = %q, want billing-app", ns, got)
			}
			if tt.decision == nil {
				return
			}
			ds, _ := get(m, ns+".decisions").([]any)
			if len(ds) != 1 {
				t.Fatalf("%s.decisions = %v, want one", ns, get(m, ns+".decisions"))
			}
			d, _ := ds[0].(map[string]any)
			want := map[string]any{"package": tt.decision.Package, "outcome": string(tt.decision.Outcome), "reason": tt.decision.Reason, "rule": tt.decision.Rule}
			for k, v := range want {
				if v == "" {
					continue
				}
				if d[k] != v {
					t.Errorf("decision %s = %v, want %v", k, d[k], v)
				}
			}
		})
	}
}
