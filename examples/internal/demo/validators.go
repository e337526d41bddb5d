package demo

import (
	"embed"
	"errors"

	apierrors "github.com/apishield/apishield/errors"
	"github.com/apishield/apishield/validate"
)

// The request contracts, compiled once at start-up. Strict mode (the
// default) refuses unknown fields, so a client cannot set "owner" or "id".
//
//go:embed schemas/*.json
var schemaFiles embed.FS

// Validators holds one validate.Validator per kind of input the items take.
type Validators struct {
	Create *validate.Validator // POST /v1/items: the body, at most MaxBodyBytes
	List   *validate.Validator // GET /v1/items: limit and cursor
	ID     *validate.Validator // /v1/items/{id}, /v1/admin/items/{id}: the id
}

// NewValidators compiles the contracts; ID reads {id} with param.
func NewValidators(param ParamFunc) (*Validators, error) {
	var files [3][]byte
	for i, name := range []string{"item-create", "items-query", "item-id"} {
		b, err := schemaFiles.ReadFile("schemas/" + name + ".json")
		if err != nil {
			return nil, err
		}
		files[i] = b
	}
	var v Validators
	var err error
	if v.Create, err = validate.New(validate.Config{Body: files[0], MaxBodyBytes: MaxBodyBytes}); err != nil {
		return nil, err
	}
	if v.List, err = validate.New(validate.Config{Query: files[1]}); err != nil {
		return nil, err
	}
	if v.ID, err = validate.New(validate.Config{Path: files[2], PathParam: param}); err != nil {
		return nil, err
	}
	return &v, nil
}

// newItem reads the body the Create validator decoded, so the body is
// parsed once. The schema has already guaranteed every type and bound; a
// value that still does not convert means the schema and this code have
// drifted apart, which is a 500, except for a price no float64 holds,
// which the client can fix.
func newItem(body any) (Item, error) {
	m, ok := body.(map[string]any)
	if !ok {
		return Item{}, apierrors.Internal(errors.New("demo: the item body is not an object"))
	}
	var it Item
	if it.Name, ok = m["name"].(string); !ok {
		return Item{}, apierrors.Internal(errors.New("demo: the item name is not a string"))
	}
	if it.Price, ok = validate.Float64(m["price"]); !ok {
		return Item{}, badParam(apierrors.InBody, "/price", "must be a number from 0 to 1000000")
	}
	if tags, ok := m["tags"].([]any); ok {
		for _, t := range tags {
			s, ok := t.(string)
			if !ok {
				return Item{}, apierrors.Internal(errors.New("demo: an item tag is not a string"))
			}
			it.Tags = append(it.Tags, s)
		}
	}
	return it, nil
}
