package authz_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/go-chi/chi/v5"
	"github.com/gorilla/mux"

	"github.com/apishield/apishield/auth"
	"github.com/apishield/apishield/authz"
	apierrors "github.com/apishield/apishield/errors"
)

// The tests in this file write rules the obvious way for each router: an
// Owner resolver or a Func reads chi.URLParam on chi and mux.Vars on
// gorilla/mux, where the policy runs in the router's own r.Use. On chi that
// is before chi has routed, so the policy lends the values its own match
// found to chi's route context for the rule, and takes them back before
// chi routes: the handler sees exactly what it sees without the policy.

// orgOwners are the owners of the test's objects, by org and id.
var orgOwners = map[string]string{"acme/1": "alice", "acme/2": "bob", "/1": "alice", "/2": "bob"}

// ownerBy returns an Owner rule whose resolver reads "org" (absent on
// most routes) and "id" with param, the router's own accessor; an object
// it cannot find is the 404 the handler would send. The rule answers
// someone else's object with the same 404, so the cases that tell whether
// the resolver saw the path values are the owners' 200s.
func ownerBy(param func(*http.Request, string) string) authz.Rule {
	return authz.Owner(func(r *http.Request) (string, error) {
		o, ok := orgOwners[param(r, "org")+"/"+param(r, "id")]
		if !ok {
			return "", apierrors.New(http.StatusNotFound, apierrors.ReasonNotFound, "No item has this ID.")
		}
		return o, nil
	})
}

// A seen records, by path, every path value a rule saw, as dump shows
// them, for comparison with what the handler sees.
type seen struct {
	dump func(*http.Request) string
	m    sync.Map
}

// rule returns a Func rule that records what it sees and passes.
func (s *seen) rule() authz.Rule {
	return authz.Func("seen", func(r *http.Request, _ *auth.Principal) error {
		s.m.Store(r.URL.Path, s.dump(r))
		return nil
	})
}

func (s *seen) get(path string) string {
	v, _ := s.m.Load(path)
	str, _ := v.(string)
	return str
}

// accessorRoutes is the policy of the accessor tests: each route's rule
// behind a rule that records what it saw.
func accessorRoutes(param func(*http.Request, string) string, s *seen) map[string]authz.Rule {
	routes := map[string]authz.Rule{
		"GET /v1/items/{id}":                 ownerBy(param),
		"GET /v1/sub/items/{id}":             ownerBy(param),
		"GET /v1/sub/files/*":                authz.Authenticated(),
		"GET /v1/orgs/{org}/items/{id}":      ownerBy(param),
		"GET /v1/orgs/{org}/deep/items/{id}": ownerBy(param),
		"GET /v1/tenants/{tid}/items":        authz.Tenant("tid", "/tenant"),
		"GET /v1/named/{name}": authz.Func("name", func(r *http.Request, _ *auth.Principal) error {
			if param(r, "name") == "x" {
				return nil
			}
			return authz.ErrDenied
		}),
	}
	for k, rule := range routes {
		routes[k] = authz.And(authz.Authenticated(), s.rule(), rule)
	}
	return routes
}

// chiParams is every URL parameter chi's route context holds, in order,
// so a test sees a value missing, wrong or doubled.
func chiParams(r *http.Request) string {
	p := chi.RouteContext(r.Context()).URLParams
	var b strings.Builder
	for i, k := range p.Keys {
		b.WriteString(k + "=" + p.Values[i] + ";")
	}
	return b.String() + " id=" + chi.URLParam(r, "id") + " *=" + chi.URLParam(r, "*")
}

// dumpChi answers with chiParams and r.PathValue("id").
func dumpChi(w http.ResponseWriter, r *http.Request) {
	io.WriteString(w, chiParams(r)+" pv="+r.PathValue("id"))
}

// chiAccessorAPI builds the test API on chi: routes on the root, in an
// r.Route group, in a mounted subrouter, and under a route parameter of
// the mount point. use puts the policy's middleware in place, or is nil
// for the control router without a policy.
func chiAccessorAPI(use func(root, mounted chi.Router)) http.Handler {
	r := chi.NewRouter()
	r.NotFound(apierrors.NotFound)
	sub := chi.NewRouter()
	if use != nil {
		use(r, sub)
	}
	r.Get("/v1/items/{id}", dumpChi)
	r.Get("/v1/tenants/{tid}/items", dumpChi)
	r.Get("/v1/named/{name}", dumpChi)
	sub.Get("/items/{id}", dumpChi)
	sub.Get("/files/*", dumpChi)
	r.Mount("/v1/sub", sub)
	r.Route("/v1/orgs/{org}", func(r chi.Router) {
		r.Get("/items/{id}", dumpChi)
		r.Route("/deep", func(r chi.Router) { r.Get("/items/{id}", dumpChi) })
	})
	return r
}

func TestChiURLParamInRules(t *testing.T) {
	t.Parallel()
	control := chiAccessorAPI(nil)
	for _, place := range []struct {
		name string
		use  func(pol *authz.Policy) func(root, mounted chi.Router)
	}{
		{"root r.Use", func(pol *authz.Policy) func(root, mounted chi.Router) {
			return func(root, _ chi.Router) { root.Use(pol.Handler) }
		}},
		// Only the mounted routes are behind the policy here.
		{"subrouter r.Use", func(pol *authz.Policy) func(root, mounted chi.Router) {
			return func(_, mounted chi.Router) { mounted.Use(pol.Handler) }
		}},
	} {
		t.Run(place.name, func(t *testing.T) {
			t.Parallel()
			s := &seen{dump: chiParams}
			pol, err := authz.New(authz.Config{Routes: accessorRoutes(chi.URLParam, s), PathValue: chi.URLParam})
			if err != nil {
				t.Fatal(err)
			}
			h := apierrors.Recover(testAuth(chiAccessorAPI(place.use(pol))))
			cases := []accessorCase{
				{"/v1/sub/files/a/b.txt", bob, 200},
				{"/v1/sub/items/1", reader, 200},
				{"/v1/sub/items/1", bob, 404},
				{"/v1/sub/items/2", bob, 200},
				{"/v1/sub/items/9", bob, 404},
			}
			if place.name == "root r.Use" {
				cases = append(cases,
					accessorCase{"/v1/items/1", reader, 200},
					accessorCase{"/v1/items/1", bob, 404},
					accessorCase{"/v1/items/9", reader, 404},
					accessorCase{"/v1/orgs/acme/items/1", reader, 200},
					accessorCase{"/v1/orgs/acme/items/1", bob, 404},
					accessorCase{"/v1/orgs/globex/items/1", reader, 404},
					accessorCase{"/v1/orgs/acme/deep/items/2", bob, 200},
					accessorCase{"/v1/orgs/acme/deep/items/2", reader, 404},
					accessorCase{"/v1/tenants/acme/items", acme, 200},
					accessorCase{"/v1/tenants/globex/items", acme, 403},
					accessorCase{"/v1/named/x", bob, 200},
					accessorCase{"/v1/named/y", bob, 403},
				)
			}
			runAccessorCases(t, h, testAuth(control), s, cases)
		})
	}
}

func TestGorillaVarsInRules(t *testing.T) {
	t.Parallel()
	varsOf := func(r *http.Request) string {
		vars := mux.Vars(r)
		keys := make([]string, 0, len(vars))
		for k := range vars {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		var b strings.Builder
		for _, k := range keys {
			b.WriteString(k + "=" + vars[k] + ";")
		}
		return b.String()
	}
	build := func(pol *authz.Policy) http.Handler {
		r := mux.NewRouter()
		r.NotFoundHandler = http.HandlerFunc(apierrors.NotFound)
		if pol != nil {
			r.Use(pol.Handler)
		}
		dump := func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, varsOf(r)) }
		r.HandleFunc("/v1/items/{id}", dump).Methods("GET")
		r.HandleFunc("/v1/tenants/{tid}/items", dump).Methods("GET")
		r.HandleFunc("/v1/named/{name}", dump).Methods("GET")
		sub := r.PathPrefix("/v1/sub").Subrouter()
		sub.HandleFunc("/items/{id}", dump).Methods("GET")
		sub.HandleFunc("/files/{rest:.*}", dump).Methods("GET")
		orgs := r.PathPrefix("/v1/orgs/{org}").Subrouter()
		orgs.HandleFunc("/items/{id}", dump).Methods("GET")
		orgs.PathPrefix("/deep").Subrouter().HandleFunc("/items/{id}", dump).Methods("GET")
		return r
	}
	vars := func(r *http.Request, name string) string { return mux.Vars(r)[name] }
	// Config.PathValue is for Tenant; the Owner and Func rules read
	// mux.Vars themselves.
	s := &seen{dump: varsOf}
	routes := accessorRoutes(vars, s)
	routes["GET /v1/sub/files/{rest:.*}"] = routes["GET /v1/sub/files/*"] // gorilla's spelling
	delete(routes, "GET /v1/sub/files/*")
	pol, err := authz.New(authz.Config{Routes: routes, Pattern: gorillaPattern, PathValue: vars})
	if err != nil {
		t.Fatal(err)
	}
	runAccessorCases(t, apierrors.Recover(testAuth(build(pol))), testAuth(build(nil)), s, []accessorCase{
		{"/v1/sub/files/a/b.txt", bob, 200},
		{"/v1/items/1", reader, 200},
		{"/v1/items/1", bob, 404},
		{"/v1/items/9", reader, 404},
		{"/v1/sub/items/2", bob, 200},
		{"/v1/sub/items/1", bob, 404},
		{"/v1/orgs/acme/items/1", reader, 200},
		{"/v1/orgs/globex/items/1", reader, 404},
		{"/v1/orgs/acme/deep/items/2", bob, 200},
		{"/v1/orgs/acme/deep/items/2", reader, 404},
		{"/v1/tenants/acme/items", acme, 200},
		{"/v1/tenants/globex/items", acme, 403},
		{"/v1/named/x", bob, 200},
		{"/v1/named/y", bob, 403},
	})
}

type accessorCase struct {
	path    string
	headers map[string]string
	status  int
}

// runAccessorCases sends each GET to h and checks its status; a 200 must
// carry the body the control router (the same routes, no policy) gives,
// and the rules must have seen the same path values as its handler.
func runAccessorCases(t *testing.T, h, control http.Handler, s *seen, cases []accessorCase) {
	t.Helper()
	for _, tc := range cases {
		serve := func(h http.Handler) *httptest.ResponseRecorder {
			r := httptest.NewRequest("GET", tc.path, nil)
			for k, v := range tc.headers {
				r.Header.Set(k, v)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			return w
		}
		got := serve(h)
		if got.Code != tc.status {
			t.Errorf("GET %s as %s: status %d, want %d; body %s", tc.path, tc.headers["X-Test-Subject"], got.Code, tc.status, got.Body)
			continue
		}
		if tc.status != http.StatusOK {
			continue
		}
		want := serve(control).Body.String()
		if got.Body.String() != want {
			t.Errorf("GET %s: the handler saw %q behind the policy, %q without it", tc.path, got.Body, want)
		}
		if rule, _, _ := strings.Cut(want, " pv="); s.get(tc.path) != rule {
			t.Errorf("GET %s: the rules saw %q, the handler %q", tc.path, s.get(tc.path), rule)
		}
	}
}
