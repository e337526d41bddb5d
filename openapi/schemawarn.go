package openapi

import (
	"cmp"
	"net/url"
	"slices"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// This file finds the inventory's schema warnings by walking the compiled
// schemas (jsonschema v6): open objects, unbounded strings and arrays.

// warnings collects an operation's warnings, once each per code and
// location.
type warnings struct {
	seen map[[2]string]bool
	ws   []Warning
	// walked are the schemas already walked, with whether they were
	// reached closed (see walk), so recursive schemas end.
	walked map[walkKey]bool
}

type walkKey struct {
	s      *jsonschema.Schema
	closed bool
}

func newWarnings() *warnings {
	return &warnings{seen: map[[2]string]bool{}, walked: map[walkKey]bool{}}
}

func (w *warnings) add(code, loc, msg string) {
	k := [2]string{code, loc}
	if w.seen[k] {
		return
	}
	w.seen[k] = true
	w.ws = append(w.ws, Warning{Code: code, Location: loc, Message: msg})
}

// list returns the warnings sorted by code, then location.
func (w *warnings) list() []Warning {
	ws := slices.Clone(w.ws)
	if ws == nil {
		ws = []Warning{}
	}
	slices.SortFunc(ws, func(a, b Warning) int {
		return cmp.Or(cmp.Compare(a.Code, b.Code), cmp.Compare(a.Location, b.Location))
	})
	return ws
}

// schema walks one of the document's schemas.
func (w *warnings) schema(s *schema) {
	if s == nil || s.compiled == nil {
		return
	}
	w.walk(s.compiled, false)
}

// walk looks at s and every schema that applies to the instance s does or
// to a part of it. closed says that a schema applying to the same
// instance (an ancestor through allOf, anyOf, oneOf, $ref, if/then/else)
// already closes the object, with additionalProperties: false or
// unevaluatedProperties: false, so s does not need to.
func (w *warnings) walk(s *jsonschema.Schema, closed bool) {
	if s == nil || s.Bool != nil {
		return
	}
	k := walkKey{s, closed}
	if w.walked[k] {
		return
	}
	w.walked[k] = true

	bounded := s.Enum != nil || s.Const != nil
	if !bounded {
		closes := closesObject(s)
		if describes(s, "object", hasObjectKeywords(s)) && !closed && !closes {
			w.add(WarnOpenObject, reportLoc(s.Location),
				"object accepts properties it does not declare: close it with additionalProperties: false "+
					"or unevaluatedProperties: false")
		}
		closed = closed || closes
		if describes(s, "string", s.MinLength != nil || s.MaxLength != nil || s.Pattern != nil) &&
			s.MaxLength == nil && !boundedFormat(s.Format) {
			w.add(WarnUnboundedString, reportLoc(s.Location), "string has no maxLength")
		}
		if describes(s, "array", hasArrayKeywords(s)) && s.MaxItems == nil && !closedTuple(s) {
			w.add(WarnUnboundedArray, reportLoc(s.Location), "array has no maxItems")
		}
	}

	// The same instance.
	for _, sub := range [][]*jsonschema.Schema{s.AllOf, s.AnyOf, s.OneOf, {s.Ref, s.RecursiveRef, s.If, s.Then, s.Else}} {
		for _, x := range sub {
			w.walk(x, closed)
		}
	}
	if s.DynamicRef != nil {
		w.walk(s.DynamicRef.Ref, closed)
	}
	for _, name := range keysInOrder(s.DependentSchemas) {
		w.walk(s.DependentSchemas[name], closed)
	}

	// Parts of it.
	for _, name := range keysInOrder(s.Properties) {
		w.walk(s.Properties[name], false)
	}
	for _, x := range s.PatternProperties {
		w.walk(x, false)
	}
	if x, ok := s.AdditionalProperties.(*jsonschema.Schema); ok {
		w.walk(x, false)
	}
	w.walk(s.UnevaluatedProperties, false)
	switch items := s.Items.(type) {
	case *jsonschema.Schema:
		w.walk(items, false)
	case []*jsonschema.Schema:
		for _, x := range items {
			w.walk(x, false)
		}
	}
	if x, ok := s.AdditionalItems.(*jsonschema.Schema); ok {
		w.walk(x, false)
	}
	for _, x := range s.PrefixItems {
		w.walk(x, false)
	}
	w.walk(s.Items2020, false)
	w.walk(s.Contains, false)
	w.walk(s.UnevaluatedItems, false)
}

// describes reports whether s constrains instances of type typ: its type
// includes typ, or it has no type and has keywords of typ (OpenAPI
// documents often leave "type: object" out).
func describes(s *jsonschema.Schema, typ string, keywords bool) bool {
	if s.Types == nil || s.Types.IsEmpty() {
		return keywords
	}
	return slices.Contains(s.Types.ToStrings(), typ)
}

func hasObjectKeywords(s *jsonschema.Schema) bool {
	return s.Properties != nil || s.PatternProperties != nil || s.Required != nil ||
		s.AdditionalProperties != nil || s.UnevaluatedProperties != nil ||
		s.MinProperties != nil || s.MaxProperties != nil
}

func hasArrayKeywords(s *jsonschema.Schema) bool {
	return s.Items != nil || s.Items2020 != nil || s.PrefixItems != nil || s.MinItems != nil ||
		s.MaxItems != nil || s.Contains != nil
}

// closesObject reports whether s refuses properties it does not declare:
// additionalProperties or unevaluatedProperties false, or an
// additionalProperties schema, which checks every other property.
func closesObject(s *jsonschema.Schema) bool {
	switch ap := s.AdditionalProperties.(type) {
	case bool:
		if !ap {
			return true
		}
	case *jsonschema.Schema:
		if ap != nil && (ap.Bool == nil || !*ap.Bool) {
			return true
		}
	}
	if u := s.UnevaluatedProperties; u != nil && u.Bool != nil && !*u.Bool {
		return true
	}
	return false
}

// closedTuple reports whether an array can hold only its prefixItems:
// items (2020-12) or additionalItems (earlier drafts) false.
func closedTuple(s *jsonschema.Schema) bool {
	if s.Items2020 != nil && s.Items2020.Bool != nil && !*s.Items2020.Bool && s.PrefixItems != nil {
		return true
	}
	if _, tuple := s.Items.([]*jsonschema.Schema); tuple {
		switch ai := s.AdditionalItems.(type) {
		case bool:
			return !ai
		case *jsonschema.Schema:
			return ai != nil && ai.Bool != nil && !*ai.Bool
		}
	}
	return false
}

// boundedFormat reports whether a format the compiler asserts bounds a
// string's length. A format that is only an annotation (f nil) does not.
func boundedFormat(f *jsonschema.Format) bool {
	if f == nil {
		return false
	}
	switch f.Name {
	case "date", "uuid", "ipv4", "ipv6":
		return true
	}
	return false
}

// reportLoc shortens a compiled schema's location, an absolute URL and a
// fragment, to the file's path in the document's directory and the JSON
// pointer, unescaped: "openapi.yaml#/components/schemas/Item",
// "common/types.yaml#/Name", "openapi.yaml#" for a root.
func reportLoc(loc string) string {
	base, frag, _ := strings.Cut(loc, "#")
	if u, err := url.Parse(base); err == nil && u.Path != "" {
		base = strings.TrimPrefix(u.Path, "/")
	}
	if f, err := url.PathUnescape(frag); err == nil {
		frag = f
	}
	return base + "#" + frag
}
