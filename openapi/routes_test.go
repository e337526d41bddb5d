package openapi

import (
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"
	"github.com/gorilla/mux"
)

// routeDoc is a document of the given operations ("METHOD path" or
// "METHOD path id") under the given bases.
func routeDoc(bases []string, ops ...string) *Contract {
	doc := &document{bases: bases}
	for _, o := range ops {
		f := strings.Fields(o)
		op := &operation{method: f[0], path: f[1]}
		if len(f) > 2 {
			op.id = f[2]
		}
		doc.ops = append(doc.ops, op)
	}
	return &Contract{doc: doc}
}

// mismatch returns the lists of a *RouteMismatchError, or fails.
func mismatch(t *testing.T, err error) (unserved, undeclared []string) {
	t.Helper()
	if err == nil {
		return nil, nil
	}
	var me *RouteMismatchError
	if !errors.As(err, &me) || !errors.Is(err, ErrRouteMismatch) {
		t.Fatalf("got %v (%T), want a *RouteMismatchError wrapping ErrRouteMismatch", err, err)
	}
	return me.Unserved, me.Undeclared
}

func TestCheckRoutes(t *testing.T) {
	t.Parallel()
	api := []string{
		"GET /items listItems",
		"POST /items createItem",
		"GET /items/{id} getItem",
		"DELETE /items/{id}",
		"GET /reports/{name}.{format}",
		"GET /files/{path} getFile",
		"GET /files/{dir}/meta",
		"GET /",
		"GET /trailing/",
	}
	for _, c := range []struct {
		name       string
		bases      []string
		ops        []string
		routes     []string
		unserved   []string
		undeclared []string
	}{
		{
			name: "ServeMux, exact",
			ops:  api,
			routes: []string{"GET /items", "POST /items", "GET /items/{itemID}", "DELETE /items/{id}",
				"GET /reports/{n}.{f}", "GET /files/{p}", "GET /files/{d}/meta", "GET /{$}", "GET /trailing/"},
		},
		{
			name:   "ServeMux, host and blanks",
			ops:    []string{"GET /items listItems"},
			routes: []string{"GET \t api.example.com/items"},
		},
		{
			name: "both directions, sorted",
			ops:  api,
			routes: []string{"GET /items", "GET /items/{id}", "PUT /items/{id}", "GET /reports/{n}.{f}",
				"GET /files/{p}", "GET /files/{d}/meta", "GET /", "GET /trailing/", "GET /debug"},
			unserved:   []string{"DELETE /items/{id}", "createItem (POST /items)"},
			undeclared: []string{"GET /debug", "PUT /items/{id}"},
		},
		{
			name:   "parameter against literal and literal against parameter",
			ops:    []string{"GET /items/{id}", "GET /users/me"},
			routes: []string{"GET /items/new", "GET /users/{id}"},
			// A route for a literal does not serve a template, nor the
			// other way round: each one would answer requests the other
			// does not.
			unserved:   []string{"GET /items/{id}", "GET /users/me"},
			undeclared: []string{"GET /items/new", "GET /users/{id}"},
		},
		{
			name:       "mixed segments compare their literals",
			ops:        []string{"GET /r/{name}.{format}", "GET /s/{name}.json"},
			routes:     []string{"GET /r/{name}.json", "GET /r/{name}-{format}", "GET /s/{n}.{f}"},
			unserved:   []string{"GET /r/{name}.{format}", "GET /s/{name}.json"},
			undeclared: []string{"GET /r/{name}-{format}", "GET /r/{name}.json", "GET /s/{n}.{f}"},
		},
		{
			// ServeMux cannot spell a mixed segment.
			name:     "a lone parameter covers a mixed segment, not a literal",
			ops:      []string{"GET /r/{name}.{format}", "GET /r/index.html"},
			routes:   []string{"GET /r/{file}"},
			unserved: []string{"GET /r/index.html"},
		},
		{
			name:   "method-less route covers every operation of its path",
			ops:    []string{"GET /items", "POST /items", "GET /items/{id}"},
			routes: []string{"/items", "* /items/{id}"},
		},
		{
			name:       "method-less route of no operation",
			ops:        []string{"GET /items"},
			routes:     []string{"/items", "/other"},
			undeclared: []string{"/other"},
		},
		{
			name:   "GET serves HEAD",
			ops:    []string{"GET /items", "HEAD /items"},
			routes: []string{"GET /items"},
		},
		{
			name:       "HEAD does not serve GET",
			ops:        []string{"GET /items"},
			routes:     []string{"HEAD /items"},
			unserved:   []string{"GET /items"},
			undeclared: []string{"HEAD /items"},
		},
		{
			name:   "bases prefix every operation",
			bases:  []string{"/v1", "/v2"},
			ops:    []string{"GET /items", "GET /items/{id}", "GET /"},
			routes: []string{"GET /v1/items", "GET /v2/items/{id}", "GET /v1/{$}"},
		},
		{
			name:       "a route outside every base",
			bases:      []string{"/v1"},
			ops:        []string{"GET /items"},
			routes:     []string{"GET /items", "GET /v1/items"},
			undeclared: []string{"GET /items"},
		},
		{
			name:   "ServeMux wildcard matches a last parameter",
			ops:    []string{"GET /files/{path}"},
			routes: []string{"GET /files/{path...}"},
		},
		{
			name:       "ServeMux wildcard does not match a literal or a longer template",
			ops:        []string{"GET /files/readme", "GET /files/{dir}/meta", "GET /files/{name}.txt"},
			routes:     []string{"GET /files/{path...}"},
			unserved:   []string{"GET /files/readme", "GET /files/{dir}/meta", "GET /files/{name}.txt"},
			undeclared: []string{"GET /files/{path...}"},
		},
		{
			name:   "chi wildcard and regular expressions",
			ops:    []string{"GET /files/{path}", "GET /items/{id}", "GET /codes/{code}"},
			routes: []string{"GET /files/*", "GET /items/{id:[0-9]+}", "GET /codes/{c:[A-Z]{3}}"},
		},
		{
			name:       "trailing slash is a segment",
			ops:        []string{"GET /items", "GET /dir/"},
			routes:     []string{"GET /items/", "GET /dir"},
			unserved:   []string{"GET /dir/", "GET /items"},
			undeclared: []string{"GET /dir", "GET /items/"},
		},
		{
			name:     "no routes at all",
			ops:      []string{"GET /items listItems"},
			unserved: []string{"listItems (GET /items)"},
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			unserved, undeclared := mismatch(t, routeDoc(c.bases, c.ops...).CheckRoutes(c.routes...))
			if !slices.Equal(unserved, c.unserved) {
				t.Errorf("Unserved: got %q, want %q", unserved, c.unserved)
			}
			if !slices.Equal(undeclared, c.undeclared) {
				t.Errorf("Undeclared: got %q, want %q", undeclared, c.undeclared)
			}
		})
	}
}

func TestCheckRoutesBadRoute(t *testing.T) {
	t.Parallel()
	c := routeDoc(nil, "GET /items")
	for _, r := range []string{
		"GET items",
		"GET",
		"",
		"GET /items/{id",
		"GET /items/id}",
		"GET /items/{}",
		"GET /files/{p...}/meta",
		"GET /files/*/meta",
		"GET /files/x{p...}",
		"GET /a/{$}/b",
		"GET /a/{x}{y}",
	} {
		err := c.CheckRoutes("GET /items", r)
		if err == nil || errors.Is(err, ErrRouteMismatch) || !strings.Contains(err.Error(), "openapi: route ") {
			t.Errorf("CheckRoutes(%q): got %v, want an error naming the route", r, err)
		}
	}
}

func TestRouteMismatchErrorMessage(t *testing.T) {
	t.Parallel()
	err := routeDoc(nil, "GET /items listItems", "GET /a", "GET /b").CheckRoutes("GET /a", "GET /c")
	want := "openapi: routes and operations do not match; 2 operations served by no route: " +
		"GET /b, listItems (GET /items); 1 route not in the document: GET /c"
	if err == nil || err.Error() != want {
		t.Errorf("got %v\nwant %s", err, want)
	}
}

func TestCheckChi(t *testing.T) {
	t.Parallel()
	c := routeDoc([]string{"/v1"},
		"GET /items listItems", "POST /items createItem", "GET /items/{id} getItem",
		"HEAD /items/{id} headItem", "GET /files/{path}", "GET /any", "POST /any",
		"GET /sub/{id}", "DELETE /forgotten")
	h := http.NotFoundHandler()
	r := chi.NewRouter()
	r.Route("/v1", func(r chi.Router) {
		r.Get("/items", h.ServeHTTP)
		r.Post("/items", h.ServeHTTP)
		r.Get("/items/{itemID:[0-9]+}", h.ServeHTTP)
		r.Get("/files/*", h.ServeHTTP)
		r.Handle("/any", h)
		sub := chi.NewRouter()
		sub.Get("/{id}", h.ServeHTTP)
		r.Mount("/sub", sub)
		r.Get("/debug", h.ServeHTTP)
	})
	unserved, undeclared := mismatch(t, c.CheckChi(r))
	// chi does not answer HEAD with GET: the HEAD operation is unserved.
	if want := []string{"DELETE /forgotten", "headItem (HEAD /items/{id})"}; !slices.Equal(unserved, want) {
		t.Errorf("Unserved: got %q, want %q", unserved, want)
	}
	if want := []string{"GET /v1/debug"}; !slices.Equal(undeclared, want) {
		t.Errorf("Undeclared: got %q, want %q", undeclared, want)
	}
}

func TestCollapseChi(t *testing.T) {
	t.Parallel()
	all := chiMethods()
	if !slices.Contains(all, "GET") || !slices.Contains(all, "DELETE") {
		t.Fatalf("chi's methods: got %q", all)
	}
	var routes []string
	for _, m := range all {
		routes = append(routes, m+" /any")
	}
	routes = append(routes, "GET /one", "/star")
	got := collapseChi(routes)
	if want := []string{"/any", "GET /one", "/star"}; !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	// All but one method is not every method.
	got = collapseChi(routes[1:len(all)])
	if len(got) != len(all)-1 {
		t.Errorf("got %q, want the routes as they were", got)
	}
}

// gorillaRoutes collects a gorilla/mux router's routes as CheckRoutes
// takes them, as the package example shows.
func gorillaRoutes(t *testing.T, r *mux.Router) []string {
	t.Helper()
	var routes []string
	err := r.Walk(func(route *mux.Route, _ *mux.Router, _ []*mux.Route) error {
		if route.GetHandler() == nil {
			return nil // a PathPrefix or Host of a subrouter, which serves nothing itself
		}
		tpl, err := route.GetPathTemplate()
		if err != nil {
			return err
		}
		methods, err := route.GetMethods()
		if err != nil {
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
	return routes
}

func TestCheckGorilla(t *testing.T) {
	t.Parallel()
	c := routeDoc([]string{"/v1"}, "GET /items listItems", "POST /items", "GET /items/{id}",
		"GET /reports/{name}.{format}", "PUT /items/{id} replaceItem", "GET /all", "PATCH /all")
	h := http.NotFoundHandler()
	r := mux.NewRouter()
	v1 := r.PathPrefix("/v1").Subrouter()
	v1.Handle("/items", h).Methods("GET", "POST")
	v1.Handle("/items/{id:[0-9]+}", h).Methods("GET")
	v1.Handle("/reports/{name}.{format}", h).Methods("GET")
	v1.Handle("/all", h)
	v1.Handle("/admin", h).Methods("DELETE")
	unserved, undeclared := mismatch(t, c.CheckRoutes(gorillaRoutes(t, r)...))
	if want := []string{"replaceItem (PUT /items/{id})"}; !slices.Equal(unserved, want) {
		t.Errorf("Unserved: got %q, want %q", unserved, want)
	}
	if want := []string{"DELETE /v1/admin"}; !slices.Equal(undeclared, want) {
		t.Errorf("Undeclared: got %q, want %q", undeclared, want)
	}
}

func TestCheckServeMuxRegistered(t *testing.T) {
	t.Parallel()
	// The patterns are registered on a real ServeMux first, so the test
	// uses only patterns ServeMux accepts.
	patterns := []string{"GET /v1/items", "POST /v1/items", "GET /v1/items/{id}", "GET /v1/files/{p...}", "/v1/any", "GET /v1/{$}"}
	m := http.NewServeMux()
	for _, p := range patterns {
		m.Handle(p, http.NotFoundHandler())
	}
	c := routeDoc([]string{"/v1"}, "GET /items", "POST /items", "GET /items/{id}", "HEAD /items/{id}",
		"GET /files/{path}", "PUT /any", "GET /")
	if err := c.CheckRoutes(patterns...); err != nil {
		t.Errorf("got %v, want nil", err)
	}
}
