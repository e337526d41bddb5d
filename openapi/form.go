package openapi

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"

	apierrors "github.com/apishield/apishield/errors"
	"github.com/apishield/apishield/internal/bodylimit"
	"github.com/apishield/apishield/internal/oasparam"
)

// A formDecoder decodes an application/x-www-form-urlencoded body into
// the object its schema describes. The body is read as a query string
// whose every property is a form-style, exploded parameter: the decoding
// rules (and bounds) of package oasparam, with each property's type taken
// from the schema, so "n=5" is the number 5 where the schema says integer.
// A key the schema does not name is kept as a string, or an array of
// strings when repeated, for the schema to accept or refuse
// (additionalProperties).
type formDecoder struct {
	params *oasparam.Params
	names  map[string]bool
}

func newFormDecoder(s *schema) (*formDecoder, error) {
	f := &formDecoder{names: map[string]bool{}}
	var decls []oasparam.Param
	if s != nil && s.compiled != nil {
		props := map[string]*jsonschema.Schema{}
		collectProperties(s.compiled, props, 0)
		names := make([]string, 0, len(props))
		for n := range props {
			names = append(names, n)
		}
		slices.Sort(names)
		for _, n := range names {
			p := oasparam.Param{Name: n, In: oasparam.InQuery}
			shape, typ, err := formType(props[n])
			if err != nil {
				return nil, fmt.Errorf("property %q: %v", n, err)
			}
			if shape == oasparam.ShapeArray {
				p.Shape, p.ItemType = shape, typ
			} else {
				p.Type = typ
			}
			decls = append(decls, p)
			f.names[n] = true
		}
	}
	var err error
	if f.params, err = oasparam.Compile(decls, oasparam.Limits{}); err != nil {
		return nil, err
	}
	return f, nil
}

// collectProperties gathers the properties a schema declares, through
// $ref and allOf, to a bounded depth.
func collectProperties(s *jsonschema.Schema, props map[string]*jsonschema.Schema, depth int) {
	if s == nil || depth > 16 {
		return
	}
	for n, p := range s.Properties {
		if _, ok := props[n]; !ok {
			props[n] = p
		}
	}
	collectProperties(s.Ref, props, depth+1)
	for _, a := range s.AllOf {
		collectProperties(a, props, depth+1)
	}
}

// formType returns the shape and type of a form property: a primitive or
// an array of primitives; a nested object has no form encoding.
func formType(s *jsonschema.Schema) (oasparam.Shape, oasparam.Type, error) {
	t := schemaType(s)
	if t == "array" {
		var items *jsonschema.Schema
		for x := s; x != nil && items == nil; x = x.Ref {
			items = x.Items2020
		}
		it := schemaType(items)
		if it == "array" || it == "object" {
			return 0, 0, fmt.Errorf("an array of %ss has no form encoding", it)
		}
		return oasparam.ShapeArray, primitive(it), nil
	}
	if t == "object" {
		return 0, 0, fmt.Errorf("an object has no form encoding")
	}
	return oasparam.ShapePrimitive, primitive(t), nil
}

// schemaType returns the one non-null type a schema declares, through
// $ref, or "" when it declares none or several.
func schemaType(s *jsonschema.Schema) string {
	for depth := 0; s != nil && depth < 16; depth++ {
		if s.Types != nil && !s.Types.IsEmpty() {
			var t string
			for _, x := range s.Types.ToStrings() {
				if x == "null" {
					continue
				}
				if t != "" {
					return ""
				}
				t = x
			}
			return t
		}
		s = s.Ref
	}
	return ""
}

func primitive(t string) oasparam.Type {
	switch t {
	case "integer":
		return oasparam.TypeInteger
	case "number":
		return oasparam.TypeNumber
	case "boolean":
		return oasparam.TypeBoolean
	}
	return oasparam.TypeString
}

// check reads a form body, bounded, decodes it and checks it against its
// schema. The handler reads the same bytes from r.Body.
func (f *formDecoder) check(w http.ResponseWriter, r *http.Request, s *schema, c *checks, d *checked) error {
	raw, err := bodylimit.ReadAll(w, r, c.maxBody)
	if err != nil {
		return err
	}
	obj, err := f.params.Query(string(raw))
	if err != nil {
		var pe *oasparam.Error
		if !errors.As(err, &pe) {
			return apierrors.Internal(err)
		}
		return apierrors.New(http.StatusBadRequest, apierrors.ReasonMalformedRequest,
			"The form body is malformed: "+pe.Detail).WithCause(err)
	}
	if obj == nil {
		obj = map[string]any{}
	}
	if err := f.addUndeclared(string(raw), obj); err != nil {
		return err
	}
	if err := c.value(apierrors.InBody, "", obj, s); err != nil {
		return err
	}
	d.body, d.hasBody, d.raw = obj, true, raw
	return nil
}

// addUndeclared adds the keys no property declares, as strings (an array
// of strings when repeated). The query decoder has checked the pairs'
// number, lengths and encoding already.
func (f *formDecoder) addUndeclared(body string, obj map[string]any) error {
	for pair := range strings.SplitSeq(body, "&") {
		if pair == "" {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		key, err1 := url.QueryUnescape(k)
		val, err2 := url.QueryUnescape(v)
		if err1 != nil || err2 != nil {
			return apierrors.New(http.StatusBadRequest, apierrors.ReasonMalformedRequest,
				"The form body is malformed: a field is not percent-encoded correctly.")
		}
		if f.names[key] {
			continue
		}
		switch old := obj[key].(type) {
		case nil:
			obj[key] = val
		case string:
			obj[key] = []any{old, val}
		case []any:
			obj[key] = append(old, val)
		}
	}
	return nil
}
