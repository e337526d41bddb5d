package authz_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/gorilla/mux"

	"github.com/apishield/apishield/auth"
	"github.com/apishield/apishield/authz"
	apierrors "github.com/apishield/apishield/errors"
	"github.com/apishield/apishield/internal/record"
)

// The tests in this file run auth's real middleware in front of a policy on
// each router, behind apierrors.Recover, through a real server: JWTs signed
// by a test issuer whose discovery document and key set an httptest server
// publishes, and API keys from an in-memory store. Every case also checks
// the request record, which must carry auth's decision and then authz's.

// stackOwners owns the items of the stack tests.
var stackOwners = map[string]string{"1": "alice", "2": "bob"}

// stackRoutes is the policy of the stack tests. GET /v1/forgotten is
// registered on every router but has no entry.
func stackRoutes(pathValue func(*http.Request, string) string) map[string]authz.Rule {
	return map[string]authz.Rule{
		"GET /healthz":   authz.Public(),
		"GET /v1/items":  authz.AllScopes("items:read"),
		"POST /v1/items": authz.AllScopes("items:write"),
		"GET /v1/items/{id}": authz.Owner(func(r *http.Request) (string, error) {
			o, ok := stackOwners[pathValue(r, "id")]
			if !ok {
				return "", apierrors.New(http.StatusNotFound, apierrors.ReasonNotFound, "No item has this ID.")
			}
			return o, nil
		}),
		"DELETE /v1/items/{id}":       authz.And(authz.AnyRole("admin"), authz.StepUp(authz.StepUpOptions{AMR: []string{"mfa"}, MaxAge: 5 * time.Minute})),
		"GET /v1/admin/stats":         authz.AnyRole("admin"),
		"GET /v1/tenants/{tid}/items": authz.Tenant("tid", "/tenant"),
	}
}

// stackPatterns are the routes every router registers, in ServeMux
// spelling.
var stackPatterns = []string{"GET /healthz", "GET /v1/items", "POST /v1/items", "GET /v1/items/{id}",
	"DELETE /v1/items/{id}", "GET /v1/admin/stats", "GET /v1/tenants/{tid}/items", "GET /v1/forgotten"}

// whoami answers "ok <subject>" and the path value id if there is one, so
// a test sees that the handler ran and that auth's principal reached it.
func whoami(pathValue func(*http.Request, string) string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, ok := auth.FromContext(r.Context())
		if !ok {
			io.WriteString(w, "ok anonymous")
			return
		}
		s := "ok " + p.Subject
		if id := pathValue(r, "id"); id != "" {
			s += " " + id
		}
		io.WriteString(w, s)
	}
}

type stackCase struct {
	name, method, path string
	cred               string // a name in stackFixture.creds; "" for none
	status             int
	reason             string // the problem's reason, for errors
	challenge          string // the exact WWW-Authenticate; "" means none
	body               string // the exact body, for successes
	subject            string // the principal in the record; "" for none
	route              string // the route in the record
	decisions          []string
}

// Decisions are spelled "package outcome reason rule", without the rule
// when there is none.
const (
	authJWT    = "auth allow jwt bearer"
	authKey    = "auth allow api_key api_key"
	authAnon   = "auth skip anonymous"
	stepUpRule = "step_up(amr=mfa, max_age=300)"
)

// Challenges.
const (
	scopeChallenge  = `Bearer error="insufficient_scope", scope="items:write"`
	stepUpChallenge = `Bearer error="insufficient_user_authentication", error_description="A stronger or more recent authentication is required", max_age=300`
	bothSchemes     = `Bearer realm="api", ApiKey realm="api"`
)

// anonymousCases run with auth's AllowAnonymous: authz decides about
// anonymous callers.
var anonymousCases = []stackCase{
	{name: "public route, anonymous", method: "GET", path: "/healthz", status: 200, body: "ok anonymous", route: "GET /healthz",
		decisions: []string{authAnon, "authz allow public GET /healthz"}},
	{name: "anonymous refused by authz", method: "GET", path: "/v1/items", status: 401, reason: "unauthenticated", challenge: bothSchemes, route: "GET /v1/items",
		decisions: []string{authAnon, "authz deny unauthenticated principal"}},
	{name: "jwt with the scope", method: "GET", path: "/v1/items", cred: "reader", status: 200, body: "ok alice", subject: "alice", route: "GET /v1/items",
		decisions: []string{authJWT, "authz allow all_scopes(items:read) GET /v1/items"}},
	{name: "api key with the scope", method: "GET", path: "/v1/items", cred: "key-reader", status: 200, body: "ok svc-reports", subject: "svc-reports", route: "GET /v1/items",
		decisions: []string{authKey, "authz allow all_scopes(items:read) GET /v1/items"}},
	{name: "jwt without the scope", method: "POST", path: "/v1/items", cred: "reader", status: 403, reason: "insufficient_scope", challenge: scopeChallenge, subject: "alice", route: "POST /v1/items",
		decisions: []string{authJWT, "authz deny insufficient_scope all_scopes(items:write)"}},
	{name: "api key without the scope", method: "POST", path: "/v1/items", cred: "key-reader", status: 403, reason: "insufficient_scope", challenge: scopeChallenge, subject: "svc-reports", route: "POST /v1/items",
		decisions: []string{authKey, "authz deny insufficient_scope all_scopes(items:write)"}},
	{name: "jwt with the write scope", method: "POST", path: "/v1/items", cred: "writer", status: 200, body: "ok alice", subject: "alice", route: "POST /v1/items",
		decisions: []string{authJWT, "authz allow all_scopes(items:write) POST /v1/items"}},
	{name: "jwt without the role", method: "GET", path: "/v1/admin/stats", cred: "reader", status: 403, reason: "forbidden", subject: "alice", route: "GET /v1/admin/stats",
		decisions: []string{authJWT, "authz deny forbidden any_role(admin)"}},
	{name: "api key without the role", method: "GET", path: "/v1/admin/stats", cred: "key-reader", status: 403, reason: "forbidden", subject: "svc-reports", route: "GET /v1/admin/stats",
		decisions: []string{authKey, "authz deny forbidden any_role(admin)"}},
	{name: "jwt role claim", method: "GET", path: "/v1/admin/stats", cred: "admin-pwd", status: 200, body: "ok root", subject: "root", route: "GET /v1/admin/stats",
		decisions: []string{authJWT, "authz allow any_role(admin) GET /v1/admin/stats"}},
	{name: "api key role", method: "GET", path: "/v1/admin/stats", cred: "key-admin", status: 200, body: "ok svc-ops", subject: "svc-ops", route: "GET /v1/admin/stats",
		decisions: []string{authKey, "authz allow any_role(admin) GET /v1/admin/stats"}},
	{name: "owner reads own item", method: "GET", path: "/v1/items/1", cred: "reader", status: 200, body: "ok alice 1", subject: "alice", route: "GET /v1/items/{id}",
		decisions: []string{authJWT, "authz allow owner GET /v1/items/{id}"}},
	{name: "other user's item refused (BOLA)", method: "GET", path: "/v1/items/2", cred: "reader", status: 404, reason: "not_found", subject: "alice", route: "GET /v1/items/{id}",
		decisions: []string{authJWT, "authz deny not_found owner"}},
	{name: "bob reads his item", method: "GET", path: "/v1/items/2", cred: "bob", status: 200, body: "ok bob 2", subject: "bob", route: "GET /v1/items/{id}",
		decisions: []string{authJWT, "authz allow owner GET /v1/items/{id}"}},
	{name: "api key is not the item's owner", method: "GET", path: "/v1/items/1", cred: "key-reader", status: 404, reason: "not_found", subject: "svc-reports", route: "GET /v1/items/{id}",
		decisions: []string{authKey, "authz deny not_found owner"}},
	{name: "unknown item: the same 404, recorded as not_found", method: "GET", path: "/v1/items/9", cred: "reader", status: 404, reason: "not_found", subject: "alice", route: "GET /v1/items/{id}",
		decisions: []string{authJWT, "authz not_found not_found owner"}},
	{name: "tenant claim of the jwt", method: "GET", path: "/v1/tenants/acme/items", cred: "reader", status: 200, body: "ok alice", subject: "alice", route: "GET /v1/tenants/{tid}/items",
		decisions: []string{authJWT, "authz allow tenant(tid=/tenant) GET /v1/tenants/{tid}/items"}},
	{name: "other tenant refused", method: "GET", path: "/v1/tenants/globex/items", cred: "reader", status: 403, reason: "forbidden", subject: "alice", route: "GET /v1/tenants/{tid}/items",
		decisions: []string{authJWT, "authz deny forbidden tenant(tid=/tenant)"}},
	{name: "api key has no tenant claim", method: "GET", path: "/v1/tenants/acme/items", cred: "key-reader", status: 403, reason: "forbidden", subject: "svc-reports", route: "GET /v1/tenants/{tid}/items",
		decisions: []string{authKey, "authz deny forbidden tenant(tid=/tenant)"}},
	{name: "admin with a password only steps up", method: "DELETE", path: "/v1/items/1", cred: "admin-pwd", status: 401, reason: "step_up_required", challenge: stepUpChallenge, subject: "root", route: "DELETE /v1/items/{id}",
		decisions: []string{authJWT, "authz deny step_up_required " + stepUpRule}},
	{name: "admin with mfa", method: "DELETE", path: "/v1/items/1", cred: "admin-mfa", status: 200, body: "ok root 1", subject: "root", route: "DELETE /v1/items/{id}",
		decisions: []string{authJWT, "authz allow and(any_role(admin), " + stepUpRule + ") DELETE /v1/items/{id}"}},
	{name: "admin with mfa an hour ago steps up", method: "DELETE", path: "/v1/items/1", cred: "admin-mfa-stale", status: 401, reason: "step_up_required", challenge: stepUpChallenge, subject: "root", route: "DELETE /v1/items/{id}",
		decisions: []string{authJWT, "authz deny step_up_required " + stepUpRule}},
	{name: "mfa without the role", method: "DELETE", path: "/v1/items/1", cred: "mfa-no-role", status: 403, reason: "forbidden", subject: "alice", route: "DELETE /v1/items/{id}",
		decisions: []string{authJWT, "authz deny forbidden any_role(admin)"}},
	{name: "admin api key has no amr, steps up", method: "DELETE", path: "/v1/items/1", cred: "key-admin", status: 401, reason: "step_up_required", challenge: stepUpChallenge, subject: "svc-ops", route: "DELETE /v1/items/{id}",
		decisions: []string{authKey, "authz deny step_up_required " + stepUpRule}},
	{name: "route without policy refused", method: "GET", path: "/v1/forgotten", cred: "admin-mfa", status: 403, reason: "forbidden", subject: "root", route: "GET /v1/forgotten",
		decisions: []string{authJWT, "authz deny forbidden no_policy"}},
	{name: "forged jwt refused by auth, even on a public route", method: "GET", path: "/healthz", cred: "forged", status: 401, reason: "invalid_token",
		challenge: `Bearer realm="api", error="invalid_token", error_description="The credential is invalid"`,
		decisions: []string{"auth deny invalid_token bearer:bad_signature"}},
	{name: "expired jwt refused by auth", method: "GET", path: "/v1/items", cred: "expired-jwt", status: 401, reason: "token_expired",
		challenge: `Bearer realm="api", error="invalid_token", error_description="The credential is expired"`,
		decisions: []string{"auth deny token_expired bearer:expired"}},
	{name: "expired api key refused by auth", method: "GET", path: "/v1/items", cred: "key-expired", status: 401, reason: "token_expired",
		challenge: `ApiKey realm="api", error="invalid_token", error_description="The credential is expired"`,
		decisions: []string{"auth deny token_expired api_key:api_key_expired"}},
	{name: "unknown api key refused by auth", method: "GET", path: "/v1/items", cred: "key-unknown", status: 401, reason: "invalid_token",
		challenge: `ApiKey realm="api", error="invalid_token", error_description="The credential is invalid"`,
		decisions: []string{"auth deny invalid_token api_key:unknown_api_key"}},
}

// strictCases run without AllowAnonymous: auth refuses a request without
// credentials before authz sees it, public routes included.
var strictCases = []stackCase{
	{name: "anonymous refused by auth", method: "GET", path: "/v1/items", status: 401, reason: "unauthenticated", challenge: bothSchemes,
		decisions: []string{"auth deny unauthenticated none:no_credentials"}},
	{name: "public route refused by auth", method: "GET", path: "/healthz", status: 401, reason: "unauthenticated", challenge: bothSchemes,
		decisions: []string{"auth deny unauthenticated none:no_credentials"}},
	{name: "jwt with the scope", method: "GET", path: "/v1/items", cred: "reader", status: 200, body: "ok alice", subject: "alice", route: "GET /v1/items",
		decisions: []string{authJWT, "authz allow all_scopes(items:read) GET /v1/items"}},
	{name: "api key without the scope", method: "POST", path: "/v1/items", cred: "key-reader", status: 403, reason: "insufficient_scope", challenge: scopeChallenge, subject: "svc-reports", route: "POST /v1/items",
		decisions: []string{authKey, "authz deny insufficient_scope all_scopes(items:write)"}},
}

// stackRouter builds one router's application around an auth middleware.
type stackRouter func(t *testing.T, authn *auth.Middleware) http.Handler

// runStack serves the router under both auth middlewares and sends each
// its cases, plus extra ones for this router.
func runStack(t *testing.T, build stackRouter, extra []stackCase) {
	t.Helper()
	f := newStackFixture(t)
	for _, stack := range []struct {
		name  string
		authn *auth.Middleware
		cases []stackCase
	}{
		{"anonymous allowed", f.anonymous, append(append([]stackCase(nil), anonymousCases...), extra...)},
		{"anonymous refused", f.strict, strictCases},
	} {
		log := &recordLog{waiting: make(map[string]chan record.Snapshot)}
		// The test client plays the proxy that sets X-Request-ID, so each
		// case can find its record by the ID it sent.
		rs, err := apierrors.NewResponder(apierrors.Config{TrustedProxies: []netip.Prefix{
			netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}})
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(rs.Handler(log.Handler(build(t, stack.authn))))
		t.Cleanup(srv.Close)
		t.Run(stack.name, func(t *testing.T) {
			t.Parallel()
			for _, tc := range stack.cases {
				t.Run(tc.name, func(t *testing.T) {
					t.Parallel()
					sendStackCase(t, srv, log, f, tc)
				})
			}
		})
	}
}

func sendStackCase(t *testing.T, srv *httptest.Server, log *recordLog, f *stackFixture, tc stackCase) {
	req, err := http.NewRequest(tc.method, srv.URL+tc.path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if tc.cred != "" {
		h, ok := f.creds[tc.cred]
		if !ok {
			t.Fatalf("no credential %q", tc.cred)
		}
		req.Header.Set(h[0], h[1])
	}
	id := record.NewID()
	req.Header.Set("X-Request-ID", id)
	snap := log.expect(id)
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != tc.status {
		t.Fatalf("got %d %s, want %d", resp.StatusCode, b, tc.status)
	}
	if got := resp.Header.Get("WWW-Authenticate"); got != tc.challenge {
		t.Errorf("got WWW-Authenticate %q, want %q", got, tc.challenge)
	}
	if got := resp.Header.Get("X-Request-ID"); got != id {
		t.Errorf("got X-Request-ID %q, want %q", got, id)
	}
	if tc.status < 400 {
		if string(b) != tc.body {
			t.Errorf("got body %q, want %q", b, tc.body)
		}
	} else {
		var p struct {
			Status    int    `json:"status"`
			Reason    string `json:"reason"`
			RequestID string `json:"request_id"`
		}
		if err := json.Unmarshal(b, &p); err != nil {
			t.Fatalf("error body %q is not a problem: %v", b, err)
		}
		if p.Status != tc.status || p.Reason != tc.reason || p.RequestID != id {
			t.Errorf("got problem %+v, want status %d, reason %s, request_id %s", p, tc.status, tc.reason, id)
		}
	}

	var s record.Snapshot
	select {
	case s = <-snap:
	case <-time.After(10 * time.Second):
		t.Fatal("the request record never reached the outer middleware")
	}
	got := make([]string, len(s.Decisions))
	for i, d := range s.Decisions {
		got[i] = strings.TrimSuffix(d.Package+" "+string(d.Outcome)+" "+d.Reason+" "+d.Rule, " ")
	}
	if strings.Join(got, "\n") != strings.Join(tc.decisions, "\n") {
		t.Errorf("got decisions\n\t%s\nwant\n\t%s", strings.Join(got, "\n\t"), strings.Join(tc.decisions, "\n\t"))
	}
	if s.Principal.Subject != tc.subject {
		t.Errorf("got recorded subject %q, want %q", s.Principal.Subject, tc.subject)
	}
	if s.Route != tc.route {
		t.Errorf("got recorded route %q, want %q", s.Route, tc.route)
	}
	if s.Status != tc.status {
		t.Errorf("got recorded status %d, want %d", s.Status, tc.status)
	}
	if tc.status >= 400 && (s.Problem.Status != tc.status || s.Problem.Reason != tc.reason) {
		t.Errorf("got recorded problem %+v, want %d %s", s.Problem, tc.status, tc.reason)
	}
}

func quietPolicy(t *testing.T, cfg authz.Config) *authz.Policy {
	t.Helper()
	cfg.Logger = slog.New(slog.DiscardHandler) // the no_policy case logs a wiring error by design
	pol, err := authz.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return pol
}

func TestAuthStackServeMux(t *testing.T) {
	t.Parallel()
	runStack(t, func(t *testing.T, authn *auth.Middleware) http.Handler {
		m := http.NewServeMux()
		h := whoami(stdPathValue)
		for _, p := range stackPatterns {
			m.Handle(p, h)
		}
		pol := quietPolicy(t, authz.Config{Routes: stackRoutes(stdPathValue), Mux: m})
		return authn.Handler(pol.Handler(apierrors.Mux(m)))
	}, []stackCase{
		{name: "no route is the mux's 404", method: "GET", path: "/v1/nope", cred: "reader", status: 404, reason: "not_found", subject: "alice",
			decisions: []string{authJWT, "authz skip no_route"}},
		{name: "wrong method is the mux's 405", method: "PUT", path: "/v1/items", cred: "reader", status: 405, reason: "method_not_allowed", subject: "alice",
			decisions: []string{authJWT, "authz skip no_route"}},
	})
}

func TestAuthStackChi(t *testing.T) {
	t.Parallel()
	runStack(t, func(t *testing.T, authn *auth.Middleware) http.Handler {
		pol := quietPolicy(t, authz.Config{Routes: stackRoutes(stdPathValue)})
		r := chi.NewRouter()
		r.NotFound(apierrors.NotFound)
		r.MethodNotAllowed(apierrors.MethodNotAllowed)
		r.Use(authn.Handler, pol.Handler)
		h := whoami(stdPathValue)
		for _, p := range stackPatterns {
			method, path, _ := strings.Cut(p, " ")
			r.Method(method, path, h)
		}
		return r
	}, []stackCase{
		{name: "no route is chi's 404", method: "GET", path: "/v1/nope", cred: "reader", status: 404, reason: "not_found", subject: "alice",
			decisions: []string{authJWT, "authz skip no_route"}},
		{name: "wrong method is chi's 405", method: "PUT", path: "/v1/items", cred: "reader", status: 405, reason: "method_not_allowed", subject: "alice",
			decisions: []string{authJWT, "authz skip no_route"}},
	})
}

func TestAuthStackGorillaMux(t *testing.T) {
	t.Parallel()
	runStack(t, func(t *testing.T, authn *auth.Middleware) http.Handler {
		pol := quietPolicy(t, authz.Config{Routes: stackRoutes(gorillaVar), Pattern: gorillaPattern, PathValue: gorillaVar})
		r := mux.NewRouter()
		r.NotFoundHandler = http.HandlerFunc(apierrors.NotFound)
		r.MethodNotAllowedHandler = http.HandlerFunc(apierrors.MethodNotAllowed)
		r.Use(authn.Handler, pol.Handler)
		h := whoami(gorillaVar)
		for _, p := range stackPatterns {
			method, path, _ := strings.Cut(p, " ")
			r.Handle(path, h).Methods(method)
		}
		return r
	}, []stackCase{
		// gorilla/mux runs middleware only on a matched route, so neither
		// auth nor authz sees these.
		{name: "no route is gorilla's 404", method: "GET", path: "/v1/nope", cred: "reader", status: 404, reason: "not_found"},
		{name: "wrong method is gorilla's 405", method: "PUT", path: "/v1/items", cred: "reader", status: 405, reason: "method_not_allowed"},
	})
}

// TestUnauthenticatedIsAuths: authz's 401 for a request without a
// principal is exactly the problem auth writes for a request without
// credentials (reason, title, detail, and WWW-Authenticate with auth's
// realm and every scheme it takes), whether authz refuses through a
// Policy, Require or Check. Without auth in the stack it is a 401 with
// "Bearer realm=api".
func TestUnauthenticatedIsAuths(t *testing.T) {
	t.Parallel()
	iss := newTestIssuer(t)
	jwt := testVerifier(t, iss)
	store, err := auth.NewMemoryStore(nil)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := auth.NewAPIKeys(auth.APIKeysConfig{Store: store})
	if err != nil {
		t.Fatal(err)
	}
	noCert := func(*http.Request) (string, bool) { return "", false }
	for _, tc := range []struct {
		name      string
		cfg       auth.Config
		challenge string
	}{
		{"jwt and api keys, own realm", auth.Config{Authenticators: []auth.Authenticator{jwt, keys}, Realm: "items api"},
			`Bearer realm="items api", ApiKey realm="items api"`},
		{"api keys only", auth.Config{Authenticators: []auth.Authenticator{keys}}, `ApiKey realm="api"`},
		{"client certificates only", auth.Config{ClientCertificate: noCert}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			strictCfg, anonCfg := tc.cfg, tc.cfg
			anonCfg.AllowAnonymous = true
			strict, err := auth.New(strictCfg)
			if err != nil {
				t.Fatal(err)
			}
			anon, err := auth.New(anonCfg)
			if err != nil {
				t.Fatal(err)
			}
			ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
			mux := http.NewServeMux()
			mux.Handle("GET /v1/items", ok)
			pol := quietPolicy(t, authz.Config{Mux: mux, Routes: map[string]authz.Rule{"GET /v1/items": authz.AllScopes("items:read")}})
			inHandler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if err := authz.Check(r, authz.Authenticated()); err != nil {
					apierrors.Write(w, r, err)
				}
			})
			want := serveProblem(t, strict.Handler(ok))
			if want.status != http.StatusUnauthorized || want.challenge != tc.challenge {
				t.Fatalf("auth's own refusal: got %d %q, want 401 %q", want.status, want.challenge, tc.challenge)
			}
			for name, h := range map[string]http.Handler{
				"policy":  anon.Handler(pol.Handler(mux)),
				"require": anon.Handler(authz.Require(authz.AllScopes("items:read"))(ok)),
				"check":   anon.Handler(inHandler),
			} {
				if got := serveProblem(t, h); got != want {
					t.Errorf("%s: got %+v, want auth's %+v", name, got, want)
				}
			}
		})
	}
	got := serveProblem(t, authz.Require(authz.Authenticated())(http.NotFoundHandler()))
	if got.status != 401 || got.reason != "unauthenticated" || got.challenge != `Bearer realm="api"` {
		t.Errorf("without auth: got %+v, want 401 unauthenticated with Bearer realm=\"api\"", got)
	}
}

// servedProblem is what a client sees of a problem response, less what
// differs per request (request_id, instance).
type servedProblem struct {
	status                            int
	challenge                         string
	typ, title, detail, reason, ctype string
	bodyStatus                        int
}

// serveProblem sends a GET /v1/items without credentials to h.
func serveProblem(t *testing.T, h http.Handler) servedProblem {
	t.Helper()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/v1/items", nil))
	var b struct {
		Type, Title, Detail, Reason string
		Status                      int
	}
	if err := json.Unmarshal(w.Body.Bytes(), &b); err != nil {
		t.Fatalf("body %q is not a problem: %v", w.Body, err)
	}
	return servedProblem{status: w.Code, challenge: w.Header().Get("WWW-Authenticate"), typ: b.Type, title: b.Title,
		detail: b.Detail, reason: b.Reason, ctype: w.Header().Get("Content-Type"), bodyStatus: b.Status}
}
