package main

import (
	"embed"
	"encoding/json"
	"net/http"

	"github.com/gorilla/mux"

	"github.com/apishield/apishield/validate"
)

// The request contracts, compiled once at start-up. Strict mode (the
// default) refuses unknown fields, so a client cannot set "owner" or "id".
//
//go:embed schemas/*.json
var schemaFiles embed.FS

// validators holds one validate.Validator per route that takes input.
type validators struct {
	createItem *validate.Validator // POST /v1/items: the body
	listItems  *validate.Validator // GET /v1/items: limit and cursor
	itemPath   *validate.Validator // /v1/items/{id}, /v1/admin/items/{id}: the id
}

// pathParam reads gorilla/mux's path variables, which r.PathValue does not see.
func pathParam(r *http.Request, name string) string { return mux.Vars(r)[name] }

func newValidators() (*validators, error) {
	var files [3][]byte
	for i, name := range []string{"item-create", "items-query", "item-path"} {
		b, err := schemaFiles.ReadFile("schemas/" + name + ".json")
		if err != nil {
			return nil, err
		}
		files[i] = b
	}
	var v validators
	var err error
	if v.createItem, err = validate.New(validate.Config{Body: files[0], MaxBodyBytes: 64 << 10}); err != nil {
		return nil, err
	}
	if v.listItems, err = validate.New(validate.Config{Query: files[1]}); err != nil {
		return nil, err
	}
	if v.itemPath, err = validate.New(validate.Config{Path: files[2], PathParam: pathParam}); err != nil {
		return nil, err
	}
	return &v, nil
}

// newItemInput is the validated body of POST /v1/items, read from the
// value the validator decoded, so the body is parsed once.
type newItemInput struct {
	Name  string
	Price float64
	Tags  []string
}

// itemInput converts the decoded body. The schema has already guaranteed
// every type and bound, so the conversions cannot fail on a request that
// reached the handler.
func itemInput(body any) newItemInput {
	m, _ := body.(map[string]any)
	var in newItemInput
	in.Name, _ = m["name"].(string)
	if n, ok := m["price"].(json.Number); ok {
		in.Price, _ = n.Float64()
	}
	if tags, ok := m["tags"].([]any); ok {
		for _, t := range tags {
			s, _ := t.(string)
			in.Tags = append(in.Tags, s)
		}
	}
	return in
}
