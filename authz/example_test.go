package authz_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/apishield/apishield/auth"
	"github.com/apishield/apishield/authz"
	apierrors "github.com/apishield/apishield/errors"
)

// item and items stand for the quickstart's store: items have an Owner.
type item struct{ ID, Name, Owner string }

var items = map[string]item{"1": {ID: "1", Name: "pen", Owner: "alice"}}

// ownerOf is the Owner resolver: the owner of the item the path names, or
// ErrNotFound. The rule answers a missing item as it answers someone else's
// (404), and records which it was.
func ownerOf(r *http.Request) (string, error) {
	it, ok := items[r.PathValue("id")]
	if !ok {
		return "", authz.ErrNotFound
	}
	return it.Owner, nil
}

// demoAuth stands in for auth's middleware, which verifies a real token:
// here the bearer token is looked up in a table.
func demoAuth(next http.Handler) http.Handler {
	principals := map[string]*auth.Principal{
		"alice": {Subject: "alice", Scopes: []string{"items:read", "items:write"}},
		"bob":   {Subject: "bob", Scopes: []string{"items:read"}},
		"root":  {Subject: "root", Roles: []string{"admin"}, AMR: []string{"pwd"}, AuthTime: time.Now()},
		"root+mfa": {Subject: "root", Roles: []string{"admin"}, AMR: []string{"pwd", "mfa"},
			AuthTime: time.Now()},
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p, ok := principals[strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")]; ok {
			r = r.WithContext(auth.NewContext(r.Context(), p))
		}
		next.ServeHTTP(w, r)
	})
}

// Example shows the quickstart's wiring on a ServeMux: POST /v1/items needs
// items:write, GET /v1/items/{id} checks ownership, and the admin route
// needs a role and a recent multi-factor authentication.
func Example() {
	mux := http.NewServeMux()
	ok := func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "ok") }
	mux.HandleFunc("GET /healthz", ok)
	mux.HandleFunc("GET /v1/items", ok)
	mux.HandleFunc("POST /v1/items", ok)
	mux.HandleFunc("GET /v1/items/{id}", ok)
	mux.HandleFunc("DELETE /v1/admin/items/{id}", ok)
	mux.HandleFunc("GET /v1/debug", ok) // forgotten in the policy

	policy, err := authz.New(authz.Config{
		Mux: mux,
		Routes: map[string]authz.Rule{
			"GET /healthz":       authz.Public(),
			"GET /v1/items":      authz.AllScopes("items:read"),
			"POST /v1/items":     authz.AllScopes("items:write"),
			"GET /v1/items/{id}": authz.Owner(ownerOf),
			"DELETE /v1/admin/items/{id}": authz.And(
				authz.AnyRole("admin"),
				authz.StepUp(authz.StepUpOptions{AMR: []string{"mfa", "hwk"}, MaxAge: 10 * time.Minute}),
			),
		},
	})
	if err != nil {
		panic(err)
	}
	// At start-up: every pattern registered above must have an entry.
	fmt.Println(policy.CheckRoutes("GET /healthz", "GET /v1/items", "POST /v1/items",
		"GET /v1/items/{id}", "DELETE /v1/admin/items/{id}", "GET /v1/debug"))

	// errors.Recover → auth → authz → the mux (with problem 404/405s).
	handler := apierrors.Recover(demoAuth(policy.Handler(apierrors.Mux(mux))))

	for _, c := range []struct{ method, path, token string }{
		{"GET", "/healthz", ""},
		{"GET", "/v1/items", ""},
		{"POST", "/v1/items", "bob"},
		{"POST", "/v1/items", "alice"},
		{"GET", "/v1/items/1", "alice"},
		{"GET", "/v1/items/1", "bob"},
		{"GET", "/v1/items/9", "bob"},
		{"DELETE", "/v1/admin/items/1", "alice"},
		{"DELETE", "/v1/admin/items/1", "root"},
		{"DELETE", "/v1/admin/items/1", "root+mfa"},
		{"GET", "/v1/debug", "root+mfa"},
	} {
		req := httptest.NewRequest(c.method, c.path, nil)
		if c.token != "" {
			req.Header.Set("Authorization", "Bearer "+c.token)
		}
		w := httptest.NewRecorder()
		handler.ServeHTTP(w, req)
		line := fmt.Sprintf("%-6s %-18s %-9s %d %s", c.method, c.path, c.token, w.Code, w.Header().Get("WWW-Authenticate"))
		fmt.Println(strings.TrimSpace(line))
	}
	// Output:
	// authz: routes without a policy: GET /v1/debug
	// GET    /healthz                     200
	// GET    /v1/items                    401 Bearer realm="api"
	// POST   /v1/items          bob       403 Bearer error="insufficient_scope", scope="items:write"
	// POST   /v1/items          alice     200
	// GET    /v1/items/1        alice     200
	// GET    /v1/items/1        bob       404
	// GET    /v1/items/9        bob       404
	// DELETE /v1/admin/items/1  alice     403
	// DELETE /v1/admin/items/1  root      401 Bearer error="insufficient_user_authentication", error_description="A stronger or more recent authentication is required", max_age=600
	// DELETE /v1/admin/items/1  root+mfa  200
	// GET    /v1/debug          root+mfa  403
}

// ExampleCheckOwner checks ownership in the handler, which loads the item
// anyway, instead of resolving it twice. A missing item is answered with
// NotFound, so that bob cannot tell it from alice's item.
func ExampleCheckOwner() {
	get := func(w http.ResponseWriter, r *http.Request) {
		it, ok := items[r.PathValue("id")]
		if !ok {
			apierrors.Write(w, r, authz.NotFound(r))
			return
		}
		if err := authz.CheckOwner(r, it.Owner); err != nil {
			apierrors.Write(w, r, err)
			return
		}
		fmt.Fprint(w, it.Name)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /v1/items/{id}", authz.Require(authz.AllScopes("items:read"))(http.HandlerFunc(get)))
	handler := apierrors.Recover(demoAuth(mux))

	for _, c := range []struct{ token, id string }{{"alice", "1"}, {"bob", "1"}, {"bob", "9"}} {
		req := httptest.NewRequest("GET", "/v1/items/"+c.id, nil)
		req.Header.Set("Authorization", "Bearer "+c.token)
		w := httptest.NewRecorder()
		handler.ServeHTTP(w, req)
		fmt.Println(c.token, c.id, w.Code)
	}
	// Output:
	// alice 1 200
	// bob 1 404
	// bob 9 404
}

// ExampleWildcardScopes opts one rule in to wildcard scopes.
func ExampleWildcardScopes() {
	rule := authz.AllScopes("items:read").Matching(authz.WildcardScopes)
	p := &auth.Principal{Subject: "svc", Scopes: []string{"items:*"}}
	req := httptest.NewRequest("GET", "/", nil)
	req = req.WithContext(auth.NewContext(req.Context(), p))
	fmt.Println(authz.Check(req, rule) == nil)
	fmt.Println(authz.Check(req, authz.AllScopes("items:read")) == nil)
	// Output:
	// true
	// false
}
