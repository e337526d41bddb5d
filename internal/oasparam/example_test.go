package oasparam_test

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/apishield/apishield/internal/oasparam"
)

func Example() {
	ps, err := oasparam.Compile([]oasparam.Param{
		{Name: "limit", In: oasparam.InQuery, Type: oasparam.TypeInteger, Required: true},
		{Name: "filter", In: oasparam.InQuery, Style: oasparam.StyleDeepObject, Shape: oasparam.ShapeObject,
			PropTypes: map[string]oasparam.Type{"min": oasparam.TypeNumber}},
		{Name: "tag", In: oasparam.InQuery, Shape: oasparam.ShapeArray},
	}, oasparam.Limits{})
	if err != nil {
		panic(err)
	}
	q, err := ps.Query("limit=10&filter[min]=2.5&filter[name]=a+b&tag=x&tag=y")
	if err != nil {
		panic(err)
	}
	out, _ := json.Marshal(q)
	fmt.Println(string(out))

	_, err = ps.Query("limit=ten")
	fmt.Println(err, errors.Is(err, oasparam.ErrMalformed))
	// Output:
	// {"filter":{"min":2.5,"name":"a b"},"limit":10,"tag":["x","y"]}
	// query parameter "limit" must be an integer true
}
