package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/mux"

	"github.com/apishield/apishield/audit"
	"github.com/apishield/apishield/authz"
)

// syncBuffer is a bytes.Buffer the auditor's writer and the test can share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// testHandler is the example's full stack, in process, with its audit
// events in the returned buffer (complete once flush is called).
func testHandler(t *testing.T) (h http.Handler, events *syncBuffer, flush func()) {
	t.Helper()
	logger := slog.New(slog.NewJSONHandler(io.Discard, nil))
	dev, err := newDevIssuer("http://127.0.0.1", audience)
	if err != nil {
		t.Fatal(err)
	}
	events = &syncBuffer{}
	aud, err := audit.New(audit.Config{Handlers: []slog.Handler{audit.NewJSONHandler(events, nil)}})
	if err != nil {
		t.Fatal(err)
	}
	flush = func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := aud.Close(ctx); err != nil {
			t.Errorf("closing the auditor: %v", err)
		}
	}
	if h, err = newHandler(context.Background(), logger, dev, aud); err != nil {
		t.Fatal(err)
	}
	return h, events, flush
}

// TestAuditNamesGorillaRoute: the auditor wraps the router from outside,
// where gorilla's match is invisible; the route template still reaches the
// event through route.Func (matchedRoute), which asks the router before it
// runs, also for a request that auth refuses before the policy runs.
func TestAuditNamesGorillaRoute(t *testing.T) {
	t.Parallel()
	h, events, flush := testHandler(t)
	req := httptest.NewRequest(http.MethodGet, "/v1/items/1", nil)
	req.Header.Set("Authorization", "Bearer not-a-token")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusUnauthorized {
		t.Fatalf("status %d, body %s", rec.Code, rec.Body)
	}
	flush()
	if out := events.String(); !strings.Contains(out, `"GET /v1/items/{id}"`) {
		t.Errorf("audit event lacks the route template:\n%s", out)
	}
}

// TestUnknownRoutesOutsideRouterMiddleware: gorilla runs no r.Use
// middleware for a request that matches no route, so the layers wrapped
// around the router must still answer it: a problem with a request ID, an
// audit event, and the per-IP limit, which refuses a scan of unknown paths.
func TestUnknownRoutesOutsideRouterMiddleware(t *testing.T) {
	t.Parallel()
	h, events, flush := testHandler(t)
	var got429 bool
	for i := range 200 {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/v1/nope", nil))
		if ct := rec.Header().Get("Content-Type"); ct != "application/problem+json" || rec.Header().Get("X-Request-ID") == "" {
			t.Fatalf("request %d: status %d, Content-Type %q, X-Request-ID %q", i, rec.Code, ct, rec.Header().Get("X-Request-ID"))
		}
		if rec.Code == http.StatusTooManyRequests {
			got429 = true
			break
		}
		if rec.Code != http.StatusNotFound {
			t.Fatalf("request %d: status %d, want 404 or 429", i, rec.Code)
		}
	}
	if !got429 {
		t.Error("200 requests for an unknown path from one IP were never rate limited")
	}
	flush()
	if out := events.String(); !strings.Contains(out, "/v1/nope") {
		t.Errorf("no audit event for the unknown path:\n%s", out)
	}
}

// TestForgottenRouteStopsStartup: a route registered on the router without
// a policy entry fails newPolicy, through the Walk of the router.
func TestForgottenRouteStopsStartup(t *testing.T) {
	t.Parallel()
	r := mux.NewRouter()
	r.HandleFunc("/healthz", healthz).Methods(http.MethodGet)
	r.HandleFunc("/v1/forgotten", healthz).Methods(http.MethodPost)
	v, err := newItemValidators(pathParam)
	if err != nil {
		t.Fatal(err)
	}
	_, err = newPolicy(r, newItemStore(), v, slog.New(slog.NewJSONHandler(io.Discard, nil)))
	if !errors.Is(err, authz.ErrUnprotected) || !strings.Contains(err.Error(), "POST /v1/forgotten") {
		t.Fatalf("err = %v, want ErrUnprotected naming POST /v1/forgotten", err)
	}
}

// TestPathValidatorReadsMuxVars: the path schema sees gorilla's {id}, which
// r.PathValue does not; an id the schema refuses never reaches the handler.
func TestPathValidatorReadsMuxVars(t *testing.T) {
	t.Parallel()
	v, err := newItemValidators(pathParam)
	if err != nil {
		t.Fatal(err)
	}
	reached := false
	r := mux.NewRouter()
	r.Handle("/x/{id}", v.id.Handler(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		reached = true
	})))
	for path, want := range map[string]int{"/x/7": http.StatusOK, "/x/0": http.StatusUnprocessableEntity, "/x/abc": http.StatusUnprocessableEntity} {
		reached = false
		rec := httptest.NewRecorder()
		r.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		if rec.Code != want || reached != (want == http.StatusOK) {
			t.Errorf("%s: status %d, handler reached %v; want %d", path, rec.Code, reached, want)
		}
	}
}

// TestMethodNotAllowedListsAllow: gorilla sets no Allow header on a 405;
// the example's handler adds the methods the path's routes accept.
func TestMethodNotAllowedListsAllow(t *testing.T) {
	t.Parallel()
	h, _, flush := testHandler(t)
	defer flush()
	for path, want := range map[string]string{"/v1/items": "GET, POST", "/v1/admin/items/1": "DELETE", "/healthz": "GET"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPut, path, nil))
		if rec.Code != http.StatusMethodNotAllowed || rec.Header().Get("Allow") != want {
			t.Errorf("PUT %s: status %d, Allow %q; want 405 with Allow %q", path, rec.Code, rec.Header().Get("Allow"), want)
		}
	}
}
