package openapi_test

import (
	"fmt"
	"log"

	"github.com/apishield/apishield/openapi"
)

// The inventory of a document, for an audit or a CI gate: here the
// warnings of each operation.
func ExampleContract_Inventory() {
	contract, err := openapi.Parse([]byte(`
openapi: 3.1.0
info: {title: Notes, version: "1"}
paths:
  /notes:
    post:
      operationId: createNote
      security: []
      requestBody:
        content:
          application/json:
            schema:
              type: object
              properties:
                text: {type: string, maxLength: 500}
                tags: {type: array, items: {type: string, enum: [a, b]}}
      responses: {'201': {description: created}}
`), openapi.Config{})
	if err != nil {
		log.Fatal(err)
	}
	inv := contract.Inventory()
	for _, op := range inv.Operations {
		for _, w := range op.Warnings {
			fmt.Println(op.ID, w.Code, w.Location)
		}
	}
	fmt.Println("findings:", inv.Findings())
	// Output:
	// createNote open-object document#/paths/~1notes/post/requestBody/content/application~1json/schema
	// createNote public-write /paths/~1notes/post
	// createNote unbounded-array document#/paths/~1notes/post/requestBody/content/application~1json/schema/properties/tags
	// findings: 3
}
