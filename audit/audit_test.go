package audit

import (
	"bytes"
	"context"
	"errors"
	"expvar"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/apishield/apishield/internal/record"
)

func TestNewRejectsBadConfig(t *testing.T) {
	t.Parallel()
	h := slog.DiscardHandler
	tests := []struct {
		name string
		cfg  Config
	}{
		{"no handlers", Config{}},
		{"nil handler", Config{Handlers: []slog.Handler{h, nil}}},
		{"unknown schema", Config{Handlers: []slog.Handler{h}, Schema: 7}},
		{"negative queue", Config{Handlers: []slog.Handler{h}, QueueSize: -1}},
		{"short chain key", Config{Handlers: []slog.Handler{h}, ChainKey: make([]byte, 16)}},
		{"negative threshold", Config{Handlers: []slog.Handler{h}, BruteForce: BruteForce{Threshold: -1}}},
		{"deny-listed header", Config{Handlers: []slog.Handler{h}, Headers: []string{"Authorization"}}},
		{"deny-listed header by substring", Config{Handlers: []slog.Handler{h}, Headers: []string{"X-Upstream-Api-Key"}}},
		{"custom deny-listed header", Config{Handlers: []slog.Handler{h}, Redact: []string{"x-tenant"}, Headers: []string{"X-Tenant"}}},
		{"bad header name", Config{Handlers: []slog.Handler{h}, Headers: []string{"X Bad"}}},
		{"empty redact name", Config{Handlers: []slog.Handler{h}, Redact: []string{"-"}}},
		{"short secret prefix", Config{Handlers: []slog.Handler{h}, SecretPrefixes: []string{"k"}}},
		{"relative admin path", Config{Handlers: []slog.Handler{h}, AdminPaths: []string{"admin/"}}},
		{"bad forwarded header", Config{Handlers: []slog.Handler{h}, ForwardedHeader: "X-Nope", TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}}},
		{"forwarded header without trusted proxies", Config{Handlers: []slog.Handler{h}, ForwardedHeader: "X-Forwarded-For"}},
		{"CDN header without trusted proxies", Config{Handlers: []slog.Handler{h}, ForwardedHeader: "CF-Connecting-IP"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a, err := New(tt.cfg)
			if !errors.Is(err, ErrInvalidConfig) {
				if a != nil {
					a.Close(context.Background())
				}
				t.Fatalf("New(%s) error = %v, want ErrInvalidConfig", tt.name, err)
			}
		})
	}
}

// stack serves mux behind the auditor the way the recommended stack does.
func serve(a *Auditor, h http.Handler, req *http.Request) *httptest.ResponseRecorder {
	rr := httptest.NewRecorder()
	a.Handler(h).ServeHTTP(rr, req)
	return rr
}

func TestRequestEventECS(t *testing.T) {
	t.Parallel()
	a, flush, _ := newTest(t, Config{})
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/items/{id}", func(w http.ResponseWriter, r *http.Request) {
		rec := record.From(r.Context())
		rec.SetPrincipal(record.Principal{Subject: "alice", Issuer: "https://idp.example", ClientID: "cli", Method: "jwt"})
		rec.AddDecision(record.Decision{Package: "auth", Outcome: record.Allow, Rule: "jwt"})
		rec.AddDecision(record.Decision{Package: "authz", Outcome: record.Deny, Reason: "forbidden", Rule: "owner"})
		rec.SetRateLimit(record.RateLimit{Policy: "per-ip", Key: "ip", Limit: 10, Remaining: 9, Allowed: true})
		rec.SetProblem(record.Problem{Status: 403, Reason: "forbidden"})
		w.WriteHeader(http.StatusForbidden)
		w.Write([]byte("nope"))
	})
	req := httptest.NewRequest("POST", "/v1/items/7?q=secretish", strings.NewReader("abc"))
	req.Header.Set("User-Agent", "curl/8.5")
	req.Header.Set("X-Request-ID", "req-1")
	id := serve(a, mux, req).Header().Get("X-Request-ID")
	lines := flush()
	if len(lines) != 1 {
		t.Fatalf("%d events, want 1", len(lines))
	}
	m := lines[0]
	wantStr := map[string]string{
		"event.action":                  ActionAuthzFail,
		"event.outcome":                 "failure",
		"event.reason":                  "forbidden",
		"event.kind":                    "event",
		"http.request.id":               id,
		"apishield.client_request_id":   "req-1",
		"http.request.method":           "POST",
		"apishield.route":               "POST /v1/items/{id}",
		"url.path":                      "/v1/items/7",
		"url.query":                     "q=" + Redacted,
		"source.ip":                     "192.0.2.1",
		"user_agent.original":           "curl/8.5",
		"user.id":                       "alice",
		"apishield.principal.issuer":    "https://idp.example",
		"apishield.principal.client_id": "cli",
		"apishield.principal.method":    "jwt",
		"apishield.rate_limit.policy":   "per-ip",
		"log.level":                     "warn",
		"message":                       ActionAuthzFail,
		"ecs.version":                   ECSVersion,
	}
	for path, want := range wantStr {
		if got := str(m, path); got != want {
			t.Errorf("%s = %q, want %q", path, got, want)
		}
	}
	wantNum := map[string]int64{
		"http.response.status_code":  403,
		"http.request.body.bytes":    3,
		"http.response.body.bytes":   4,
		"apishield.rate_limit.limit": 10,
	}
	for path, want := range wantNum {
		if got := num(m, path); got != want {
			t.Errorf("%s = %d, want %d", path, got, want)
		}
	}
	ts, err := time.Parse(time.RFC3339Nano, str(m, "@timestamp"))
	if err != nil || ts.Location() != time.UTC || !strings.HasSuffix(str(m, "@timestamp"), "Z") {
		t.Errorf("@timestamp = %q (%v), want RFC 3339 UTC", str(m, "@timestamp"), err)
	}
	if d := num(m, "event.duration"); d <= 0 {
		t.Errorf("event.duration = %d ns, want > 0", d)
	}
	ds, _ := get(m, "apishield.decisions").([]any)
	if len(ds) != 2 || str(ds[1].(map[string]any), "rule") != "owner" {
		t.Errorf("apishield.decisions = %v", ds)
	}
	if _, ok := m["time"]; ok {
		t.Error("NewJSONHandler kept slog's time key beside @timestamp")
	}
}

func TestClassify(t *testing.T) {
	t.Parallel()
	d := func(pkg string, o record.Outcome, reason string) record.Decision {
		return record.Decision{Package: pkg, Outcome: o, Reason: reason}
	}
	tests := []struct {
		name       string
		status     int
		problem    string
		decisions  []record.Decision
		rl         *record.RateLimit
		admin      bool
		wantAction string
		wantOut    Outcome
		wantReason string
	}{
		{"plain success", 200, "", nil, nil, false, ActionRequest, Success, ""},
		{"auth deny", 401, "invalid_token", []record.Decision{d("auth", record.Deny, "invalid_token")}, nil, false, ActionAuthnLoginFail, Failure, "invalid_token"},
		{"authz deny", 403, "insufficient_scope", []record.Decision{d("auth", record.Allow, ""), d("authz", record.Deny, "insufficient_scope")}, nil, false, ActionAuthzFail, Failure, "insufficient_scope"},
		{"validate deny", 422, "validation_failed", []record.Decision{d("validate", record.Deny, "validation_failed")}, nil, false, ActionInputValidation, Failure, "validation_failed"},
		{"rate limit beats auth", 429, "rate_limited", []record.Decision{d("auth", record.Deny, "invalid_token"), d("ratelimit", record.Deny, "rate_limited")}, nil, false, ActionRateLimitExceeded, Failure, "rate_limited"},
		{"revoked token", 401, "invalid_token", []record.Decision{{Package: "auth", Outcome: record.Deny, Reason: "invalid_token", Rule: "bearer:token_revoked"}}, nil, false, ActionAuthnTokenReuse, Failure, "invalid_token"},
		{"problem without decision", 401, "token_expired", nil, nil, false, ActionAuthnLoginFail, Failure, "token_expired"},
		{"handler 404", 404, "not_found", nil, nil, false, ActionRequest, Failure, "not_found"},
		{"admin success", 200, "", nil, nil, true, ActionAuthzAdmin, Success, ""},
		{"admin denied stays a denial", 403, "forbidden", []record.Decision{d("authz", record.Deny, "forbidden")}, nil, true, ActionAuthzFail, Failure, "forbidden"},
		{"rate limit recorded only", 429, "", nil, &record.RateLimit{Allowed: false}, false, ActionRateLimitExceeded, Failure, ""},
		{"shadow rate limit is not a denial", 200, "", nil, &record.RateLimit{Allowed: false, Shadow: true}, false, ActionRequest, Success, ""},
		{"deny reason from the decision", 403, "", []record.Decision{d("authz", record.Deny, "forbidden")}, nil, false, ActionAuthzFail, Failure, "forbidden"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := &entry{status: tt.status, admin: tt.admin,
				snap: record.Snapshot{Problem: record.Problem{Status: tt.status, Reason: tt.problem}, Decisions: tt.decisions}}
			if tt.rl != nil {
				e.snap.RateLimit, e.snap.HasRateLimit = *tt.rl, true
			}
			classify(e)
			if e.action != tt.wantAction || e.outcome != tt.wantOut || e.reason != tt.wantReason {
				t.Errorf("classify = %s %s %q; want %s %s %q", e.action, e.outcome, e.reason, tt.wantAction, tt.wantOut, tt.wantReason)
			}
		})
	}
}

func TestClassifyDoesNotAllocate(t *testing.T) {
	e := &entry{status: 403, snap: record.Snapshot{Decisions: []record.Decision{{Package: "auth", Outcome: record.Allow}, {Package: "authz", Outcome: record.Deny, Reason: "forbidden"}}}}
	if n := testing.AllocsPerRun(100, func() { classify(e) }); n != 0 {
		t.Errorf("classify allocates %v times", n)
	}
}

// TestRoute shows where the route pattern comes from.
type copyKey struct{}

func TestRoute(t *testing.T) {
	t.Parallel()
	ok := func(w http.ResponseWriter, r *http.Request) {}
	copying := func(next http.Handler) http.Handler { // what auth does to add its principal
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), copyKey{}, 1)))
		})
	}
	newMux := func() *http.ServeMux {
		mux := http.NewServeMux()
		mux.HandleFunc("GET /v1/items/{id}", ok)
		return mux
	}
	chiRouter := func() http.Handler {
		r := chi.NewRouter()
		r.Get("/v1/items/{id}", ok)
		return r
	}
	tests := []struct {
		name string
		h    func(a *Auditor) http.Handler
		want string
	}{
		{"ServeMux right inside", func(a *Auditor) http.Handler { return a.Handler(newMux()) }, "GET /v1/items/{id}"},
		{"ServeMux behind a copying middleware", func(a *Auditor) http.Handler { return a.Handler(copying(newMux())) }, ""},
		{"ServeMux behind a copying middleware, wrapped in Routes", func(a *Auditor) http.Handler { return a.Handler(copying(Routes(newMux()))) }, "GET /v1/items/{id}"},
		{"chi with the auditor in r.Use", func(a *Auditor) http.Handler {
			r := chi.NewRouter()
			r.Use(a.Handler)
			r.Use(copying)
			r.Get("/v1/items/{id}", ok)
			return r
		}, "GET /v1/items/{id}"},
		{"chi mounted inside the auditor", func(a *Auditor) http.Handler { return a.Handler(chiRouter()) }, ""},
		{"SetRoute from an inner middleware", func(a *Auditor) http.Handler {
			return a.Handler(copying(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				SetRoute(r, "GET /v1/items/{id}")
			})))
		}, "GET /v1/items/{id}"},
		{"record's route wins", func(a *Auditor) http.Handler {
			return a.Handler(copying(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				record.From(r.Context()).SetRoute("GET /v1/items/{id}")
			})))
		}, "GET /v1/items/{id}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a, flush, _ := newTest(t, Config{})
			tt.h(a).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/v1/items/3", nil))
			lines := flush()
			if got := str(lines[0], "apishield.route"); got != tt.want {
				t.Errorf("apishield.route = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestPanicIsLoggedAs500(t *testing.T) {
	t.Parallel()
	a, flush, _ := newTest(t, Config{})
	func() {
		defer func() { recover() }()
		serve(a, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { panic("boom") }), httptest.NewRequest("GET", "/x", nil))
	}()
	m := flush()[0]
	if num(m, "http.response.status_code") != 500 || str(m, "event.reason") != "internal" || str(m, "event.outcome") != "failure" {
		t.Errorf("panic event: status %d reason %q outcome %q", num(m, "http.response.status_code"), str(m, "event.reason"), str(m, "event.outcome"))
	}
}

func TestChunkedBodyBytes(t *testing.T) {
	t.Parallel()
	a, flush, _ := newTest(t, Config{})
	req := httptest.NewRequest("POST", "/x", strings.NewReader("hello world"))
	req.ContentLength = -1
	body := req.Body
	defer func() {
		if req.Body != body { // middleware must not modify the request it is given
			t.Error("the auditor replaced the body of the caller's request")
		}
	}()
	serve(a, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b [64]byte
		for {
			if _, err := r.Body.Read(b[:]); err != nil {
				break
			}
		}
	}), req)
	if got := num(flush()[0], "http.request.body.bytes"); got != 11 {
		t.Errorf("body bytes = %d, want 11", got)
	}
}

func TestClientIPFromRecord(t *testing.T) {
	t.Parallel()
	a, flush, _ := newTest(t, Config{})
	serve(a, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		record.From(r.Context()).SetClientIP(netip.MustParseAddr("2001:db8::7"))
	}), httptest.NewRequest("GET", "/x", nil))
	if got := str(flush()[0], "source.ip"); got != "2001:db8::7" {
		t.Errorf("source.ip = %q, want the record's 2001:db8::7", got)
	}
}

func TestOCSF(t *testing.T) {
	t.Parallel()
	a, flush, _ := newTest(t, Config{Schema: OCSF})
	serve(a, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := record.From(r.Context())
		rec.SetPrincipal(record.Principal{Subject: "bob", ClientID: "app-1"})
		rec.AddDecision(record.Decision{Package: "ratelimit", Outcome: record.Deny, Reason: "rate_limited"})
		w.WriteHeader(429)
	}), httptest.NewRequest("DELETE", "/v1/items/1", nil))
	m := flush()[0]
	for path, want := range map[string]int64{
		"class_uid": 6003, "category_uid": 6, "activity_id": 4, "type_uid": 600304,
		"status_id": 2, "api.response.code": 429, "severity_id": 3,
	} {
		if got := num(m, path); got != want {
			t.Errorf("%s = %d, want %d", path, got, want)
		}
	}
	for path, want := range map[string]string{
		"status": "Failure", "status_detail": "rate_limited", "metadata.event_code": ActionRateLimitExceeded,
		"http_request.http_method": "DELETE", "http_request.url.path": "/v1/items/1", "src_endpoint.ip": "192.0.2.1",
		"actor.user.uid": "bob", "actor.app_uid": "app-1", "unmapped.action": ActionRateLimitExceeded,
	} {
		if got := str(m, path); got != want {
			t.Errorf("%s = %q, want %q", path, got, want)
		}
	}
	if ts := num(m, "time"); ts < time.Now().Add(-time.Minute).UnixMilli() {
		t.Errorf("time = %d, want epoch milliseconds", ts)
	}
}

func TestLog(t *testing.T) {
	t.Parallel()
	a, flush, _ := newTest(t, Config{})
	var logErr error
	serve(a, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		record.From(r.Context()).SetPrincipal(record.Principal{Subject: "admin-1"})
		logErr = a.Log(r.Context(), Event{Action: ActionPrivilegeChanged, Outcome: Success, Target: "user:42",
			Message: "granted role", Attrs: []slog.Attr{slog.String("role", "admin"), slog.Int("count", 2),
				slog.Group("g", slog.Bool("ok", true))}})
	}), httptest.NewRequest("POST", "/admin/roles", nil))
	if logErr != nil {
		t.Fatal(logErr)
	}
	if err := a.Log(context.Background(), Event{Action: "Bad Action"}); !errors.Is(err, ErrInvalidEvent) {
		t.Errorf("Log(bad action) = %v, want ErrInvalidEvent", err)
	}
	lines := flush()
	if len(lines) != 2 {
		t.Fatalf("%d events, want the app event and the request", len(lines))
	}
	m := lines[0]
	for path, want := range map[string]string{
		"event.action": ActionPrivilegeChanged, "event.outcome": "success", "user.id": "admin-1",
		"apishield.target": "user:42", "apishield.fields.role": "admin", "message": "granted role",
		"http.request.id": str(lines[1], "http.request.id"),
	} {
		if got := str(m, path); got != want {
			t.Errorf("%s = %q, want %q", path, got, want)
		}
	}
	if num(m, "apishield.fields.count") != 2 || get(m, "apishield.fields.g.ok") != true {
		t.Errorf("fields = %v", get(m, "apishield.fields"))
	}
	if s := a.Stats(); s.AppEvents != 1 || s.Requests != 1 {
		t.Errorf("Stats = %+v", s)
	}
}

func TestStatsAndExpvar(t *testing.T) {
	t.Parallel()
	name := "apishield_audit_test_" + strings.ReplaceAll(t.Name(), "/", "_")
	a, flush, _ := newTest(t, Config{ExpvarName: name})
	statuses := []struct {
		pkg    string
		reason string
		status int
	}{{"auth", "invalid_token", 401}, {"auth", "invalid_token", 401}, {"authz", "forbidden", 403},
		{"ratelimit", "rate_limited", 429}, {"validate", "validation_failed", 422}, {"", "", 200}}
	for _, s := range statuses {
		serve(a, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if s.pkg != "" {
				rec := record.From(r.Context())
				rec.AddDecision(record.Decision{Package: s.pkg, Outcome: record.Deny, Reason: s.reason})
				rec.SetProblem(record.Problem{Status: s.status, Reason: s.reason})
			}
			w.WriteHeader(s.status)
		}), httptest.NewRequest("GET", "/", nil))
	}
	flush()
	got := a.Stats()
	want := Stats{Requests: 6, Success: 1, Failure: 5, AuthFailures: 2, Denials: 1, RateLimited: 1, ValidationFailures: 1, Emitted: 6}
	if got.Requests != want.Requests || got.Success != want.Success || got.Failure != want.Failure ||
		got.AuthFailures != want.AuthFailures || got.Denials != want.Denials || got.RateLimited != want.RateLimited ||
		got.ValidationFailures != want.ValidationFailures || got.Emitted != want.Emitted {
		t.Errorf("Stats = %+v, want %+v", got, want)
	}
	if got.ByReason["invalid_token"] != 2 || got.ByReason["forbidden"] != 1 {
		t.Errorf("ByReason = %v", got.ByReason)
	}
	v := expvar.Get(name)
	if v == nil || !strings.Contains(v.String(), `"AuthFailures":2`) {
		t.Errorf("expvar %s = %v", name, v)
	}
	if _, err := New(Config{Handlers: []slog.Handler{slog.DiscardHandler}, ExpvarName: name}); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("second New with the same expvar name: %v, want ErrInvalidConfig", err)
	}
}

func TestSinkErrorsAreCounted(t *testing.T) {
	t.Parallel()
	var reported []error
	good := &syncBuffer{}
	a, err := New(Config{
		Handlers: []slog.Handler{errHandler{}, NewJSONHandler(good, nil), panicHandler{}},
		OnError:  func(err error) { reported = append(reported, err) },
	})
	if err != nil {
		t.Fatal(err)
	}
	serve(a, http.NotFoundHandler(), httptest.NewRequest("GET", "/", nil))
	a.Close(context.Background())
	if s := a.Stats(); s.SinkErrors != 2 || s.Emitted != 1 {
		t.Errorf("SinkErrors = %d, Emitted = %d; want 2 (one failing, one panicking handler), 1", s.SinkErrors, s.Emitted)
	}
	if len(reported) != 1 || !errors.Is(reported[0], errSink) {
		t.Errorf("OnError got %v, want the joined sink errors", reported)
	}
	if len(parseLines(t, good.String())) != 1 {
		t.Error("a failing sink stopped the healthy one")
	}
}

type panicHandler struct{ slog.Handler }

func (panicHandler) Enabled(context.Context, slog.Level) bool  { return true }
func (panicHandler) Handle(context.Context, slog.Record) error { panic("sink exploded") }

func TestNewJSONHandlerKeepsUserReplaceAttr(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	h := NewJSONHandler(&buf, &slog.HandlerOptions{ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
		if a.Key == "message" {
			a.Value = slog.StringValue("renamed")
		}
		return a
	}})
	slog.New(h).Warn("x")
	m := parseLines(t, buf.String())[0]
	if str(m, "message") != "renamed" || str(m, "log.level") != "warn" {
		t.Errorf("line = %v", m)
	}
}
