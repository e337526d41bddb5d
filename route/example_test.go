package route_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/apishield/apishield/route"
)

// A perimeter middleware in front of a ServeMux learns the route the mux
// will match, before the mux runs.
func ExampleMux() {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/items/{id}", func(http.ResponseWriter, *http.Request) {})
	perimeter := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Println(route.Pattern(r))
			next.ServeHTTP(w, r)
		})
	}
	h := route.Mux(mux)(perimeter(mux))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/v1/items/7", nil))
	// Output: GET /v1/items/{id}
}
