package openapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apishield/apishield/auth"
	"github.com/apishield/apishield/authz"
	"github.com/apishield/apishield/openapi"
	"github.com/apishield/apishield/ratelimit"
	"github.com/apishield/apishield/validate"
)

// testNow is the clock of the tests' contracts: after /old's deprecation,
// before its sunset, after /gone's.
var testNow = time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)

// tokens is a bearer authenticator of the tests: a token is a key of the
// map, and proves its principal, as a JWT would.
type tokens map[string]*auth.Principal

func (tokens) Kind() auth.CredentialKind { return auth.Bearer }

func (t tokens) Authenticate(_ context.Context, cred string) (*auth.Principal, error) {
	p, ok := t[cred]
	if !ok {
		return nil, auth.ErrInvalidToken
	}
	cp := *p
	return &cp, nil
}

// The bearer tokens the tests send.
var testTokens = tokens{
	"reader":  {Subject: "alice", Method: auth.MethodJWT, Scopes: []string{"items:read"}},
	"writer":  {Subject: "bob", Method: auth.MethodJWT, Scopes: []string{"items:read", "items:write"}},
	"admin":   {Subject: "carol", Method: auth.MethodIntrospection, Roles: []string{"admin"}},
	"noscope": {Subject: "dave", Method: auth.MethodJWT},
}

// fixture is the stack the handler tests run: auth (API keys, bearer
// tokens, client certificates from a test header, anonymous allowed)
// before the contract before a handler that reports what it was given.
type fixture struct {
	contract *openapi.Contract
	h        http.Handler
	key      string // an API key of subject "svc"
}

// seen is what the final handler reports, as JSON in the response body.
type seen struct {
	Operation string         `json:"operation"`
	Query     map[string]any `json:"query,omitempty"`
	Path      map[string]any `json:"path,omitempty"`
	Headers   map[string]any `json:"headers,omitempty"`
	Cookies   map[string]any `json:"cookies,omitempty"`
	Body      any            `json:"body,omitempty"`
	Raw       string         `json:"raw,omitempty"`
	PathValue string         `json:"path_value,omitempty"`
}

func readDoc(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/handler/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// newFixture loads items.yaml with cfg (the limiter "writes" and the rule
// "owner" added) in front of next (nil: the reporting handler).
func newFixture(t testing.TB, doc []byte, cfg openapi.Config, next http.Handler) *fixture {
	t.Helper()
	if cfg.RateLimiters == nil && bytes.Contains(doc, []byte("x-apishield-rate-limit")) {
		cfg.RateLimiters = map[string]*ratelimit.Limiter{"writes": newLimiter(t, 1000)}
	}
	if cfg.Rules == nil && bytes.Contains(doc, []byte("x-apishield-owner")) {
		// item n belongs to "bob" when n is even. The resolver reads the
		// checked, typed {id} as handlers do, and the raw one too.
		cfg.Rules = map[string]authz.Rule{"owner": authz.Owner(func(r *http.Request) (string, error) {
			p, _ := validate.PathParams(r.Context())
			id, ok := p.Int64("id")
			if !ok || r.PathValue("id") != strconv.FormatInt(id, 10) {
				return "", authz.ErrNotFound
			}
			if id%2 == 0 {
				return "bob", nil
			}
			return "someone", nil
		})}
	}
	if cfg.Now == nil {
		cfg.Now = func() time.Time { return testNow }
	}
	c, err := openapi.Parse(doc, cfg)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	key, rec, err := auth.GenerateAPIKey()
	if err != nil {
		t.Fatal(err)
	}
	rec.Subject = "svc"
	store, err := auth.NewMemoryStore([]auth.APIKeyRecord{rec})
	if err != nil {
		t.Fatal(err)
	}
	keys, err := auth.NewAPIKeys(auth.APIKeysConfig{Store: store})
	if err != nil {
		t.Fatal(err)
	}
	headers, queries, cookies := c.APIKeySources()
	acfg := auth.Config{Authenticators: []auth.Authenticator{keys, testTokens}, AllowAnonymous: true,
		ClientCertificate: func(r *http.Request) (string, bool) {
			s := r.Header.Get("Test-Client-Cert")
			return s, s != ""
		}}
	for _, h := range headers {
		if h != "X-Api-Key" {
			acfg.APIKeyHeader = h
		}
	}
	if len(queries) > 0 {
		acfg.APIKeyQuery = queries[0]
	}
	if len(cookies) > 0 {
		acfg.APIKeyCookie = cookies[0]
	}
	authn, err := auth.New(acfg)
	if err != nil {
		t.Fatal(err)
	}
	if next == nil {
		next = http.HandlerFunc(report)
	}
	return &fixture{contract: c, h: authn.Handler(c.Handler(next)), key: key}
}

// report is the application: it answers what the contract gave it.
func report(w http.ResponseWriter, r *http.Request) {
	var s seen
	s.Operation, _ = openapi.Operation(r)
	s.Query, _ = validate.Query(r.Context())
	s.Path, _ = validate.PathParams(r.Context())
	s.Headers, _ = validate.Headers(r.Context())
	s.Cookies, _ = openapi.Cookies(r.Context())
	s.Body, _ = validate.Body(r.Context())
	if r.Body != nil {
		b, _ := io.ReadAll(r.Body)
		s.Raw = string(b)
	}
	s.PathValue = r.PathValue("id")
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(s)
}

// req describes a request.
type req struct {
	method, target string
	header         map[string]string
	body           string
}

func (f *fixture) do(t testing.TB, rq req) *httptest.ResponseRecorder {
	t.Helper()
	var body io.Reader
	if rq.body != "" {
		body = strings.NewReader(rq.body)
	}
	r := httptest.NewRequest(rq.method, rq.target, body)
	for k, v := range rq.header {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, r)
	return w
}

// problem is the part of a problem response the tests read.
type problem struct {
	Status int    `json:"status"`
	Reason string `json:"reason"`
	Detail string `json:"detail"`
	Errors []struct {
		In      string `json:"in"`
		Pointer string `json:"pointer"`
		Detail  string `json:"detail"`
		Keyword string `json:"keyword"`
	} `json:"errors"`
}

// wantProblem checks that w is a problem with status and reason, and
// returns it.
func wantProblem(t testing.TB, w *httptest.ResponseRecorder, status int, reason string) problem {
	t.Helper()
	var p problem
	if w.Code != status {
		t.Fatalf("status = %d, want %d; body %s", w.Code, status, w.Body)
	}
	if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil {
		t.Fatalf("body %q is not a problem: %v", w.Body, err)
	}
	if p.Reason != reason {
		t.Fatalf("reason = %q, want %q; body %s", p.Reason, reason, w.Body)
	}
	return p
}

// wantOK checks that the request reached the application and returns what
// it saw.
func wantOK(t testing.TB, w *httptest.ResponseRecorder) seen {
	t.Helper()
	if w.Code != http.StatusOK {
		t.Fatalf("status = %d, want 200; body %s", w.Code, w.Body)
	}
	var s seen
	if err := json.Unmarshal(w.Body.Bytes(), &s); err != nil {
		t.Fatalf("body %q: %v", w.Body, err)
	}
	return s
}

// wantJSON checks that v encodes as want.
func wantJSON(t testing.TB, what string, v any, want string) {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != want {
		t.Errorf("%s = %s, want %s", what, b, want)
	}
}

// newLimiter returns the limiter "writes": limit units an hour per subject,
// each request costing its operation's x-apishield-cost.
func newLimiter(t testing.TB, limit int) *ratelimit.Limiter {
	t.Helper()
	lim, err := ratelimit.New(ratelimit.Config{Name: "writes", Key: ratelimit.BySubject(), Cost: openapi.Cost,
		Policies: []ratelimit.Policy{{Name: "writes", Limit: limit, Period: time.Hour}}})
	if err != nil {
		t.Fatal(err)
	}
	return lim
}
