package main

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	apierrors "github.com/apishield/apishield/errors"
	"github.com/apishield/apishield/validate"
)

// The Owner resolver reads {id} through the router's accessor, before the
// route's validator runs, and checks it with that validator first: every
// JSON form of an integer names the same item, a malformed ID is the
// validator's 422 in path at /id, and a well-formed one of no item a 404.
func TestOwnerOf(t *testing.T) {
	t.Parallel()
	s := newItemStore()
	fromHeader := func(r *http.Request, name string) string { return r.Header.Get("X-" + name) }
	for _, tc := range []struct {
		name  string
		param pathValueFunc
		set   func(r *http.Request, id string)
	}{
		{"pathValueFunc", fromHeader, func(r *http.Request, id string) { r.Header.Set("X-id", id) }},
		{"r.PathValue", nil, func(r *http.Request, id string) { r.SetPathValue("id", id) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			v, err := newItemValidators(tc.param)
			if err != nil {
				t.Fatal(err)
			}
			owner := s.ownerOf(v.id)
			for _, id := range []string{"1", "1e0", "1.0", "10e-1"} {
				r := httptest.NewRequest("GET", "/v1/items/999", nil) // the path is not what counts
				tc.set(r, id)
				if got, err := owner(r); err != nil || got != "demo-user" {
					t.Errorf("owner of item %q: %q, %v; want demo-user", id, got, err)
				}
			}
			for id, want := range map[string]int{
				"999": 404, "abc": 422, "": 422, "+1": 422, "01": 422, "1.5": 422, " 1": 422, "1e19": 422, "0": 422,
			} {
				r := httptest.NewRequest("GET", "/v1/items/1", nil)
				tc.set(r, id)
				_, err := owner(r)
				var p *apierrors.Problem
				if !errors.As(err, &p) || p.Status != want || (want == 422 && (len(p.Errors) != 1 || p.Errors[0].In != apierrors.InPath || p.Errors[0].Pointer != "/id")) {
					t.Errorf("owner of item %q: %v, want a %d problem", id, err, want)
				}
			}
		})
	}
}

// itemRoutes wires the store's handlers behind their validators on a ServeMux.
func itemRoutes(t *testing.T, s *itemStore) http.Handler {
	t.Helper()
	v, err := newItemValidators(nil)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /v1/items", v.list.Handler(http.HandlerFunc(s.list)))
	mux.Handle("POST /v1/items", v.create.Handler(http.HandlerFunc(s.create)))
	mux.Handle("GET /v1/items/{id}", v.id.Handler(http.HandlerFunc(s.get)))
	mux.Handle("DELETE /v1/items/{id}", v.id.Handler(http.HandlerFunc(s.remove)))
	return apierrors.Recover(mux)
}

func serveItem(h http.Handler, method, target, body string) *httptest.ResponseRecorder {
	var r *http.Request
	if body != "" {
		r = httptest.NewRequest(method, target, strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
	} else {
		r = httptest.NewRequest(method, target, nil)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// The handlers behind their validators: a created item has no owner until
// auth names one, IDs are read in any integer form, and a price no float64
// holds never reaches the store.
func TestHandlers(t *testing.T) {
	t.Parallel()
	h := itemRoutes(t, newItemStore())
	for _, tc := range []struct {
		method, target, body string
		want                 int
		contains             string
	}{
		{"POST", "/v1/items", `{"name":"pen","price":3,"tags":["a"]}`, http.StatusCreated, `"id":2,"name":"pen","price":3,"tags":["a"]}`},
		{"POST", "/v1/items", `{"name":"pen","price":3,"owner":"me"}`, http.StatusUnprocessableEntity, `"/owner"`},
		{"POST", "/v1/items", `{"name":"pen","price":1e400}`, http.StatusUnprocessableEntity, `"/price"`},
		{"GET", "/v1/items/1e0", "", http.StatusOK, `"id":1,`},
		{"GET", "/v1/items/1.5", "", http.StatusUnprocessableEntity, `"in":"path","pointer":"/id"`},
		{"GET", "/v1/items/1e19", "", http.StatusUnprocessableEntity, `"in":"path","pointer":"/id"`},
		{"DELETE", "/v1/items/2.0", "", http.StatusOK, `{"deleted":2}`},
		{"DELETE", "/v1/items/2", "", http.StatusNotFound, `"not_found"`},
		{"DELETE", "/v1/items/abc", "", http.StatusUnprocessableEntity, `"in":"path","pointer":"/id"`},
		{"GET", "/v1/items?limit=1e1", "", http.StatusOK, `"items":[]`}, // no principal: no items of its own
		{"GET", "/v1/items?limit=1.5", "", http.StatusUnprocessableEntity, `"in":"query","pointer":"/limit"`},
	} {
		w := serveItem(h, tc.method, tc.target, tc.body)
		if w.Code != tc.want || !strings.Contains(w.Body.String(), tc.contains) {
			t.Errorf("%s %s %s: status %d body %s; want %d containing %s", tc.method, tc.target, tc.body, w.Code, w.Body, tc.want, tc.contains)
		}
	}
}

// TestPaging walks the owner's items page by page with every form of a
// limit the validator lets through.
func TestPaging(t *testing.T) {
	t.Parallel()
	s := newItemStore()
	for range 4 {
		s.add(item{Name: "x", Owner: "demo-user"})
	}
	s.add(item{Name: "not hers", Owner: "someone-else"})
	for _, tc := range []struct {
		limit, after int
		want         []int64
		next         int64
		more         bool
	}{
		{2, 0, []int64{1, 2}, 2, true},
		{2, 2, []int64{3, 4}, 4, true},
		{2, 4, []int64{5}, 0, false},
		{10, 0, []int64{1, 2, 3, 4, 5}, 0, false},
		{5, 0, []int64{1, 2, 3, 4, 5}, 0, false},
		{1, 999999999, nil, 0, false},
	} {
		out, next, more := s.page("demo-user", int64(tc.after), tc.limit)
		var ids []int64
		for _, it := range out {
			ids = append(ids, it.ID)
		}
		if !slices.Equal(ids, tc.want) || next != tc.next || more != tc.more {
			t.Errorf("page(limit %d, after %d) = %v, %d, %v; want %v, %d, %v", tc.limit, tc.after, ids, next, more, tc.want, tc.next, tc.more)
		}
	}
}

// TestListDistrustsWiring: behind a looser query schema than the demo's,
// a limit the store cannot serve is a 422, never a panic under its lock.
func TestListDistrustsWiring(t *testing.T) {
	t.Parallel()
	loose := validate.MustNew(validate.Config{Query: []byte(`{"type":"object","additionalProperties":false,
	  "properties":{"limit":{"type":"integer"},"cursor":{"type":"string"}}}`)})
	s := newItemStore()
	h := apierrors.Recover(loose.Handler(http.HandlerFunc(s.list)))
	for _, q := range []string{"limit=0", "limit=-1", "limit=1000", "cursor=abc", "cursor=-5"} {
		if w := serveItem(h, "GET", "/v1/items?"+q, ""); w.Code != http.StatusUnprocessableEntity {
			t.Errorf("?%s: status %d, want 422; %s", q, w.Code, w.Body)
		}
	}
	if w := serveItem(h, "GET", "/v1/items?limit=5", ""); w.Code != http.StatusOK {
		t.Errorf("the store is stuck or broken after the refusals: status %d", w.Code)
	}
}

// TestHandlersNeedTheirValidators: a handler wired without its validator
// answers 500 (a wiring mistake, logged) instead of parsing the raw
// request; List without one uses its defaults and reads nothing.
func TestHandlersNeedTheirValidators(t *testing.T) {
	t.Parallel()
	s := newItemStore()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/items", s.list)
	mux.HandleFunc("POST /v1/items", s.create)
	mux.HandleFunc("GET /v1/items/{id}", s.get)
	mux.HandleFunc("DELETE /v1/items/{id}", s.remove)
	h := apierrors.Recover(mux)
	for _, tc := range []struct {
		method, target, body string
		want                 int
	}{
		{"POST", "/v1/items", `{"name":"pen","price":3}`, http.StatusInternalServerError},
		{"GET", "/v1/items/1", "", http.StatusInternalServerError},
		{"DELETE", "/v1/items/1", "", http.StatusInternalServerError},
		{"GET", "/v1/items?limit=1e1", "", http.StatusOK},
	} {
		if w := serveItem(h, tc.method, tc.target, tc.body); w.Code != tc.want {
			t.Errorf("%s %s: status %d, want %d; %s", tc.method, tc.target, w.Code, tc.want, w.Body)
		}
	}
	if _, ok := s.lookup(1); !ok {
		t.Error("item 1 was deleted through an unvalidated route")
	}
}

// TestWriteJSONRefusesWhatItCannotEncode: a value encoding/json refuses
// becomes a 500 problem, not a 200 with an empty body.
func TestWriteJSONRefusesWhatItCannotEncode(t *testing.T) {
	t.Parallel()
	w := httptest.NewRecorder()
	writeJSON(w, httptest.NewRequest("GET", "/", nil), http.StatusOK, map[string]any{"bad": make(chan int)})
	if w.Code != http.StatusInternalServerError || w.Header().Get("Content-Type") != "application/problem+json" {
		t.Errorf("status %d, Content-Type %q; want a 500 problem", w.Code, w.Header().Get("Content-Type"))
	}
}
