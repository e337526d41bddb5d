package authz_test

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/gorilla/mux"

	"github.com/apishield/apishield/auth"
	"github.com/apishield/apishield/authz"
	apierrors "github.com/apishield/apishield/errors"
)

// The integration tests run one API on each router, behind testAuth (the
// stand-in for auth's middleware) and a policy, and send it the same
// requests. Path values reach the rules and the handlers the router's way.
// auth_integration_test.go runs the three routers behind auth's real
// middleware and real credentials instead.

var owners = map[string]string{"1": "alice", "2": "bob"}

// apiRoutes is the policy of the test API. pathValue reads a path value
// the way the router allows.
func apiRoutes(pathValue func(*http.Request, string) string) map[string]authz.Rule {
	owner := authz.Owner(func(r *http.Request) (string, error) {
		o, ok := owners[pathValue(r, "id")]
		if !ok {
			return "", apierrors.New(http.StatusNotFound, apierrors.ReasonNotFound, "No item has this ID.")
		}
		return o, nil
	})
	return map[string]authz.Rule{
		"GET /healthz":                authz.Public(),
		"GET /v1/items":               authz.AllScopes("items:read"),
		"POST /v1/items":              authz.AllScopes("items:write"),
		"GET /v1/items/{id}":          owner,
		"GET /v1/tenants/{tid}/items": authz.Tenant("tid", "/tenant"),
		"DELETE /v1/admin/items/{id}": authz.And(authz.AnyRole("admin"), authz.StepUp(authz.StepUpOptions{AMR: []string{"mfa"}})),
		"GET /v1/files/{path...}":     authz.AllScopes("files:read"), // ServeMux spelling
		"GET /v1/files/*":             authz.AllScopes("files:read"), // chi spelling
		"GET /v1/files/{path:.*}":     authz.AllScopes("files:read"), // gorilla/mux spelling
		"GET /v1/sub/items/{id}":      owner,                         // chi: through a mounted subrouter
		"GET /v1/sub":                 authz.AllScopes("items:read"), // chi: the subrouter's "/"
		"GET /v1/sub/{tid}/items":     authz.Tenant("tid", "/tenant"),
		"GET /v1/enc/{name}":          authz.Func("name", checkName),
	}
}

// checkName passes only when the path value "name" reached the rule
// unescaped, proving r.PathValue is set before the rule runs.
func checkName(r *http.Request, _ *auth.Principal) error {
	if r.PathValue("name") == "a b/c" {
		return nil
	}
	return authz.ErrDenied
}

// echo answers 200 with the path value id, so a test sees the handler ran.
func echo(pathValue func(*http.Request, string) string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok "+pathValue(r, "id"))
	}
}

type apiCase struct {
	name, method, path string
	headers            map[string]string
	status             int
	reason             string
	body               string
}

var (
	reader  = map[string]string{"X-Test-Subject": "alice", "X-Test-Scopes": "items:read files:read"}
	writer  = map[string]string{"X-Test-Subject": "alice", "X-Test-Scopes": "items:read items:write"}
	bob     = map[string]string{"X-Test-Subject": "bob"}
	acme    = map[string]string{"X-Test-Subject": "alice", "X-Test-Tenant": "acme"}
	admin   = map[string]string{"X-Test-Subject": "root", "X-Test-Roles": "admin"}
	adminMF = map[string]string{"X-Test-Subject": "root", "X-Test-Roles": "admin", "X-Test-MFA": "1"}
)

// escapedCase shows a rule reading r.PathValue before the ServeMux ran gets
// the mux's unescaped value. (chi's path values stay escaped when the path
// has escapes, and gorilla/mux sets none.)
var escapedCase = apiCase{name: "escaped path value", method: "GET", path: "/v1/enc/a%20b%2Fc", headers: bob, status: 200}

var apiCases = []apiCase{
	{name: "public anonymous", method: "GET", path: "/healthz", status: 200},
	{name: "anonymous refused", method: "GET", path: "/v1/items", status: 401, reason: "unauthenticated"},
	{name: "scope granted", method: "GET", path: "/v1/items", headers: reader, status: 200},
	{name: "scope missing", method: "POST", path: "/v1/items", headers: reader, status: 403, reason: "insufficient_scope"},
	{name: "write scope", method: "POST", path: "/v1/items", headers: writer, status: 200},
	{name: "owner reads own item", method: "GET", path: "/v1/items/1", headers: reader, status: 200, body: "ok 1"},
	{name: "other user refused (BOLA)", method: "GET", path: "/v1/items/1", headers: bob, status: 404, reason: "not_found"},
	{name: "bob reads his", method: "GET", path: "/v1/items/2", headers: bob, status: 200, body: "ok 2"},
	{name: "unknown item is the resolver's 404", method: "GET", path: "/v1/items/999", headers: reader, status: 404, reason: "not_found"},
	{name: "tenant bound", method: "GET", path: "/v1/tenants/acme/items", headers: acme, status: 200},
	{name: "other tenant refused", method: "GET", path: "/v1/tenants/globex/items", headers: acme, status: 403, reason: "forbidden"},
	{name: "admin without mfa steps up", method: "DELETE", path: "/v1/admin/items/1", headers: admin, status: 401, reason: "step_up_required"},
	{name: "admin with mfa", method: "DELETE", path: "/v1/admin/items/1", headers: adminMF, status: 200, body: "ok 1"},
	{name: "mfa without role", method: "DELETE", path: "/v1/admin/items/1", headers: map[string]string{"X-Test-Subject": "x", "X-Test-MFA": "1"}, status: 403, reason: "forbidden"},
	{name: "catch-all", method: "GET", path: "/v1/files/a/b.txt", headers: reader, status: 200},
	{name: "catch-all without scope", method: "GET", path: "/v1/files/a/b.txt", headers: bob, status: 403, reason: "insufficient_scope"},
	{name: "route without policy refused", method: "GET", path: "/v1/forgotten", headers: admin, status: 403, reason: "forbidden"},
	{name: "no route is the router's 404", method: "GET", path: "/v1/nope", headers: reader, status: 404},
}

func runAPI(t *testing.T, h http.Handler, cases []apiCase) {
	t.Helper()
	srv := httptest.NewServer(apierrors.Recover(testAuth(h)))
	t.Cleanup(srv.Close)
	client := srv.Client()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(tc.method, srv.URL+tc.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range tc.headers {
				req.Header.Set(k, v)
			}
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.status {
				t.Fatalf("got %d %s, want %d", resp.StatusCode, b, tc.status)
			}
			if tc.reason != "" && !strings.Contains(string(b), `"reason":"`+tc.reason+`"`) {
				t.Errorf("got body %s, want reason %s", b, tc.reason)
			}
			if tc.body != "" && string(b) != tc.body {
				t.Errorf("got body %q, want %q", b, tc.body)
			}
		})
	}
}

func stdPathValue(r *http.Request, name string) string { return r.PathValue(name) }

func newPolicy(t *testing.T, cfg authz.Config) *authz.Policy {
	t.Helper()
	if cfg.Routes == nil {
		cfg.Routes = apiRoutes(stdPathValue)
	}
	pol, err := authz.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return pol
}

func TestServeMuxWrapped(t *testing.T) {
	t.Parallel()
	m := http.NewServeMux()
	h := echo(stdPathValue)
	for _, p := range []string{"GET /healthz", "GET /v1/items", "POST /v1/items", "GET /v1/items/{id}",
		"GET /v1/tenants/{tid}/items", "DELETE /v1/admin/items/{id}", "GET /v1/files/{path...}",
		"GET /v1/enc/{name}", "GET /v1/forgotten"} {
		m.Handle(p, h)
	}
	pol := newPolicy(t, authz.Config{Mux: m})
	runAPI(t, pol.Handler(apierrors.Mux(m)), append(apiCases, escapedCase,
		apiCase{name: "wrong method is the mux's 405", method: "DELETE", path: "/v1/items", headers: reader, status: 405}))
}

func TestServeMuxPerRoute(t *testing.T) {
	t.Parallel()
	pol := newPolicy(t, authz.Config{})
	m := http.NewServeMux()
	h := pol.Handler(echo(stdPathValue))
	for _, p := range []string{"GET /healthz", "GET /v1/items", "POST /v1/items", "GET /v1/items/{id}",
		"GET /v1/tenants/{tid}/items", "DELETE /v1/admin/items/{id}", "GET /v1/files/{path...}",
		"GET /v1/enc/{name}", "GET /v1/forgotten"} {
		m.Handle(p, h)
	}
	runAPI(t, apierrors.Mux(m), append(apiCases, escapedCase))
}

func chiAPI(pol *authz.Policy, perRoute bool) http.Handler {
	r := chi.NewRouter()
	r.NotFound(apierrors.NotFound)
	r.MethodNotAllowed(apierrors.MethodNotAllowed)
	if !perRoute {
		r.Use(pol.Handler)
	} else {
		r = r.With(pol.Handler).(*chi.Mux)
	}
	h := echo(stdPathValue)
	r.Get("/healthz", h)
	r.Get("/v1/items", h)
	r.Post("/v1/items", h)
	r.Get("/v1/items/{id}", h)
	r.Get("/v1/tenants/{tid}/items", h)
	r.Delete("/v1/admin/items/{id}", h)
	r.Get("/v1/files/*", h)
	r.Get("/v1/enc/{name}", h)
	r.Get("/v1/forgotten", h)
	return r
}

func TestChiUse(t *testing.T) {
	t.Parallel()
	runAPI(t, chiAPI(newPolicy(t, authz.Config{}), false), append(apiCases,
		apiCase{name: "wrong method is chi's 405", method: "DELETE", path: "/v1/items", headers: reader, status: 405},
		apiCase{name: "HEAD uses the GET entry", method: "HEAD", path: "/v1/items", status: 401}))
}

func TestChiWith(t *testing.T) {
	t.Parallel()
	runAPI(t, chiAPI(newPolicy(t, authz.Config{}), true), apiCases)
}

// TestChiMounted puts the policy at the top of a chi router and the routes
// in a mounted subrouter, so the policy must find the whole pattern.
func TestChiMounted(t *testing.T) {
	t.Parallel()
	pol := newPolicy(t, authz.Config{})
	sub := chi.NewRouter()
	h := echo(stdPathValue)
	sub.Get("/", h)
	sub.Get("/items/{id}", h)
	sub.Get("/{tid}/items", h)
	sub.Get("/forgotten", h)
	for _, perRoute := range []bool{false, true} {
		r := chi.NewRouter()
		s := sub
		if perRoute {
			s = chi.NewRouter()
			s.Use(pol.Handler) // a subrouter's own Use: runs before the subrouter routes
			s.Get("/", h)
			s.Get("/items/{id}", h)
			s.Get("/{tid}/items", h)
			s.Get("/forgotten", h)
		} else {
			r.Use(pol.Handler)
		}
		r.Mount("/v1/sub", s)
		name := "top"
		if perRoute {
			name = "subrouter"
		}
		t.Run(name, func(t *testing.T) {
			runAPI(t, r, []apiCase{
				{name: "sub root", method: "GET", path: "/v1/sub", headers: reader, status: 200},
				{name: "owner", method: "GET", path: "/v1/sub/items/1", headers: reader, status: 200, body: "ok 1"},
				{name: "not owner", method: "GET", path: "/v1/sub/items/1", headers: bob, status: 404},
				{name: "tenant", method: "GET", path: "/v1/sub/acme/items", headers: acme, status: 200},
				{name: "other tenant", method: "GET", path: "/v1/sub/globex/items", headers: acme, status: 403},
				{name: "no policy", method: "GET", path: "/v1/sub/forgotten", headers: admin, status: 403},
				// The mount point itself with a method no subroute takes:
				// chi's 405, not a "no policy" refusal.
				{name: "sub root, wrong method", method: "DELETE", path: "/v1/sub", headers: admin, status: 405},
				{name: "sub root slash, wrong method", method: "DELETE", path: "/v1/sub/", headers: admin, status: 405},
			})
		})
	}
}

func gorillaVar(r *http.Request, name string) string { return mux.Vars(r)[name] }

// gorillaPattern is the Config.Pattern documented for gorilla/mux.
func gorillaPattern(r *http.Request) string {
	route := mux.CurrentRoute(r)
	if route == nil {
		return ""
	}
	tpl, err := route.GetPathTemplate()
	if err != nil {
		return ""
	}
	return tpl
}

func gorillaAPI(t *testing.T) (*mux.Router, *authz.Policy) {
	pol := newPolicy(t, authz.Config{Routes: apiRoutes(gorillaVar), Pattern: gorillaPattern, PathValue: gorillaVar})
	r := mux.NewRouter()
	r.NotFoundHandler = http.HandlerFunc(apierrors.NotFound)
	r.MethodNotAllowedHandler = http.HandlerFunc(apierrors.MethodNotAllowed)
	r.Use(pol.Handler)
	h := echo(gorillaVar)
	r.Handle("/healthz", h).Methods("GET")
	r.Handle("/v1/items", h).Methods("GET")
	r.Handle("/v1/items", h).Methods("POST")
	r.Handle("/v1/items/{id}", h).Methods("GET")
	r.Handle("/v1/tenants/{tid}/items", h).Methods("GET")
	r.Handle("/v1/admin/items/{id}", h).Methods("DELETE")
	r.Handle("/v1/files/{path:.*}", h).Methods("GET")
	r.Handle("/v1/forgotten", h).Methods("GET")
	return r, pol
}

func TestGorillaMux(t *testing.T) {
	t.Parallel()
	r, _ := gorillaAPI(t)
	runAPI(t, r, append(apiCases,
		apiCase{name: "wrong method is gorilla's 405", method: "DELETE", path: "/v1/items", headers: reader, status: 405}))
}

// TestStartupCheck lists the routes without a policy on each router.
func TestStartupCheck(t *testing.T) {
	t.Parallel()
	pol := newPolicy(t, authz.Config{})
	want := "authz: routes without a policy: GET /v1/forgotten"

	// ServeMux: the patterns the application registers.
	err := pol.CheckRoutes("GET /healthz", "GET /v1/items/{id}", "GET /v1/forgotten", "/v1/items", "/v1/unknown-any")
	if err == nil || err.Error() != want+", /v1/unknown-any" {
		t.Errorf("ServeMux: got %v", err)
	}

	// chi
	if err := pol.CheckChi(chiAPI(pol, false).(chi.Routes)); err == nil || err.Error() != want {
		t.Errorf("chi: got %v, want %s", err, want)
	}

	// gorilla/mux: the templates and methods from Router.Walk.
	r, gpol := gorillaAPI(t)
	var routes []string
	err = r.Walk(func(route *mux.Route, _ *mux.Router, _ []*mux.Route) error {
		tpl, err := route.GetPathTemplate()
		if err != nil {
			return err
		}
		methods, err := route.GetMethods()
		if err != nil { // a route for every method
			routes = append(routes, tpl)
			return nil
		}
		for _, m := range methods {
			routes = append(routes, m+" "+tpl)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := gpol.CheckRoutes(routes...); err == nil || err.Error() != want {
		t.Errorf("gorilla/mux: got %v, want %s", err, want)
	}

	var ue *authz.UnprotectedError
	if err := pol.CheckRoutes("GET /v1/forgotten"); !errors.As(err, &ue) || len(ue.Routes) != 1 || !errors.Is(err, authz.ErrUnprotected) {
		t.Errorf("got %v, want an *UnprotectedError wrapping ErrUnprotected", err)
	}
	if err := pol.CheckRoutes("GET /v1/items", "HEAD /v1/items", "POST /v1/items"); err != nil {
		t.Errorf("covered routes: got %v", err)
	}
}

func TestChiRoutesSpelling(t *testing.T) {
	t.Parallel()
	sub := chi.NewRouter()
	sub.Get("/", func(http.ResponseWriter, *http.Request) {})
	sub.Get("/{id}", func(http.ResponseWriter, *http.Request) {})
	r := chi.NewRouter()
	r.Mount("/v1/sub", sub)
	r.Handle("/any", http.NotFoundHandler())
	got, err := authz.ChiRoutes(r)
	if err != nil {
		t.Fatal(err)
	}
	want := "CONNECT /any, DELETE /any, GET /any, GET /v1/sub, GET /v1/sub/{id}, HEAD /any, OPTIONS /any, PATCH /any, POST /any, PUT /any, QUERY /any, TRACE /any"
	if strings.Join(got, ", ") != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestTimeInjected shows StepUp's clock is the one given.
func TestTimeInjected(t *testing.T) {
	t.Parallel()
	p := alice()
	late := func() time.Time { return p.AuthTime.Add(time.Hour) }
	rule := authz.StepUp(authz.StepUpOptions{MaxAge: 30 * time.Minute, Now: late})
	if err := authz.Check(as(httptest.NewRequest("GET", "/", nil), p), rule); err == nil {
		t.Error("an authentication an hour old passed a 30-minute step-up")
	}
}

// TestChiUnderServeMux puts a chi router (with the policy in its r.Use)
// under a ServeMux pattern: the request carries the outer mux's pattern,
// and the policy must use chi's instead.
func TestChiUnderServeMux(t *testing.T) {
	t.Parallel()
	pol := newPolicy(t, authz.Config{})
	outer := http.NewServeMux()
	outer.Handle("GET /v1/", chiAPI(pol, false))
	runAPI(t, outer, []apiCase{
		{name: "scope granted", method: "GET", path: "/v1/items", headers: reader, status: 200},
		{name: "anonymous", method: "GET", path: "/v1/items", status: 401},
		{name: "owner", method: "GET", path: "/v1/items/1", headers: reader, status: 200, body: "ok 1"},
		{name: "not owner", method: "GET", path: "/v1/items/1", headers: bob, status: 404},
		{name: "no policy", method: "GET", path: "/v1/forgotten", headers: admin, status: 403},
	})
}

// TestConcurrentRequests sends requests from many goroutines through a
// policy in chi's r.Use (which reuses route contexts from a pool) and
// around a ServeMux, for the race detector.
func TestConcurrentRequests(t *testing.T) {
	t.Parallel()
	m := http.NewServeMux()
	m.Handle("GET /v1/items/{id}", echo(stdPathValue))
	handlers := map[string]http.Handler{
		"chi":      chiAPI(newPolicy(t, authz.Config{}), false),
		"servemux": newPolicy(t, authz.Config{Mux: m}).Handler(m),
	}
	for name, h := range handlers {
		h := apierrors.Recover(testAuth(h))
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			done := make(chan error, 8)
			for g := range 8 {
				go func() {
					for i := range 50 {
						id, sub, want := "1", "alice", 200
						if (g+i)%2 == 1 {
							id, sub, want = "2", "alice", 404
						}
						req := httptest.NewRequest("GET", "/v1/items/"+id, nil)
						req.Header.Set("X-Test-Subject", sub)
						w := httptest.NewRecorder()
						h.ServeHTTP(w, req)
						if w.Code != want {
							done <- fmt.Errorf("item %s: got %d, want %d", id, w.Code, want)
							return
						}
					}
					done <- nil
				}()
			}
			for range 8 {
				if err := <-done; err != nil {
					t.Error(err)
				}
			}
		})
	}
}
