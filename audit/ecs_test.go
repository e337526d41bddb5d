package audit

import (
	"slices"
	"strings"
	"testing"
)

// TestECSLinesAreECS runs every event kind the auditor writes in ECS and
// checks each line against the ECS 8.11.0 field list in testdata.
func TestECSLinesAreECS(t *testing.T) {
	t.Parallel()
	fields := loadECS(t)
	for kind, lines := range emitKinds(t, ECS) {
		for i, m := range lines {
			for _, e := range checkECS(fields, m) {
				t.Errorf("%s, line %d: %s", kind, i+1, e)
			}
		}
	}
}

// TestECSCheckRefuses shows the check can fail: a valid line, each time
// broken in one way, is refused with a message naming the field.
func TestECSCheckRefuses(t *testing.T) {
	t.Parallel()
	fields := loadECS(t)
	valid := emitKinds(t, ECS)["request denied by authz"][0]
	if errs := checkECS(fields, valid); len(errs) > 0 {
		t.Fatalf("the line to break does not pass: %v", errs)
	}
	tests := []struct {
		name   string
		break_ func(m map[string]any)
		want   string
	}{
		{"not an ECS field", func(m map[string]any) { mapOf(m["http"])["route"] = "GET /x" }, "http.route: not an ECS field"},
		{"not an ECS object", func(m map[string]any) { m["request"] = map[string]any{"id": "x"} }, "request: neither an ECS field"},
		{"a namespace of someone else's", func(m map[string]any) { m["acme"] = map[string]any{"x": "y"} }, "acme: neither"},
		{"string for a long", func(m map[string]any) { mapOf(mapOf(m["http"])["response"])["status_code"] = "403" }, "http.response.status_code: want an integer"},
		{"not an IP", func(m map[string]any) { mapOf(m["source"])["ip"] = "localhost" }, "source.ip: want an IP address"},
		{"not a date", func(m map[string]any) { m["@timestamp"] = "yesterday" }, "@timestamp: want an RFC 3339 date"},
		{"single value for an array field", func(m map[string]any) { mapOf(m["event"])["category"] = "web" }, "event.category: ECS normalizes"},
		{"array for a single field", func(m map[string]any) { mapOf(m["event"])["action"] = []any{"a"} }, "event.action: an array"},
		{"value not allowed", func(m map[string]any) { mapOf(m["event"])["kind"] = "request" }, "event.kind: request is not one of the allowed values"},
		{"type the categories do not expect", func(m map[string]any) { mapOf(m["event"])["category"] = []any{"web"} }, "event.type: denied is expected by none"},
		{"required field missing", func(m map[string]any) { delete(m, "@timestamp") }, "@timestamp: required by ECS"},
		{"another ECS version", func(m map[string]any) { mapOf(m["ecs"])["version"] = "8.0.0" }, "ecs.version: is 8.0.0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := cloneJSON(t, valid)
			tt.break_(m)
			errs := checkECS(fields, m)
			if !slices.ContainsFunc(errs, func(e string) bool { return strings.Contains(e, tt.want) }) {
				t.Errorf("checkECS = %q, want an error containing %q", errs, tt.want)
			}
		})
	}
}

// TestECSClassification: event.kind, event.category and event.type of each
// kind of event, and the route under apishield.route.
func TestECSClassification(t *testing.T) {
	t.Parallel()
	kinds := emitKinds(t, ECS)
	tests := []struct {
		kind          string
		line          int
		category, typ string // comma-separated
	}{
		{"request allowed", 0, "api,web", "access,allowed"},
		{"request denied by authz", 0, "iam,api,web", "access,denied"},
		{"anonymous request refused by auth", 0, "authentication,api,web", "access,start,denied"},
		{"object not found", 0, "api,web", "access,info"},
		{"handler panic", 0, "api,web", "access,error"},
		{"admin activity", 0, "iam,api,web", "access,admin,allowed"},
		{"Log inside a request: created, updated, deleted", 0, "iam,api,web", "access,user,creation,allowed"},
		{"Log outside a request", 0, "iam", "user,creation"},
		{"Log outside a request: revocation", 0, "authentication", "end"},
		{"Log outside a request: the application's own action, nobody named", 0, "", "info"},
		{"brute force on one user", 2, "authentication,intrusion_detection", "info"},
	}
	join := func(v any) string {
		var s []string
		for _, x := range asSlice(v) {
			s = append(s, x.(string))
		}
		return strings.Join(s, ",")
	}
	for _, tt := range tests {
		m := kinds[tt.kind][tt.line]
		if c, ty := join(get(m, "event.category")), join(get(m, "event.type")); c != tt.category || ty != tt.typ {
			t.Errorf("%s: category %q type %q, want %q %q", tt.kind, c, ty, tt.category, tt.typ)
		}
	}
	if got := str(kinds["request allowed"][0], "apishield.route"); got != "GET /v1/items/{id}" {
		t.Errorf("apishield.route = %q", got)
	}
	if got := str(kinds["object not found"][0], "event.action"); got != ActionNotFound {
		t.Errorf("object not found: event.action = %q, want %q", got, ActionNotFound)
	}
}

func asSlice(v any) []any {
	s, _ := v.([]any)
	return s
}
