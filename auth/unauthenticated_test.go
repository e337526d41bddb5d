package auth_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/apishield/apishield/auth"
	apierrors "github.com/apishield/apishield/errors"
)

// TestUnauthenticatedProblem: a request let through as anonymous carries
// the very problem the middleware refuses a request without credentials
// with; each call returns a copy; without the middleware the problem is
// the RFC 6750 default.
func TestUnauthenticatedProblem(t *testing.T) {
	t.Parallel()
	a, _, _ := newAPIKeys(t)
	cfg := auth.Config{Authenticators: []auth.Authenticator{a}, Realm: "items"}
	strict, err := auth.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	cfg.AllowAnonymous = true
	anon, err := auth.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var got *apierrors.Problem
	h := anon.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = auth.UnauthenticatedProblem(r.Context())
		got.Header.Set("WWW-Authenticate", "tampered")
		got = auth.UnauthenticatedProblem(r.Context())
	}))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	w := httptest.NewRecorder()
	strict.Handler(http.NotFoundHandler()).ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
	if got == nil || got.Status != w.Code || got.Reason != apierrors.ReasonUnauthenticated ||
		got.Detail != "No credentials were presented." || got.Header.Get("WWW-Authenticate") != w.Header().Get("WWW-Authenticate") {
		t.Fatalf("got %+v, want the problem behind %d %q %s", got, w.Code, w.Header().Get("WWW-Authenticate"), w.Body)
	}
	if c := got.Header.Get("WWW-Authenticate"); c != `ApiKey realm="items"` {
		t.Errorf("got challenge %q, want ApiKey realm=\"items\"", c)
	}

	fb := auth.UnauthenticatedProblem(context.Background())
	if fb.Status != http.StatusUnauthorized || fb.Reason != apierrors.ReasonUnauthenticated || fb.Header.Get("WWW-Authenticate") != `Bearer realm="api"` {
		t.Errorf("without the middleware: got %+v", fb)
	}
}
