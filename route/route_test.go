package route_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/go-chi/chi/v5"
	"github.com/gorilla/mux"

	"github.com/apishield/apishield/route"
)

// seen records the pattern route.Pattern reports in front of the router,
// where a perimeter package runs.
func seen(got *string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			*got = route.Pattern(r)
			next.ServeHTTP(w, r)
		})
	}
}

var cases = []struct {
	name, method, path, want string
}{
	{"templated", "GET", "/v1/items/7", "GET /v1/items/{id}"},
	{"other method", "DELETE", "/v1/items/7", "DELETE /v1/items/{id}"},
	{"no route", "GET", "/nope", ""},
}

func TestMux(t *testing.T) {
	t.Parallel()
	m := http.NewServeMux()
	m.HandleFunc("GET /v1/items/{id}", func(http.ResponseWriter, *http.Request) {})
	m.HandleFunc("DELETE /v1/items/{id}", func(http.ResponseWriter, *http.Request) {})
	var got string
	h := route.Mux(m)(seen(&got)(m))
	for _, tc := range cases {
		got = "unset"
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(tc.method, tc.path, nil))
		if got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestChi(t *testing.T) {
	t.Parallel()
	var got string
	r := chi.NewRouter()
	r.Use(route.Chi(r), seen(&got))
	r.Route("/v1/items", func(r chi.Router) {
		r.Get("/{id}", func(http.ResponseWriter, *http.Request) {})
		r.Delete("/{id}", func(http.ResponseWriter, *http.Request) {})
	})
	for _, tc := range cases {
		got = "unset"
		r.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(tc.method, tc.path, nil))
		if got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestGorillaFunc(t *testing.T) {
	t.Parallel()
	router := mux.NewRouter()
	router.HandleFunc("/v1/items/{id}", func(http.ResponseWriter, *http.Request) {}).Methods("GET", "DELETE")
	var got string
	find := func(req *http.Request) string {
		var m mux.RouteMatch
		if !router.Match(req, &m) || m.Route == nil {
			return ""
		}
		tpl, err := m.Route.GetPathTemplate()
		if err != nil {
			return ""
		}
		return req.Method + " " + tpl
	}
	h := route.Func(find)(seen(&got)(router))
	for _, tc := range cases {
		got = "unset"
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(tc.method, tc.path, nil))
		if got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, got, tc.want)
		}
	}
}

// TestPatternAfterRouting: inside the router, without a route middleware,
// Pattern reads what the router set.
func TestPatternAfterRouting(t *testing.T) {
	t.Parallel()
	var got string
	m := http.NewServeMux()
	m.HandleFunc("GET /v1/items/{id}", func(_ http.ResponseWriter, r *http.Request) { got = route.Pattern(r) })
	m.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/v1/items/7", nil))
	if got != "GET /v1/items/{id}" {
		t.Errorf("ServeMux: got %q", got)
	}
	r := chi.NewRouter()
	r.Get("/v1/items/{id}", func(_ http.ResponseWriter, r *http.Request) { got = route.Pattern(r) })
	r.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/v1/items/7", nil))
	if got != "GET /v1/items/{id}" {
		t.Errorf("chi: got %q", got)
	}
}
