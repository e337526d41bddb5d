package errors_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/go-chi/chi/v5"

	apierrors "github.com/apishield/apishield/errors"
)

func TestMux(t *testing.T) {
	t.Parallel()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/items", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("[]")) })
	mux.HandleFunc("POST /v1/items", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(201) })
	mux.HandleFunc("GET /v1/gone", func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) })
	mux.HandleFunc("GET /docs/", func(w http.ResponseWriter, r *http.Request) {})
	h := apierrors.Recover(apierrors.Mux(mux))

	tests := []struct {
		name, method, path string
		wantStatus         int
		wantReason         string
		wantAllow          string
		wantBody           string
	}{
		{"matched", "GET", "/v1/items", 200, "", "", "[]"},
		{"matched post", "POST", "/v1/items", 201, "", "", ""},
		{"unknown route", "GET", "/nope", 404, "not_found", "", ""},
		{"wrong method", "DELETE", "/v1/items", 405, "method_not_allowed", "GET, HEAD, POST", ""},
		{"redirect passes through", "GET", "/docs", http.StatusTemporaryRedirect, "", "", ""},
		// A handler's own http.NotFound is the application's business.
		{"handler's own 404", "GET", "/v1/gone", 404, "", "", "404 page not found\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rr := serve(h, httptest.NewRequest(tt.method, tt.path, nil))
			if rr.Code != tt.wantStatus {
				t.Fatalf("status = %d, want %d", rr.Code, tt.wantStatus)
			}
			if got := rr.Header().Get("Allow"); got != tt.wantAllow {
				t.Errorf("Allow = %q, want %q", got, tt.wantAllow)
			}
			if tt.wantReason == "" {
				if tt.wantBody != "" && rr.Body.String() != tt.wantBody {
					t.Errorf("body = %q, want %q", rr.Body.String(), tt.wantBody)
				}
				return
			}
			checkErrorHeaders(t, rr, "application/problem+json")
			if b := decode(t, rr); b.Reason != tt.wantReason || b.Status != tt.wantStatus {
				t.Errorf("body = %+v", b)
			}
		})
	}
}

func TestChi(t *testing.T) {
	t.Parallel()
	r := chi.NewRouter()
	r.Use(apierrors.Recover)
	r.NotFound(apierrors.NotFound)
	r.MethodNotAllowed(apierrors.MethodNotAllowed)
	r.Get("/v1/items", func(w http.ResponseWriter, r *http.Request) {})
	r.Put("/v1/items", func(w http.ResponseWriter, r *http.Request) {})

	rr := serve(r, httptest.NewRequest("GET", "/missing", nil))
	if b := decode(t, rr); rr.Code != 404 || b.Reason != "not_found" {
		t.Errorf("unknown route: %d %+v", rr.Code, b)
	}
	checkErrorHeaders(t, rr, "application/problem+json")

	rr = serve(r, httptest.NewRequest("DELETE", "/v1/items", nil))
	if b := decode(t, rr); rr.Code != 405 || b.Reason != "method_not_allowed" {
		t.Errorf("wrong method: %d %+v", rr.Code, b)
	}
	if got := rr.Header().Get("Allow"); got != "GET, PUT" {
		t.Errorf("405 from chi: Allow = %q, want %q", got, "GET, PUT")
	}
	checkErrorHeaders(t, rr, "application/problem+json")
}

func TestMethodNotAllowedDoesNotEchoOddMethods(t *testing.T) {
	t.Parallel()
	req := httptest.NewRequest("GET", "/", nil)
	req.Method = "<script>"
	rr := httptest.NewRecorder()
	apierrors.MethodNotAllowed(rr, req)
	if b := decode(t, rr); b.Detail != "The resource does not support the requested method." {
		t.Errorf("detail = %q", b.Detail)
	}
}
