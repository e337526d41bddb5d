package audit

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apishield/apishield/internal/record"
)

// TestOCSFLinesValidate runs every event kind the auditor writes in OCSF and
// validates each line against the OCSF 1.3.0 schema files in testdata.
func TestOCSFLinesValidate(t *testing.T) {
	t.Parallel()
	s := loadOCSF(t)
	classes := map[int64]bool{}
	for kind, lines := range emitKinds(t, OCSF) {
		for i, m := range lines {
			for _, e := range s.validate(m) {
				t.Errorf("%s, line %d: %s", kind, i+1, e)
			}
			n, _ := intOf(m["class_uid"])
			classes[n] = true
			if _, ok := m["log.level"]; ok {
				t.Errorf("%s, line %d: log.level in an OCSF line", kind, i+1)
			}
		}
	}
	for _, c := range []int64{ocsfClassBase, ocsfClassDetection, ocsfClassAPI} {
		if !classes[c] {
			t.Errorf("no event kind wrote class %d", c)
		}
	}
}

// TestOCSFValidatorRefuses shows the validator can fail: a valid line, each
// time broken in one way, is refused with a message naming the attribute.
func TestOCSFValidatorRefuses(t *testing.T) {
	t.Parallel()
	s := loadOCSF(t)
	valid := emitKinds(t, OCSF)["request denied by authz"][0]
	if errs := s.validate(valid); len(errs) > 0 {
		t.Fatalf("the line to break does not validate: %v", errs)
	}
	tests := []struct {
		name   string
		break_ func(m map[string]any)
		want   string
	}{
		{"unknown attribute", func(m map[string]any) { m["http_response"] = map[string]any{"code": json.Number("403")} }, "http_response: unknown attribute"},
		{"unknown attribute in an object", func(m map[string]any) { mapOf(m["api"])["route"] = "GET /x" }, "api.route: unknown attribute"},
		{"slog's level", func(m map[string]any) { m["log.level"] = "warn" }, "log.level: unknown attribute"},
		{"missing required attribute", func(m map[string]any) { delete(m, "actor") }, "actor: required"},
		{"missing required attribute in an object", func(m map[string]any) { delete(mapOf(m["api"]), "operation") }, "api.operation: required"},
		{"constraint", func(m map[string]any) { m["actor"] = map[string]any{} }, "actor: actor wants at least one"},
		{"string for an integer", func(m map[string]any) { m["severity_id"] = "3" }, "severity_id: want an integer"},
		{"integer for a string", func(m map[string]any) { mapOf(m["api"])["operation"] = json.Number("1") }, "api.operation: want a string"},
		{"object for a string", func(m map[string]any) { m["message"] = map[string]any{} }, "message: want a string"},
		{"string for an object", func(m map[string]any) { m["src_endpoint"] = "192.0.2.1" }, "src_endpoint: want a network_endpoint object"},
		{"timestamp in seconds", func(m map[string]any) { m["time"] = json.Number("1764000000") }, "time: timestamp"},
		{"not an IP address", func(m map[string]any) { mapOf(m["src_endpoint"])["ip"] = "localhost" }, "src_endpoint.ip: \"localhost\" does not match"},
		{"enum value", func(m map[string]any) { m["status_id"] = json.Number("7") }, "status_id: value 7 is not in the enum"},
		{"string enum value", func(m map[string]any) { mapOf(m["http_request"])["http_method"] = "PATCH" }, "http_request.http_method: value PATCH"},
		{"enum caption", func(m map[string]any) { m["severity"] = "Low" }, "severity_id: is 3, whose caption is \"Medium\""},
		{"activity not in the class", func(m map[string]any) { m["activity_id"] = json.Number("5"); m["type_uid"] = json.Number("600305") }, "activity_id: value 5"},
		{"type_uid", func(m map[string]any) { m["type_uid"] = json.Number("600399") }, "type_uid: is 600399, want"},
		{"class_uid", func(m map[string]any) { m["class_uid"] = json.Number("6099") }, "class_uid 6099: no such class"},
		{"category_uid", func(m map[string]any) { m["category_uid"] = json.Number("3") }, "category_uid: is 3, want 6"},
		{"class_name", func(m map[string]any) { m["class_name"] = "Web Activity" }, "class_name: is Web Activity"},
		{"version", func(m map[string]any) { mapOf(m["metadata"])["version"] = "1.4.0" }, "metadata.version: is 1.4.0"},
		{"profile attribute, profile not declared", func(m map[string]any) { m["cloud"] = map[string]any{"provider": "x"} }, "cloud: attribute of profile cloud"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := cloneJSON(t, valid)
			tt.break_(m)
			errs := s.validate(m)
			if !slices.ContainsFunc(errs, func(e string) bool { return strings.Contains(e, tt.want) }) {
				t.Errorf("validate = %q, want an error containing %q", errs, tt.want)
			}
		})
	}
	t.Run("profile attribute, profile declared: its required attributes apply", func(t *testing.T) {
		t.Parallel()
		m := cloneJSON(t, valid)
		mapOf(m["metadata"])["profiles"] = []any{"osint"}
		errs := s.validate(m)
		if !slices.ContainsFunc(errs, func(e string) bool { return strings.HasPrefix(e, "osint: required") }) {
			t.Errorf("validate = %q, want osint required by the declared profile", errs)
		}
	})
}

// cloneJSON deep-copies a decoded line.
func cloneJSON(t *testing.T, m map[string]any) map[string]any {
	t.Helper()
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	c, err := decodeLine(b)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestOCSFClasses: each kind of event is in the class that fits it.
func TestOCSFClasses(t *testing.T) {
	t.Parallel()
	kinds := emitKinds(t, OCSF)
	tests := []struct {
		kind     string
		line     int
		class    int64
		activity int64
		want     map[string]string
	}{
		{"request allowed", 0, 6003, 2, map[string]string{"api.operation": "GET /v1/items/{id}", "actor.user.uid": "alice",
			"actor.app_uid": "web-app", "src_endpoint.ip": "192.0.2.1", "http_request.http_method": "GET", "status": "Success"}},
		{"anonymous request refused by auth", 0, 6003, 2, map[string]string{"actor.user.type": "Anonymous",
			"actor.user.name": "anonymous", "status_detail": "invalid_token", "metadata.event_code": ActionAuthnLoginFail}},
		{"PATCH, which OCSF's method list lacks", 0, 6003, 3, map[string]string{"unmapped.http_method": "PATCH",
			"http_request.http_method": "", "api.operation": "PATCH"}},
		{"OPTIONS, an activity of its own", 0, 6003, 99, map[string]string{"activity_name": "OPTIONS", "type_name": "API Activity: Other"}},
		{"peer address that is not an IP", 0, 6003, 2, map[string]string{"src_endpoint.name": "unknown", "src_endpoint.ip": ""}},
		{"Log inside a request", 0, 6003, 3, map[string]string{"api.operation": "POST /admin/roles", "src_endpoint.ip": "192.0.2.9",
			"actor.user.uid": "alice", "metadata.event_code": ActionPrivilegeChanged}},
		{"Log inside a request: a login the application checks, no client IP", 0, 6003, 99, map[string]string{
			"activity_name": ActionAuthnLoginFail, "api.operation": ActionAuthnLoginFail, "src_endpoint.name": "unknown", "actor.user.uid": "bob"}},
		{"Log outside a request", 0, 0, 99, map[string]string{"class_name": "Base Event", "activity_name": ActionUserCreated,
			"unmapped.user.uid": "carol", "unmapped.target": "user:9", "message": "created by the nightly sync"}},
		{"brute force from one client IP", 2, 2004, 1, map[string]string{"finding_info.title": "Authentication brute force suspected",
			"status": "New", "severity": "High", "metadata.event_code": ActionBruteForceSuspected}},
	}
	for _, tt := range tests {
		m := kinds[tt.kind][tt.line]
		if c, _ := intOf(m["class_uid"]); c != tt.class {
			t.Errorf("%s: class_uid %d, want %d", tt.kind, c, tt.class)
		}
		if a, _ := intOf(m["activity_id"]); a != tt.activity {
			t.Errorf("%s: activity_id %d, want %d", tt.kind, a, tt.activity)
		}
		for path, want := range tt.want {
			if got := str(m, path); got != want {
				t.Errorf("%s: %s = %q, want %q", tt.kind, path, got, want)
			}
		}
	}
	// The alerts' evidence: the client IP, or the user.
	ipAlert, userAlert := kinds["brute force from one client IP"][2], kinds["brute force on one user"][2]
	ev := func(m map[string]any) map[string]any {
		e, _ := get(m, "evidences").([]any)
		return e[0].(map[string]any)
	}
	if str(ev(ipAlert), "src_endpoint.ip") != "192.0.2.1" || str(ev(userAlert), "user.uid") != "erin" {
		t.Errorf("evidences: %v and %v", ev(ipAlert), ev(userAlert))
	}
	if num(ipAlert, "count") != 2 || num(ipAlert, "start_time") > num(ipAlert, "end_time") {
		t.Errorf("alert count %d over [%d, %d]", num(ipAlert, "count"), num(ipAlert, "start_time"), num(ipAlert, "end_time"))
	}
	// A request, the events logged inside it and the alert it raised share
	// metadata.correlation_uid, the request ID.
	in := kinds["Log inside a request"]
	if id := str(in[1], "api.request.uid"); id == "" || str(in[0], "metadata.correlation_uid") != id || str(in[1], "metadata.correlation_uid") != id {
		t.Errorf("correlation: %q, %q, request %q", str(in[0], "metadata.correlation_uid"), str(in[1], "metadata.correlation_uid"), id)
	}
	bf := kinds["brute force from one client IP"]
	if str(bf[2], "metadata.correlation_uid") != str(bf[1], "api.request.uid") {
		t.Error("the alert does not name the request that raised it")
	}
	if str(bf[2], "finding_info.uid") == "" || str(bf[2], "finding_info.uid") == str(kinds["brute force on one user"][2], "finding_info.uid") {
		t.Error("finding_info.uid is not unique per alert")
	}
}

// TestOCSFNoLevelAndChainVerifies: NewJSONHandler leaves OCSF lines without
// a level (the level is metadata.log_level), keeps it in ECS lines through
// the same handler, and a chained OCSF log verifies whether it was written
// by NewJSONHandler or by slog's own JSON handler, which keeps its "level".
func TestOCSFNoLevelAndChainVerifies(t *testing.T) {
	t.Parallel()
	var ours, plain bytes.Buffer
	key := make32()
	a, err := New(Config{Schema: OCSF, ChainKey: key,
		Handlers: []slog.Handler{NewJSONHandler(&ours, nil), slog.NewJSONHandler(&plain, nil)}})
	if err != nil {
		t.Fatal(err)
	}
	serve(a, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		record.From(r.Context()).AddDecision(record.Decision{Package: "authz", Outcome: record.Deny, Reason: "forbidden"})
		w.WriteHeader(403)
	}), httptest.NewRequest("GET", "/x", nil))
	a.Log(context.Background(), Event{Action: "config_reloaded"})
	a.Close(context.Background())
	lines := parseLines(t, ours.String())
	if len(lines) != 2 {
		t.Fatalf("%d lines", len(lines))
	}
	for i, m := range lines {
		if _, ok := m["log.level"]; ok {
			t.Errorf("line %d has log.level", i+1)
		}
		if _, ok := m["level"]; ok {
			t.Errorf("line %d has level", i+1)
		}
	}
	if str(lines[0], "metadata.log_level") != "warn" || str(lines[1], "metadata.log_level") != "info" {
		t.Errorf("metadata.log_level = %q, %q; want warn, info", str(lines[0], "metadata.log_level"), str(lines[1], "metadata.log_level"))
	}
	for name, log := range map[string]string{"NewJSONHandler": ours.String(), "slog.NewJSONHandler": plain.String()} {
		if res, err := Verify(strings.NewReader(log), key); err != nil || res.Events != 2 {
			t.Errorf("%s: Verify = %+v, %v; want 2 events", name, res, err)
		}
	}
	// Editing the level slog's handler wrote is not covered in an OCSF
	// line, but the level it stands for is: metadata.log_level.
	edited := strings.Replace(plain.String(), `"log_level":"warn"`, `"log_level":"info"`, 1)
	if _, err := Verify(strings.NewReader(edited), key); err == nil {
		t.Error("an edited metadata.log_level verified")
	}
	var ecs bytes.Buffer
	h := NewJSONHandler(&ecs, nil)
	slog.New(h).Warn("x")
	if m := parseLines(t, ecs.String())[0]; str(m, "log.level") != "warn" {
		t.Errorf("an ECS line through the same handler lost its level: %v", m)
	}
}

// TestNewJSONHandlerWithAttrsKeepsTheSplit: a handler derived with
// WithAttrs or WithGroup still writes OCSF records without a level.
func TestNewJSONHandlerWithAttrsKeepsTheSplit(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	h := NewJSONHandler(&buf, nil).WithAttrs([]slog.Attr{slog.String("host", "a")}).WithGroup("g")
	var r slog.Record // no time: how the auditor writes an OCSF event
	r.Level, r.Message = slog.LevelWarn, "m"
	if err := h.Handle(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	m := parseLines(t, buf.String())[0]
	if _, ok := m["log.level"]; ok || str(m, "host") != "a" || str(m, "message") != "m" {
		t.Errorf("line = %v", m)
	}
}

// TestOCSFChainOlderLinesStillVerify: a chained OCSF line written before
// the level moved to metadata.log_level carries its level at the top, which
// its HMAC covers: it still verifies, and editing that level is caught.
func TestOCSFChainOlderLinesStillVerify(t *testing.T) {
	t.Parallel()
	key := make32()
	c := newChainer(key)
	top := []slog.Attr{slog.Int64("time", 1764000000000), slog.Int("class_uid", ocsfClassAPI),
		slog.GroupAttrs("metadata", slog.String("version", "1.3.0"))}
	ns := c.seal("chain-1", time.Time{}, slog.LevelWarn, "authz_fail", nsKey(OCSF), top, []slog.Attr{slog.String("action", "authz_fail")})
	rec := slog.NewRecord(time.Time{}, slog.LevelWarn, "authz_fail", 0)
	rec.AddAttrs(top...)
	rec.AddAttrs(slog.GroupAttrs(nsKey(OCSF), ns...))
	var buf bytes.Buffer
	if err := legacyJSONHandler(&buf).Handle(context.Background(), rec); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `"log.level":"warn"`) {
		t.Fatalf("not an older line: %s", buf.String())
	}
	if res, err := Verify(strings.NewReader(buf.String()), key); err != nil || res.Events != 1 {
		t.Errorf("Verify = %+v, %v; want the older line to verify", res, err)
	}
	edited := strings.Replace(buf.String(), `"log.level":"warn"`, `"log.level":"info"`, 1)
	if _, err := Verify(strings.NewReader(edited), key); err == nil {
		t.Error("an edited level verified in an older line")
	}
}

// legacyJSONHandler writes lines as NewJSONHandler did before OCSF lines
// lost their level: log.level and message, whatever the schema.
func legacyJSONHandler(w *bytes.Buffer) slog.Handler {
	return slog.NewJSONHandler(w, &slog.HandlerOptions{ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
		if len(groups) == 0 {
			switch a.Key {
			case slog.LevelKey:
				return slog.String("log.level", levelName(a.Value))
			case slog.MessageKey:
				a.Key = "message"
			}
		}
		return a
	}})
}
