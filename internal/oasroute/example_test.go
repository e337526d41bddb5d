package oasroute_test

import (
	"fmt"

	"github.com/apishield/apishield/internal/oasroute"
)

func Example() {
	ops := []oasroute.Operation{
		{Method: "GET", Path: "/pets/{petId}"},
		{Method: "DELETE", Path: "/pets/{petId}"},
		{Method: "GET", Path: "/pets/mine"},
		{Method: "GET", Path: "/reports/{name}.{format}"},
	}
	rt, err := oasroute.New([]string{"/v1"}, ops)
	if err != nil {
		fmt.Println(err)
		return
	}
	params := make([]oasroute.Param, 0, rt.MaxParams())
	for _, req := range []struct{ method, path string }{
		{"GET", "/v1/pets/mine"},
		{"GET", "/v1/pets/a%20cat"},
		{"GET", "/v1/reports/q3.csv"},
		{"POST", "/v1/pets/7"},
		{"GET", "/v2/pets/7"},
	} {
		op, ps, allow, ok := rt.Find(req.method, req.path, params)
		switch {
		case ok:
			fmt.Println(req.method, req.path, "->", ops[op], ps)
		case allow != nil:
			fmt.Println(req.method, req.path, "-> 405, Allow:", allow)
		default:
			fmt.Println(req.method, req.path, "-> 404")
		}
	}
	// Output:
	// GET /v1/pets/mine -> GET /pets/mine []
	// GET /v1/pets/a%20cat -> GET /pets/{petId} [{petId a%20cat}]
	// GET /v1/reports/q3.csv -> GET /reports/{name}.{format} [{name q3} {format csv}]
	// POST /v1/pets/7 -> 405, Allow: [DELETE GET]
	// GET /v2/pets/7 -> 404
}

func ExampleNew_errors() {
	_, err := oasroute.New(nil, []oasroute.Operation{
		{Method: "GET", Path: "/{a}/x"},
		{Method: "POST", Path: "/{b}/x"},
		{Method: "GET", Path: "/items/{id"},
	})
	fmt.Println(err)
	// Output:
	// oasroute: invalid routes: operations 0 (GET /{a}/x) and 1 (POST /{b}/x): the paths differ only in parameter names, which the spec calls identical and invalid
	// oasroute: invalid routes: operation 2 (GET /items/{id): "{" without "}"
}
