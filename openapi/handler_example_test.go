package openapi_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/apishield/apishield/openapi"
	"github.com/apishield/apishield/validate"
)

func ExampleContract_Handler() {
	c, err := openapi.Parse([]byte(`openapi: 3.1.0
info: {title: items, version: "1"}
servers: [{url: /v1}]
paths:
  /items/{id}:
    get:
      operationId: getItem
      security: []
      parameters:
        - {name: id, in: path, required: true, schema: {type: integer, minimum: 1}}
      responses:
        "200": {description: an item}
`), openapi.Config{})
	if err != nil {
		fmt.Println(err)
		return
	}
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		op, _ := openapi.Operation(r)
		path, _ := validate.PathParams(r.Context())
		id, _ := path.Int64("id")
		fmt.Println(op, id)
	})
	h := c.Handler(app)
	for _, req := range []string{"GET /v1/items/42", "GET /v1/items/0", "DELETE /v1/items/42", "GET /v1/users"} {
		var method, target string
		fmt.Sscan(req, &method, &target)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(method, target, nil))
		if allow := w.Header().Get("Allow"); allow != "" {
			fmt.Println(req, "→", w.Code, "Allow:", allow)
			continue
		}
		fmt.Println(req, "→", w.Code)
	}
	// Output:
	// getItem 42
	// GET /v1/items/42 → 200
	// GET /v1/items/0 → 422
	// DELETE /v1/items/42 → 405 Allow: GET
	// GET /v1/users → 404
}
