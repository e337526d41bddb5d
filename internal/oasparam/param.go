package oasparam

import (
	"errors"
	"fmt"
	"strings"
)

// ErrInvalidConfig is wrapped by every error [Param.Check] and [Compile]
// return: a parameter the document declares in a way this package cannot
// decode without guessing.
var ErrInvalidConfig = errors.New("oasparam: invalid parameter declaration")

// In is where a parameter travels.
type In uint8

// The parameter locations of OpenAPI's "in" field.
const (
	InPath In = iota + 1
	InQuery
	InHeader
	InCookie
)

// String returns the name OpenAPI uses ("path", "query", ...).
func (in In) String() string {
	switch in {
	case InPath:
		return "path"
	case InQuery:
		return "query"
	case InHeader:
		return "header"
	case InCookie:
		return "cookie"
	}
	return fmt.Sprintf("In(%d)", uint8(in))
}

// Style is how a parameter's value is serialized (OAS 3.1 §4.8.12.4).
type Style uint8

// The styles of OpenAPI's "style" field. StyleDefault is the style the
// specification gives the location: simple for path and header, form for
// query and cookie.
const (
	StyleDefault Style = iota
	StyleSimple
	StyleLabel
	StyleMatrix
	StyleForm
	StyleSpaceDelimited
	StylePipeDelimited
	StyleDeepObject
)

// String returns the name OpenAPI uses ("simple", "deepObject", ...).
func (s Style) String() string {
	switch s {
	case StyleDefault:
		return "default"
	case StyleSimple:
		return "simple"
	case StyleLabel:
		return "label"
	case StyleMatrix:
		return "matrix"
	case StyleForm:
		return "form"
	case StyleSpaceDelimited:
		return "spaceDelimited"
	case StylePipeDelimited:
		return "pipeDelimited"
	case StyleDeepObject:
		return "deepObject"
	}
	return fmt.Sprintf("Style(%d)", uint8(s))
}

// Shape is the kind of value a parameter's schema describes.
type Shape uint8

// The shapes. The zero value is ShapePrimitive.
const (
	ShapePrimitive Shape = iota
	ShapeArray
	ShapeObject
)

// String returns "primitive", "array" or "object".
func (s Shape) String() string {
	switch s {
	case ShapePrimitive:
		return "primitive"
	case ShapeArray:
		return "array"
	case ShapeObject:
		return "object"
	}
	return fmt.Sprintf("Shape(%d)", uint8(s))
}

// Type is the JSON type a primitive value is coerced to. The zero value
// is TypeString: the text as sent, left to the schema.
type Type uint8

// The JSON types a value can be coerced to.
const (
	TypeString Type = iota
	TypeInteger
	TypeNumber
	TypeBoolean
)

// String returns the JSON Schema name of the type.
func (t Type) String() string {
	switch t {
	case TypeString:
		return "string"
	case TypeInteger:
		return "integer"
	case TypeNumber:
		return "number"
	case TypeBoolean:
		return "boolean"
	}
	return fmt.Sprintf("Type(%d)", uint8(t))
}

// A Param is one parameter as an OpenAPI document declares it, reduced to
// what decoding needs. A Param is a plain value; [Compile] copies it.
type Param struct {
	// Name is the parameter's name: the path template variable, the query
	// key, the header field name (matched case-insensitively) or the
	// cookie name. Required.
	Name string
	// In is the parameter's location. Required.
	In In
	// Style is the serialization. If StyleDefault, simple for path and
	// header, form for query and cookie.
	Style Style
	// Explode is OpenAPI's "explode". If nil, true for form and false for
	// every other style.
	Explode *bool
	// Shape is what the schema describes: a primitive (the zero value), an
	// array or an object.
	Shape Shape
	// Type is the JSON type of a primitive. If zero, string.
	Type Type
	// ItemType is the JSON type of an array's items. If zero, string.
	ItemType Type
	// PropTypes gives the JSON type of an object's properties by name;
	// properties not listed are strings. For an exploded form object it
	// is also the list of query keys (or cookie names) that belong to the
	// object: nothing else on the wire says so.
	PropTypes map[string]Type
	// Required reports whether the parameter must be present. Path
	// parameters must set it, as the specification requires.
	Required bool
}

// explode returns Explode or the specification's default for the style.
func (p *Param) explode() bool {
	if p.Explode != nil {
		return *p.Explode
	}
	return p.Style == StyleForm
}

// withDefaults returns p with its style resolved.
func (p Param) withDefaults() Param {
	if p.Style == StyleDefault {
		switch p.In {
		case InPath, InHeader:
			p.Style = StyleSimple
		case InQuery, InCookie:
			p.Style = StyleForm
		}
	}
	return p
}

// Check reports whether p is a declaration this package decodes: a known
// location and shape, types it knows, and a style the specification allows
// for the location and shape (after the defaults of OAS 3.1 §4.8.12.4):
//
//   - path: simple, label or matrix; Required must be true;
//   - query: form; spaceDelimited and pipeDelimited for arrays, and for
//     objects when not exploded; deepObject for objects;
//   - header: simple;
//   - cookie: form.
//
// The error names the parameter and wraps [ErrInvalidConfig].
func (p Param) Check() error {
	p = p.withDefaults()
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s parameter %q: %s", ErrInvalidConfig, p.In, p.Name, fmt.Sprintf(format, args...))
	}
	if p.In < InPath || p.In > InCookie {
		return fmt.Errorf("%w: parameter %q: unknown location %s", ErrInvalidConfig, p.Name, p.In)
	}
	if p.Name == "" {
		return bad("the name is empty")
	}
	if p.Shape > ShapeObject {
		return bad("unknown shape %s", p.Shape)
	}
	if p.Type > TypeBoolean || p.ItemType > TypeBoolean {
		return bad("unknown type")
	}
	for name, t := range p.PropTypes {
		if t > TypeBoolean {
			return bad("property %q has an unknown type", name)
		}
	}
	if p.Style > StyleDeepObject {
		return bad("unknown style %s", p.Style)
	}
	styleErr := func() error {
		return bad("style %s (explode %t) is not defined for %s parameters in %s", p.Style, p.explode(), p.Shape, p.In)
	}
	switch p.In {
	case InPath:
		if !p.Required {
			return bad("a path parameter must be required")
		}
		if p.Style != StyleSimple && p.Style != StyleLabel && p.Style != StyleMatrix {
			return styleErr()
		}
	case InQuery:
		switch p.Style {
		case StyleForm:
		case StyleSpaceDelimited, StylePipeDelimited:
			if p.Shape == ShapePrimitive || (p.Shape == ShapeObject && p.explode()) {
				return styleErr()
			}
		case StyleDeepObject:
			if p.Shape != ShapeObject {
				return styleErr()
			}
		default:
			return styleErr()
		}
		if p.Shape == ShapeObject && p.Style == StyleForm && p.explode() && len(p.PropTypes) == 0 {
			return bad("an exploded form object needs its property names: nothing else tells its keys from other parameters")
		}
	case InHeader:
		if p.Style != StyleSimple {
			return styleErr()
		}
	case InCookie:
		if p.Style != StyleForm {
			return styleErr()
		}
		if p.Shape == ShapeObject && p.explode() && len(p.PropTypes) == 0 {
			return bad("an exploded form object needs its property names: nothing else tells its cookies from other parameters")
		}
	}
	if p.Style == StyleDeepObject || (p.Shape == ShapeObject && p.Style == StyleForm && p.explode()) {
		for name := range p.PropTypes {
			if name == "" || strings.ContainsAny(name, "[]") {
				return bad("property name %q cannot be written as a key", name)
			}
		}
	}
	return nil
}
