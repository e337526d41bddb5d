package cors

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/go-chi/chi/v5"

	"github.com/apishield/apishield/internal/record"
	"github.com/apishield/apishield/route"
)

// routePolicies: the default allows the app; PUT on an item allows only
// the admin console; /v1/public allows every origin, without credentials.
func routePolicies(rt func(http.Handler) http.Handler) Config {
	return Config{
		Policy: Policy{AllowedOrigins: []string{"https://app.example.com"}, AllowedMethods: []string{"GET", "PUT"}, AllowCredentials: true},
		Routes: map[string]Policy{
			"PUT /v1/items/{id}": {AllowedOrigins: []string{"https://admin.example.com"}, AllowedMethods: []string{"PUT"}, AllowedHeaders: []string{"Content-Type"}},
			"/v1/public":         {AllowedOrigins: []string{"*"}},
		},
		Route: rt,
	}
}

type routeCase struct {
	name, method, path, origin, acrm string
	want                             int
	wantACAO                         string
}

var routeCases = []routeCase{
	{"route policy allows its preflight", "OPTIONS", "/v1/items/1", "https://admin.example.com", "PUT", 204, "https://admin.example.com"},
	{"route policy replaces the default on preflight", "OPTIONS", "/v1/items/1", "https://app.example.com", "PUT", 403, ""},
	{"route policy on the actual request", "PUT", "/v1/items/1", "https://admin.example.com", "", 200, "https://admin.example.com"},
	{"route policy refuses the default's origin", "PUT", "/v1/items/1", "https://app.example.com", "", 403, ""},
	{"other method of the route: default policy", "GET", "/v1/items/1", "https://app.example.com", "", 200, "https://app.example.com"},
	{"default policy refuses the route's origin", "GET", "/v1/items/1", "https://admin.example.com", "", 403, ""},
	{"preflight for the default route", "OPTIONS", "/v1/items/1", "https://admin.example.com", "GET", 403, ""},
	{"every-method route key", "GET", "/v1/public", "https://anyone.test", "", 200, "*"},
	{"every-method route key on preflight", "OPTIONS", "/v1/public", "https://anyone.test", "GET", 204, "*"},
	{"no route: default policy", "GET", "/nope", "https://app.example.com", "", 200, "https://app.example.com"},
	{"no route: default refuses", "GET", "/nope", "https://admin.example.com", "", 403, ""},
}

func runRouteCases(t *testing.T, h http.Handler) {
	t.Helper()
	for _, tc := range routeCases {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(tc.method, tc.path, nil)
			req.Header.Set("Origin", tc.origin)
			if tc.acrm != "" {
				req.Header.Set("Access-Control-Request-Method", tc.acrm)
			}
			rr := httptest.NewRecorder()
			h.ServeHTTP(rr, req)
			if rr.Code != tc.want {
				t.Fatalf("status = %d, want %d (%s)", rr.Code, tc.want, rr.Body)
			}
			if got := rr.Header().Get("Access-Control-Allow-Origin"); got != tc.wantACAO {
				t.Errorf("Access-Control-Allow-Origin = %q, want %q", got, tc.wantACAO)
			}
		})
	}
}

func ok(w http.ResponseWriter, _ *http.Request) {}

func TestRoutesServeMux(t *testing.T) {
	t.Parallel()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/items/{id}", ok)
	mux.HandleFunc("PUT /v1/items/{id}", ok)
	mux.HandleFunc("/v1/public", ok)
	mux.HandleFunc("/nope", ok)
	rt := route.Mux(mux)
	m := MustNew(routePolicies(rt))
	runRouteCases(t, rt(m.Handler(mux)))
}

func TestRoutesChi(t *testing.T) {
	t.Parallel()
	r := chi.NewRouter()
	rt := route.Chi(r)
	m := MustNew(routePolicies(rt))
	r.Use(rt, m.Handler)
	r.Get("/v1/items/{id}", ok)
	r.Put("/v1/items/{id}", ok)
	r.HandleFunc("/v1/public", ok)
	r.Get("/nope", ok)
	runRouteCases(t, r)
}

// TestRoutesPreflightKeepsItsRecord: finding the preflight's route does not
// change the route the request record holds for the OPTIONS request.
func TestRoutesPreflightKeepsItsRecord(t *testing.T) {
	t.Parallel()
	mux := http.NewServeMux()
	mux.HandleFunc("PUT /v1/items/{id}", ok)
	rt := route.Mux(mux)
	m := MustNew(routePolicies(rt))
	var got string
	h := rt(m.Handler(mux))
	outer := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w, r, rec := record.Install(w, r)
		h.ServeHTTP(w, r)
		got = rec.Route()
	})
	req := httptest.NewRequest("OPTIONS", "/v1/items/1", nil)
	req.Header.Set("Origin", "https://admin.example.com")
	req.Header.Set("Access-Control-Request-Method", "PUT")
	rr := httptest.NewRecorder()
	outer.ServeHTTP(rr, req)
	if rr.Code != 204 || got != "" {
		t.Errorf("status %d, route %q; want 204 and no route for the OPTIONS request", rr.Code, got)
	}
}
