package validate

import (
	"encoding/json"
	"fmt"
	"github.com/apishield/apishield/internal/schemacheck"
	"reflect"
	"slices"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// jsonTypes is a set of JSON types. A number is an integer or a fraction,
// so "number" is both bits and "integer" one.
type jsonTypes uint8

const (
	tNull jsonTypes = 1 << iota
	tBool
	tObject
	tArray
	tString
	tInteger
	tFraction // a number with a non-zero fraction
	tAll      = 1<<iota - 1
)

func typesOfNames(names []string) jsonTypes {
	var t jsonTypes
	for _, n := range names {
		switch n {
		case "null":
			t |= tNull
		case "boolean":
			t |= tBool
		case "object":
			t |= tObject
		case "array":
			t |= tArray
		case "string":
			t |= tString
		case "integer":
			t |= tInteger
		case "number":
			t |= tInteger | tFraction
		}
	}
	return t
}

func typeOfValue(v any) jsonTypes {
	switch v := v.(type) {
	case nil:
		return tNull
	case bool:
		return tBool
	case map[string]any:
		return tObject
	case []any:
		return tArray
	case string:
		return tString
	case json.Number:
		if _, _, res := parseInteger(string(v)); res == intFraction {
			return tFraction
		}
		return tInteger
	}
	return tInteger | tFraction // the schema library's own number types
}

func (t jsonTypes) String() string {
	var names []string
	for i, n := range []string{"null", "boolean", "object", "array", "string", "integer", "fractional numbers"} {
		if t&(1<<i) != 0 {
			names = append(names, n)
		}
	}
	return strings.Join(names, ", ")
}

// allowedTypes returns the JSON types s lets through, and whether s says:
// from type, const and enum, intersected over allOf and $ref, united over
// anyOf and oneOf. known is false for a schema that allows any type.
func allowedTypes(s *jsonschema.Schema, seen map[*jsonschema.Schema]bool) (t jsonTypes, known bool) {
	if s == nil || seen[s] {
		return tAll, false
	}
	if s.Bool != nil {
		if *s.Bool {
			return tAll, false
		}
		return 0, true
	}
	seen[s] = true
	defer delete(seen, s)
	t = tAll
	if s.Types != nil {
		t &= typesOfNames(s.Types.ToStrings())
		known = true
	}
	if s.Const != nil {
		t &= typeOfValue(*s.Const)
		known = true
	}
	if s.Enum != nil {
		var u jsonTypes
		for _, v := range s.Enum.Values {
			u |= typeOfValue(v)
		}
		t &= u
		known = true
	}
	all := append([]*jsonschema.Schema{s.Ref, s.RecursiveRef}, s.AllOf...)
	if s.DynamicRef != nil {
		all = append(all, s.DynamicRef.Ref)
	}
	for _, c := range all {
		if c == nil {
			continue
		}
		if ct, ok := allowedTypes(c, seen); ok {
			t &= ct
			known = true
		}
	}
	for _, l := range [][]*jsonschema.Schema{s.AnyOf, s.OneOf} {
		if len(l) == 0 {
			continue
		}
		var u jsonTypes
		every := true
		for _, c := range l {
			ct, ok := allowedTypes(c, seen)
			if !ok {
				every = false
				break
			}
			u |= ct
		}
		if every {
			t &= u
			known = true
		}
	}
	return t, known
}

// inPlace returns s and every schema applied to the same instance as s:
// $ref, allOf, anyOf, oneOf, then, else, dependentSchemas, recursively.
func inPlace(s *jsonschema.Schema) []*jsonschema.Schema {
	var out []*jsonschema.Schema
	var walk func(*jsonschema.Schema)
	walk = func(s *jsonschema.Schema) {
		if s == nil || slices.Contains(out, s) {
			return
		}
		out = append(out, s)
		walk(s.Ref)
		walk(s.RecursiveRef)
		if s.DynamicRef != nil {
			walk(s.DynamicRef.Ref)
		}
		for _, l := range [][]*jsonschema.Schema{s.AllOf, s.AnyOf, s.OneOf} {
			for _, c := range l {
				walk(c)
			}
		}
		walk(s.Then)
		walk(s.Else)
		for _, c := range schemacheck.SortedSchemas(s.DependentSchemas) {
			walk(c)
		}
	}
	walk(s)
	return out
}

// closedObject reports whether s lets through no property beyond those
// it (or a schema in place with it) declares.
func closedObject(s *jsonschema.Schema, seen map[*jsonschema.Schema]bool) bool {
	if s == nil || seen[s] {
		return false
	}
	if s.Bool != nil {
		return !*s.Bool
	}
	seen[s] = true
	defer delete(seen, s)
	if s.UnevaluatedProperties != nil && s.UnevaluatedProperties.Bool != nil && !*s.UnevaluatedProperties.Bool {
		return true
	}
	if s.AdditionalProperties == false && len(s.PatternProperties) == 0 {
		return true
	}
	every := []*jsonschema.Schema{s.Ref, s.RecursiveRef}
	if s.DynamicRef != nil {
		every = append(every, s.DynamicRef.Ref)
	}
	for _, c := range append(every, s.AllOf...) {
		if closedObject(c, seen) {
			return true
		}
	}
	for _, l := range [][]*jsonschema.Schema{s.AnyOf, s.OneOf} {
		if len(l) > 0 && !slices.ContainsFunc(l, func(c *jsonschema.Schema) bool { return !closedObject(c, seen) }) {
			return true
		}
	}
	return false
}

// A typeChecker pairs a Body schema with the Go type Decode fills, so that
// a type that would drop or refuse what the schema allows is found at
// start-up (or on first use), not on a request.
type typeChecker struct {
	seen map[typePair]bool
}

type typePair struct {
	s *jsonschema.Schema
	t reflect.Type
}

// checkBodyType reports why t cannot hold every value the schema s allows.
func checkBodyType(s *jsonschema.Schema, t reflect.Type) error {
	c := typeChecker{seen: map[typePair]bool{}}
	if err := c.check(s, t, nil); err != nil {
		return fmt.Errorf("%w: %v: %w", ErrBodyType, t, err)
	}
	return nil
}

func where(path []string) string {
	if len(path) == 0 {
		return "the body"
	}
	return schemacheck.Pointer(path)
}

func (c *typeChecker) check(s *jsonschema.Schema, t reflect.Type, path []string) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem() // null fits any pointer
	}
	if c.seen[typePair{s, t}] {
		return nil
	}
	c.seen[typePair{s, t}] = true
	if t.Kind() == reflect.Interface {
		if t.NumMethod() != 0 {
			return fmt.Errorf("%s: %v is an interface with methods; use any", where(path), t)
		}
		return nil
	}
	ptr := reflect.PointerTo(t)
	textual := t == timeType || (ptr.Implements(textUnmarshalerType) && !ptr.Implements(jsonUnmarshalerType))
	if !textual && t != numberType && ptr.Implements(jsonUnmarshalerType) {
		return nil // its UnmarshalJSON decides
	}
	allowed, known := allowedTypes(s, map[*jsonschema.Schema]bool{})
	if !known {
		return fmt.Errorf("%s: the schema allows any JSON value, which %v cannot hold; give it a type (or the field the type any)", where(path), t)
	}
	var holds jsonTypes
	switch {
	case textual:
		holds = tString
	case t == numberType:
		holds = tInteger | tFraction
	default:
		switch t.Kind() {
		case reflect.String:
			holds = tString
		case reflect.Bool:
			holds = tBool
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
			reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
			holds = tInteger
		case reflect.Float32, reflect.Float64:
			holds = tInteger | tFraction
		case reflect.Struct:
			holds = tObject
		case reflect.Map:
			if t.Key().Kind() != reflect.String {
				return fmt.Errorf("%s: %v has keys that are not strings", where(path), t)
			}
			holds = tObject
		case reflect.Slice:
			holds = tArray
			if t.Elem().Kind() == reflect.Uint8 {
				holds = tString // base64, as encoding/json
			}
		case reflect.Array:
			holds = tArray
		default:
			return fmt.Errorf("%s: Decode cannot fill a %v", where(path), t)
		}
	}
	if extra := allowed &^ tNull &^ holds; extra != 0 {
		return fmt.Errorf("%s: the schema allows %v, which %v cannot hold", where(path), extra, t)
	}
	if textual || allowed&(tObject|tArray) == 0 {
		return nil
	}
	switch t.Kind() {
	case reflect.Struct, reflect.Map:
		return c.checkObject(s, t, path)
	case reflect.Slice, reflect.Array:
		return c.checkItems(s, t.Elem(), path)
	}
	return nil
}

// checkObject checks the properties the schema declares (and any others
// it lets through) against a struct's fields or a map's values.
func (c *typeChecker) checkObject(s *jsonschema.Schema, t reflect.Type, path []string) error {
	schemas := inPlace(s)
	props := map[string][]*jsonschema.Schema{}
	var others []*jsonschema.Schema // schemas of undeclared properties; nil: anything
	for _, sc := range schemas {
		for name, p := range sc.Properties {
			props[name] = append(props[name], p)
		}
		pats := make([]string, 0, len(sc.PatternProperties))
		byPat := make(map[string]*jsonschema.Schema, len(sc.PatternProperties))
		for re, p := range sc.PatternProperties {
			pats = append(pats, re.String())
			byPat[re.String()] = p
		}
		slices.Sort(pats) // so the first error reported is always the same
		for _, re := range pats {
			others = append(others, byPat[re])
		}
		if a, ok := sc.AdditionalProperties.(*jsonschema.Schema); ok {
			others = append(others, a)
		}
	}
	open := !closedObject(s, map[*jsonschema.Schema]bool{})
	names := make([]string, 0, len(props))
	for n := range props {
		names = append(names, n)
	}
	slices.Sort(names)
	if t.Kind() == reflect.Map {
		if open {
			others = append(others, nil)
		}
		for _, n := range names {
			others = append(others, props[n]...)
		}
		for _, o := range others {
			if err := c.check(o, t.Elem(), append(slices.Clip(path), "*")); err != nil {
				return err
			}
		}
		return nil
	}
	if open {
		return fmt.Errorf("%s: the schema allows properties it does not declare, which %v has no field for; close it with \"additionalProperties\": false or use a map", where(path), t)
	}
	fields, err := fieldsOf(t)
	if err != nil {
		return err
	}
	for _, n := range names {
		i := slices.IndexFunc(fields, func(f field) bool { return f.name == n })
		if i < 0 {
			return fmt.Errorf("%s: %v has no field for the property %q", where(path), t, n)
		}
		p := append(slices.Clip(path), n)
		for _, sc := range props[n] {
			if err := c.check(sc, fields[i].typ, p); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkItems checks an array's item schemas against a slice's or array's
// element type; items no schema constrains must fit any.
func (c *typeChecker) checkItems(s *jsonschema.Schema, elem reflect.Type, path []string) error {
	p := append(slices.Clip(path), "*")
	var items []*jsonschema.Schema
	restricted := false
	for _, sc := range inPlace(s) {
		items = append(items, sc.PrefixItems...)
		if sc.Items2020 != nil {
			items = append(items, sc.Items2020)
			restricted = true
		}
		switch it := sc.Items.(type) {
		case *jsonschema.Schema:
			items = append(items, it)
			restricted = true
		case []*jsonschema.Schema:
			items = append(items, it...)
			switch a := sc.AdditionalItems.(type) {
			case *jsonschema.Schema:
				items = append(items, a)
				restricted = true
			case bool:
				restricted = restricted || !a
			}
		}
		if u := sc.UnevaluatedItems; u != nil {
			if u.Bool != nil && !*u.Bool {
				restricted = true
			} else {
				items = append(items, u)
			}
		}
	}
	if !restricted {
		items = append(items, nil)
	}
	for _, it := range items {
		if err := c.check(it, elem, p); err != nil {
			return err
		}
	}
	return nil
}
