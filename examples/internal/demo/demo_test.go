package demo

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	apierrors "github.com/apishield/apishield/errors"
)

// The handlers read {id} through the router's ParamFunc, and the Owner
// resolver through its own, so one store serves every router.
func TestParamFuncs(t *testing.T) {
	fromHeader := func(r *http.Request, name string) string { return r.Header.Get("X-" + name) }
	s := NewStore(fromHeader)

	r := httptest.NewRequest("GET", "/v1/items/999", nil) // the path says 999
	r.Header.Set("X-id", "1")                             // the router says 1
	w := httptest.NewRecorder()
	s.Get(w, r)
	if w.Code != http.StatusOK {
		t.Fatalf("Get through the ParamFunc: status %d, want 200", w.Code)
	}

	owner := s.OwnerOf(nil) // r.PathValue
	r.SetPathValue("id", "1")
	if got, err := owner(r); err != nil || got != "demo-user" {
		t.Fatalf("OwnerOf(nil) of item 1: %q, %v", got, err)
	}
	for _, id := range []string{"999", "abc", ""} {
		r.SetPathValue("id", id)
		_, err := owner(r)
		var p *apierrors.Problem
		if !errors.As(err, &p) || p.Status != http.StatusNotFound {
			t.Errorf("OwnerOf(nil) of %q: %v, want a 404 problem", id, err)
		}
	}
}

// A validated body becomes an item owned by nobody until Create sets the
// caller; Delete answers 404 for an ID it does not hold.
func TestCreateDelete(t *testing.T) {
	v, err := NewValidators(nil)
	if err != nil {
		t.Fatal(err)
	}
	s := NewStore(nil)
	h := http.NewServeMux()
	h.Handle("POST /v1/items", v.Create.Handler(http.HandlerFunc(s.Create)))
	h.Handle("DELETE /v1/items/{id}", v.ID.Handler(http.HandlerFunc(s.Delete)))
	for _, tc := range []struct {
		method, target, body string
		want                 int
	}{
		{"POST", "/v1/items", `{"name":"pen","price":3,"tags":["a"]}`, http.StatusCreated},
		{"POST", "/v1/items", `{"name":"pen","price":3,"owner":"me"}`, http.StatusUnprocessableEntity},
		{"DELETE", "/v1/items/2", "", http.StatusOK},
		{"DELETE", "/v1/items/2", "", http.StatusNotFound},
		{"DELETE", "/v1/items/abc", "", http.StatusUnprocessableEntity},
	} {
		r := httptest.NewRequest(tc.method, tc.target, nil)
		if tc.body != "" {
			r = httptest.NewRequest(tc.method, tc.target, strings.NewReader(tc.body))
			r.Header.Set("Content-Type", "application/json")
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != tc.want {
			t.Errorf("%s %s %s: status %d, want %d; body %s", tc.method, tc.target, tc.body, w.Code, tc.want, w.Body)
		}
	}
}
