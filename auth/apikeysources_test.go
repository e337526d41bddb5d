package auth_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/apishield/apishield/auth"
)

// TestAPIKeySources covers Config.APIKeyHeader, APIKeyQuery and
// APIKeyCookie: a key is read from each configured place, and a request
// with a key in two places, or a key beside an Authorization header, is
// refused as ambiguous.
func TestAPIKeySources(t *testing.T) {
	t.Parallel()
	keys, key, _ := newAPIKeys(t)
	m, err := auth.New(auth.Config{Authenticators: []auth.Authenticator{keys}, AllowAnonymous: true,
		APIKeyHeader: "x-key", APIKeyQuery: "api_key", APIKeyCookie: "key"})
	if err != nil {
		t.Fatal(err)
	}
	h := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := auth.FromContext(r.Context())
		if !ok {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		w.Header().Set("Subject", p.Subject)
	}))
	cases := []struct {
		name   string
		set    func(r *http.Request)
		status int
	}{
		{"none", func(*http.Request) {}, http.StatusNoContent},
		{"X-API-Key", func(r *http.Request) { r.Header.Set("X-API-Key", key) }, 200},
		{"configured header", func(r *http.Request) { r.Header.Set("X-Key", key) }, 200},
		{"query", func(r *http.Request) { r.URL.RawQuery = "api_key=" + key }, 200},
		{"cookie", func(r *http.Request) { r.AddCookie(&http.Cookie{Name: "key", Value: key}) }, 200},
		{"other query parameter", func(r *http.Request) { r.URL.RawQuery = "apikey=" + key }, http.StatusNoContent},
		{"header and query", func(r *http.Request) {
			r.Header.Set("X-Key", key)
			r.URL.RawQuery = "api_key=" + key
		}, 401},
		{"X-API-Key and cookie", func(r *http.Request) {
			r.Header.Set("X-API-Key", key)
			r.AddCookie(&http.Cookie{Name: "key", Value: key})
		}, 401},
		{"query twice", func(r *http.Request) { r.URL.RawQuery = "api_key=" + key + "&api_key=" + key }, 401},
		{"header twice", func(r *http.Request) {
			r.Header.Add("X-Key", key)
			r.Header.Add("X-Key", key)
		}, 401},
		{"query key and Authorization", func(r *http.Request) {
			r.URL.RawQuery = "api_key=" + key
			r.Header.Set("Authorization", "Bearer abc")
		}, 401},
		{"empty query key", func(r *http.Request) { r.URL.RawQuery = "api_key=" }, 401},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/items", nil)
			tc.set(r)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != tc.status {
				t.Fatalf("status = %d, want %d; body %s", w.Code, tc.status, w.Body)
			}
			if tc.status == 200 && w.Header().Get("Subject") != "billing-service" {
				t.Errorf("subject = %q, want billing-service", w.Header().Get("Subject"))
			}
		})
	}
}

// TestAPIKeySourcesDefault shows the default is unchanged: without the
// options a query parameter or cookie named like a key is not read.
func TestAPIKeySourcesDefault(t *testing.T) {
	t.Parallel()
	keys, key, _ := newAPIKeys(t)
	m, err := auth.New(auth.Config{Authenticators: []auth.Authenticator{keys}, AllowAnonymous: true})
	if err != nil {
		t.Fatal(err)
	}
	h := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := auth.FromContext(r.Context()); ok {
			t.Error("a key outside X-API-Key was read without configuration")
		}
	}))
	r := httptest.NewRequest("GET", "/items?api_key="+key, nil)
	r.AddCookie(&http.Cookie{Name: "key", Value: key})
	h.ServeHTTP(httptest.NewRecorder(), r)
}

func TestAPIKeySourcesConfig(t *testing.T) {
	t.Parallel()
	keys, _, _ := newAPIKeys(t)
	cases := []struct {
		name string
		cfg  auth.Config
	}{
		{"header not a token", auth.Config{APIKeyHeader: "x key"}},
		{"query not a token", auth.Config{APIKeyQuery: "a=b"}},
		{"cookie not a token", auth.Config{APIKeyCookie: "a;b"}},
		{"cookie same as bearer cookie", auth.Config{APIKeyCookie: "session", Cookie: "session"}},
		{"Authorization header", auth.Config{APIKeyHeader: "authorization"}},
		{"access_token query", auth.Config{APIKeyQuery: "access_token"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.cfg.Authenticators = []auth.Authenticator{keys}
			if _, err := auth.New(tc.cfg); !errors.Is(err, auth.ErrInvalidConfig) {
				t.Errorf("New = %v, want ErrInvalidConfig", err)
			}
		})
	}
}
