package main

import (
	"embed"
	"encoding/json"
	"net/http"

	"github.com/go-chi/chi/v5"

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
	itemID     *validate.Validator // /v1/items/{id}, /v1/admin/items/{id}: the id
}

// chiParam reads path parameters from chi's route context: the validators
// run on the routes (r.With), after chi has routed.
func chiParam(r *http.Request, name string) string { return chi.URLParam(r, name) }

func newValidators() (*validators, error) {
	create, err := schemaFiles.ReadFile("schemas/item-create.json")
	if err != nil {
		return nil, err
	}
	query, err := schemaFiles.ReadFile("schemas/items-query.json")
	if err != nil {
		return nil, err
	}
	id, err := schemaFiles.ReadFile("schemas/item-id.json")
	if err != nil {
		return nil, err
	}
	var v validators
	if v.createItem, err = validate.New(validate.Config{Body: create, MaxBodyBytes: 64 << 10}); err != nil {
		return nil, err
	}
	if v.listItems, err = validate.New(validate.Config{Query: query}); err != nil {
		return nil, err
	}
	if v.itemID, err = validate.New(validate.Config{Path: id, PathParam: chiParam}); err != nil {
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
