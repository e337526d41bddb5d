package auth_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/apishield/apishield/auth"
	apierrors "github.com/apishield/apishield/errors"
	"github.com/apishield/apishield/internal/record"
)

type stack struct {
	h       http.Handler
	logs    *bytes.Buffer
	lastRec *record.Record
}

func newStack(t *testing.T, mod func(*auth.Config)) (*stack, string) {
	t.Helper()
	j := newVerifier(t, newJWKSServer(standardSet(t)), nil)
	keysAuth, apiKey, _ := newAPIKeys(t)
	s := &stack{logs: &bytes.Buffer{}}
	cfg := auth.Config{Authenticators: []auth.Authenticator{j, keysAuth}, Logger: slog.New(slog.NewTextHandler(s.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	if mod != nil {
		mod(&cfg)
	}
	m, err := auth.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := auth.FromContext(r.Context())
		if !ok {
			w.Write([]byte(`{"subject":""}`))
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"subject": p.Subject, "method": p.Method})
	})
	inner := m.Handler(app)
	s.h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w, r, rec := record.Install(w, r)
		s.lastRec = rec
		inner.ServeHTTP(w, r)
	})
	return s, apiKey
}

func TestMiddleware(t *testing.T) {
	t.Parallel()
	s, apiKey := newStack(t, nil)
	now := time.Now()
	good := validToken(t, "ES256", now)
	expired := sign(t, "ES256", keys(t).ec256, `{"alg":"ES256","kid":"ES256"}`,
		`{"iss":"`+testIssuer+`","aud":"`+testAudience+`","exp":`+itoa(now.Unix()-3600)+`}`)
	forged := sign(t, "ES256", keys(t).attacker, `{"alg":"ES256","kid":"ES256"}`, claimsJSON(now, ""))
	cases := []struct {
		name       string
		req        func(r *http.Request)
		wantStatus int
		wantReason string
		wantCheck  string // in the record's decision rule
		wantSub    string
	}{
		{"bearer", func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+good) }, 200, "", "", "alice"},
		{"bearer lower case", func(r *http.Request) { r.Header.Set("Authorization", "bearer "+good) }, 200, "", "", "alice"},
		{"BEARER upper case", func(r *http.Request) { r.Header.Set("Authorization", "BEARER "+good) }, 200, "", "", "alice"},
		{"bearer, two spaces", func(r *http.Request) { r.Header.Set("Authorization", "Bearer  "+good) }, 401, "invalid_token", "malformed_authorization", ""},
		{"bearer, a tab", func(r *http.Request) { r.Header.Set("Authorization", "Bearer\t"+good) }, 401, "invalid_token", "malformed_authorization", ""},
		{"api key scheme, two spaces", func(r *http.Request) { r.Header.Set("Authorization", "ApiKey  "+apiKey) }, 401, "invalid_token", "malformed_authorization", ""},
		{"api key header", func(r *http.Request) { r.Header.Set("X-API-Key", apiKey) }, 200, "", "", "billing-service"},
		{"api key scheme", func(r *http.Request) { r.Header.Set("Authorization", "ApiKey "+apiKey) }, 200, "", "", "billing-service"},
		{"no credentials", func(r *http.Request) {}, 401, "unauthenticated", "no_credentials", ""},
		{"basic", func(r *http.Request) { r.SetBasicAuth("a", "b") }, 401, "unauthenticated", "unsupported_scheme", ""},
		{"expired", func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+expired) }, 401, "token_expired", "expired", ""},
		{"forged", func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+forged) }, 401, "invalid_token", "bad_signature", ""},
		{"wrong api key", func(r *http.Request) { r.Header.Set("X-API-Key", flipChar(apiKey, 30)) }, 401, "invalid_token", "", ""},
		{"two authorization headers", func(r *http.Request) {
			r.Header.Add("Authorization", "Bearer "+good)
			r.Header.Add("Authorization", "Bearer "+good)
		}, 401, "invalid_token", "multiple_authorization", ""},
		{"bearer plus key header", func(r *http.Request) {
			r.Header.Set("Authorization", "Bearer "+good)
			r.Header.Set("X-API-Key", apiKey)
		}, 401, "invalid_token", "multiple_credentials", ""},
		{"token in query", func(r *http.Request) { r.URL.RawQuery = "access_token=" + good }, 401, "invalid_token", "query_token", ""},
		{"token in query beside a header", func(r *http.Request) {
			r.URL.RawQuery = "access_token=" + good
			r.Header.Set("Authorization", "Bearer "+good)
		}, 401, "invalid_token", "query_token", ""},
		{"bearer without token", func(r *http.Request) { r.Header.Set("Authorization", "Bearer ") }, 401, "invalid_token", "malformed_authorization", ""},
		{"bearer with a comma", func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+good+",x") }, 401, "invalid_token", "malformed_authorization", ""},
		{"cookie ignored by default", func(r *http.Request) { r.AddCookie(&http.Cookie{Name: "at", Value: good}) }, 401, "unauthenticated", "no_credentials", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest("GET", "/v1/items", nil)
			tc.req(req)
			w := httptest.NewRecorder()
			s.h.ServeHTTP(w, req)
			if w.Code != tc.wantStatus {
				t.Fatalf("status = %d, want %d; body %s", w.Code, tc.wantStatus, w.Body)
			}
			decisions := s.lastRec.Decisions()
			if len(decisions) != 1 || decisions[0].Package != "auth" {
				t.Fatalf("decisions = %+v", decisions)
			}
			d := decisions[0]
			if tc.wantStatus == 200 {
				var got map[string]string
				json.Unmarshal(w.Body.Bytes(), &got)
				if got["subject"] != tc.wantSub || d.Outcome != record.Allow || s.lastRec.Principal().Subject != tc.wantSub {
					t.Errorf("body %v, decision %+v, record principal %+v", got, d, s.lastRec.Principal())
				}
				return
			}
			var prob struct{ Reason, Detail string }
			json.Unmarshal(w.Body.Bytes(), &prob)
			if prob.Reason != tc.wantReason || d.Reason != tc.wantReason || d.Outcome != record.Deny {
				t.Errorf("reason = %q, decision %+v, want %q", prob.Reason, d, tc.wantReason)
			}
			if tc.wantCheck != "" && !strings.HasSuffix(d.Rule, ":"+tc.wantCheck) {
				t.Errorf("decision rule = %q, want the check %q", d.Rule, tc.wantCheck)
			}
			chal := w.Header().Get("WWW-Authenticate")
			scheme := "Bearer"
			if strings.Contains(tc.name, "api key") {
				scheme = "ApiKey"
			}
			if !strings.HasPrefix(chal, scheme+` realm="api"`) {
				t.Errorf("WWW-Authenticate = %q", chal)
			}
			if tc.wantReason == "unauthenticated" && strings.Contains(chal, "error=") {
				t.Errorf("no-credential challenge carries an error code (RFC 6750 §3.1): %q", chal)
			}
			if tc.wantReason != "unauthenticated" && !strings.Contains(chal, `error="invalid_token"`) {
				t.Errorf("challenge lacks error=invalid_token: %q", chal)
			}
			// The client never learns which check failed.
			if tc.wantCheck != "" && !strings.Contains(tc.wantReason, tc.wantCheck) && (strings.Contains(w.Body.String(), tc.wantCheck) || strings.Contains(chal, tc.wantCheck)) {
				t.Errorf("response reveals the check %q: %s %s", tc.wantCheck, chal, w.Body)
			}
			if tc.wantCheck != "" && !strings.Contains(s.logs.String(), "check="+tc.wantCheck) {
				t.Errorf("log lacks the check %q", tc.wantCheck)
			}
		})
	}
	if strings.Contains(s.logs.String(), good) || strings.Contains(s.logs.String(), apiKey) {
		t.Error("a credential was logged")
	}
}

func TestMiddlewareModes(t *testing.T) {
	t.Parallel()
	good := validToken(t, "ES256", time.Now())
	s, _ := newStack(t, func(c *auth.Config) { c.AllowAnonymous = true; c.Cookie = "at" })
	do := func(mod func(*http.Request)) (*httptest.ResponseRecorder, record.Decision) {
		req := httptest.NewRequest("GET", "/", nil)
		mod(req)
		w := httptest.NewRecorder()
		s.h.ServeHTTP(w, req)
		return w, s.lastRec.Decisions()[0]
	}
	if w, d := do(func(*http.Request) {}); w.Code != 200 || d.Outcome != record.Skip || !strings.Contains(w.Body.String(), `"subject":""`) {
		t.Errorf("anonymous: %d %s %+v", w.Code, w.Body, d)
	}
	if w, _ := do(func(r *http.Request) { r.Header.Set("Authorization", "Bearer x.y.z") }); w.Code != 401 {
		t.Errorf("bad token in anonymous mode: %d, want 401", w.Code)
	}
	if w, d := do(func(r *http.Request) { r.AddCookie(&http.Cookie{Name: "at", Value: good}) }); w.Code != 200 || d.Outcome != record.Allow {
		t.Errorf("cookie: %d %s", w.Code, w.Body)
	}
	if w, _ := do(func(r *http.Request) {
		r.AddCookie(&http.Cookie{Name: "at", Value: good})
		r.AddCookie(&http.Cookie{Name: "at", Value: good})
	}); w.Code != 401 {
		t.Errorf("two cookies: %d, want 401", w.Code)
	}
}

func TestNewConfig(t *testing.T) {
	t.Parallel()
	a, _, _ := newAPIKeys(t)
	for name, cfg := range map[string]auth.Config{
		"none":                {},
		"nil":                 {Authenticators: []auth.Authenticator{nil}},
		"two of kind":         {Authenticators: []auth.Authenticator{a, a}},
		"quote in realm":      {Authenticators: []auth.Authenticator{a}, Realm: `a"b`},
		"backslash in realm":  {Authenticators: []auth.Authenticator{a}, Realm: `a\b`},
		"line break in realm": {Authenticators: []auth.Authenticator{a}, Realm: "a\r\nX-Injected: 1"},
		"NUL in realm":        {Authenticators: []auth.Authenticator{a}, Realm: "a\x00b"},
		"0x01 in realm":       {Authenticators: []auth.Authenticator{a}, Realm: "a\x01b"},
		"DEL in realm":        {Authenticators: []auth.Authenticator{a}, Realm: "a\x7fb"},
		"ESC in realm":        {Authenticators: []auth.Authenticator{a}, Realm: "\x1b[31mapi"},
		"space in cookie":     {Authenticators: []auth.Authenticator{a}, Cookie: "access token"},
		"semicolon in cookie": {Authenticators: []auth.Authenticator{a}, Cookie: "at;x"},
		"NUL in cookie":       {Authenticators: []auth.Authenticator{a}, Cookie: "at\x00"},
	} {
		if _, err := auth.New(cfg); !errors.Is(err, auth.ErrInvalidConfig) {
			t.Errorf("%s: New = %v, want ErrInvalidConfig", name, err)
		}
	}
}

// TestRealmOnTheWire: every realm New accepts reaches the challenge as
// written, inside its quotes, and nothing else does.
func TestRealmOnTheWire(t *testing.T) {
	t.Parallel()
	a, _, _ := newAPIKeys(t)
	for _, realm := range []string{"api", "My API", "api\tv2", "caf\xc3\xa9", "a=b, c=d", "~!#$%&'()*+,-./:;<=>?@[]^_`{|}"} {
		t.Run(realm, func(t *testing.T) {
			m, err := auth.New(auth.Config{Authenticators: []auth.Authenticator{a}, Realm: realm})
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			w := httptest.NewRecorder()
			m.Handler(http.NotFoundHandler()).ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
			if got, want := w.Header().Get("WWW-Authenticate"), `ApiKey realm="`+realm+`"`; got != want {
				t.Errorf("got WWW-Authenticate %q, want %q", got, want)
			}
		})
	}
}

// TestMiddlewareAloneInstallsRecord: without any other apishield
// middleware, refusals are still problems with a request ID.
func TestMiddlewareAloneInstallsRecord(t *testing.T) {
	t.Parallel()
	a, _, _ := newAPIKeys(t)
	m, _ := auth.New(auth.Config{Authenticators: []auth.Authenticator{a}})
	w := httptest.NewRecorder()
	m.Handler(http.NotFoundHandler()).ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
	if w.Code != 401 || w.Header().Get("Content-Type") != "application/problem+json" || w.Header().Get("X-Request-Id") == "" {
		t.Fatalf("%d %v %s", w.Code, w.Header(), w.Body)
	}
	if got := w.Header().Get("WWW-Authenticate"); got != `ApiKey realm="api"` {
		t.Errorf("WWW-Authenticate = %q", got)
	}
	var _ = apierrors.ReasonUnauthenticated
}

// TestAuthenticateOutsideHandler: the decision works without the
// middleware wrapper.
func TestAuthenticateOutsideHandler(t *testing.T) {
	t.Parallel()
	a, key, expired := newAPIKeys(t)
	m, _ := auth.New(auth.Config{Authenticators: []auth.Authenticator{a}})
	req := func(k string) *http.Request {
		r := httptest.NewRequest("GET", "/", nil)
		if k != "" {
			r.Header.Set("Authorization", "ApiKey "+k)
		}
		return r
	}
	if p, err := m.Authenticate(req(key)); err != nil || p.Subject != "billing-service" {
		t.Errorf("good key: %v, %v", p, err)
	}
	if _, err := m.Authenticate(req("")); !errors.Is(err, auth.ErrNoCredentials) {
		t.Errorf("no key: %v", err)
	}
	if _, err := m.Authenticate(req(expired)); !errors.Is(err, auth.ErrTokenExpired) {
		t.Errorf("expired key: %v", err)
	}
	bearer := httptest.NewRequest("GET", "/", nil)
	bearer.Header.Set("Authorization", "Bearer a.b.c")
	if _, err := m.Authenticate(bearer); !errors.Is(err, auth.ErrNoCredentials) || auth.CheckOf(err) != "no_authenticator_for_bearer" {
		t.Errorf("bearer without a bearer authenticator: %v", err)
	}
}

// flipChar returns s with the character at i replaced by a different one,
// so a "wrong" key is never accidentally the right one.
func flipChar(s string, i int) string {
	c := byte('x')
	if s[i] == c {
		c = 'y'
	}
	return s[:i] + string(c) + s[i+1:]
}
