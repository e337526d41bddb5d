package deprecation_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/apishield/apishield/deprecation"
	"github.com/apishield/apishield/route"
)

// TestChi checks the chi wiring of the package doc: route entries keyed
// by chi's patterns, learned by route.Chi before chi routes.
func TestChi(t *testing.T) {
	t.Parallel()
	dep, err := deprecation.New(deprecation.Config{
		Routes: map[string]deprecation.Policy{
			"GET /v1/items/{id}": {Deprecated: depDate, Sunset: sunsetDate, Successor: "/v2/items"},
		},
		Now: func() time.Time { return sunsetDate },
	})
	if err != nil {
		t.Fatal(err)
	}
	r := chi.NewRouter()
	r.Use(route.Chi(r), dep.Handler)
	r.Get("/v1/items/{id}", func(w http.ResponseWriter, r *http.Request) {})
	r.Post("/v1/items/{id}", func(w http.ResponseWriter, r *http.Request) {})
	tests := []struct {
		name, method string
		want         int
		wantLink     string
	}{
		{"listed method past sunset", "GET", http.StatusGone, `</v2/items>; rel="successor-version"`},
		{"other method", "POST", http.StatusOK, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rr := httptest.NewRecorder()
			r.ServeHTTP(rr, httptest.NewRequest(tt.method, "/v1/items/7", nil))
			if rr.Code != tt.want {
				t.Errorf("status = %d, want %d", rr.Code, tt.want)
			}
			if got := rr.Header().Get("Link"); got != tt.wantLink {
				t.Errorf("Link = %q, want %q", got, tt.wantLink)
			}
		})
	}
}
