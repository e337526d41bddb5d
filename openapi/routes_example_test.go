package openapi_test

import (
	"fmt"
	"log"
	"net/http"

	"github.com/go-chi/chi/v5"
	"github.com/gorilla/mux"

	"github.com/apishield/apishield/openapi"
)

// itemsAPI is the document of the examples: three operations under /v1.
const itemsAPI = `
openapi: 3.1.0
info: {title: Items, version: "1"}
servers: [{url: /v1}]
security: [{bearer: []}]
paths:
  /items:
    get:  {operationId: listItems, responses: {'200': {description: ok}}}
    post: {operationId: createItem, responses: {'201': {description: created}}}
  /items/{id}:
    get:
      operationId: getItem
      parameters: [{name: id, in: path, required: true, schema: {type: integer}}]
      responses: {'200': {description: ok}}
components:
  securitySchemes:
    bearer: {type: http, scheme: bearer}
`

// The start-up check on a ServeMux: pass the patterns you register. A
// mismatch lists both directions; stop the server on it.
func ExampleContract_CheckRoutes() {
	contract, err := openapi.Parse([]byte(itemsAPI), openapi.Config{})
	if err != nil {
		log.Fatal(err)
	}
	patterns := []string{"GET /v1/items", "GET /v1/items/{id}", "GET /v1/debug"}
	m := http.NewServeMux()
	for _, p := range patterns {
		m.HandleFunc(p, func(http.ResponseWriter, *http.Request) {})
	}
	fmt.Println(contract.CheckRoutes(patterns...))
	// Output:
	// openapi: routes and operations do not match; 1 operation served by no route: createItem (POST /items); 1 route not in the document: GET /v1/debug
}

// The start-up check on a chi router, whose routes chi.Walk lists.
func ExampleContract_CheckChi() {
	contract, err := openapi.Parse([]byte(itemsAPI), openapi.Config{})
	if err != nil {
		log.Fatal(err)
	}
	noop := func(http.ResponseWriter, *http.Request) {}
	r := chi.NewRouter()
	r.Route("/v1/items", func(r chi.Router) {
		r.Get("/", noop)
		r.Post("/", noop)
		r.Get("/{id:[0-9]+}", noop)
	})
	fmt.Println(contract.CheckChi(r))
	// Output:
	// <nil>
}

// The start-up check on a gorilla/mux router: collect its templates and
// methods with Router.Walk (the library does not import gorilla/mux, so
// applications on chi or ServeMux do not link it).
func ExampleContract_CheckRoutes_gorilla() {
	contract, err := openapi.Parse([]byte(itemsAPI), openapi.Config{})
	if err != nil {
		log.Fatal(err)
	}
	noop := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})
	r := mux.NewRouter()
	v1 := r.PathPrefix("/v1").Subrouter()
	v1.Handle("/items", noop).Methods("GET", "POST")
	v1.Handle("/items/{id:[0-9]+}", noop).Methods("GET", "DELETE")

	var routes []string
	err = r.Walk(func(route *mux.Route, _ *mux.Router, _ []*mux.Route) error {
		if route.GetHandler() == nil {
			return nil // a subrouter's PathPrefix, which serves nothing itself
		}
		tpl, err := route.GetPathTemplate()
		if err != nil {
			return err
		}
		methods, err := route.GetMethods()
		if err != nil { // a route for every method
			routes = append(routes, tpl)
			return nil
		}
		for _, m := range methods {
			routes = append(routes, m+" "+tpl)
		}
		return nil
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(contract.CheckRoutes(routes...))
	// Output:
	// openapi: routes and operations do not match; 1 route not in the document: DELETE /v1/items/{id:[0-9]+}
}
