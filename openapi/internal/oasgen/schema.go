package oasgen

import (
	"math"
	"slices"
)

// A view is one schema with its allOf merged in and its first usable
// oneOf/anyOf branch taken, reduced to what generation reads.
type view struct {
	types    []string // "type", as a list; empty when unsaid
	nullable bool     // OAS 3.0 nullable, or "null" among types

	enum     []any
	hasConst bool
	constant any

	format, pattern string
	minLen, maxLen  int // -1 when unsaid

	min, max         float64 // NaN when unsaid
	exclMin, exclMax bool    // the bound itself is excluded
	multipleOf       float64 // 0 when unsaid

	items              *node
	minItems, maxItems int // maxItems -1 when unsaid
	unique             bool

	props         map[string]node
	order         []string // property names in document order (sorted: JSON objects have none)
	required      []string
	closed        bool // additionalProperties: false
	minProperties int

	readOnly bool
	// branched is true when a oneOf or anyOf was involved: the view is one
	// branch of several, so mutations of it are not sure to be invalid.
	branched bool
}

// maxAllOf bounds allOf nesting while merging.
const maxAllOf = 16

func (g *Generator) view(n node) (*view, error) {
	v := &view{minLen: -1, maxLen: -1, min: math.NaN(), max: math.NaN(), maxItems: -1}
	if err := g.merge(v, n, 0); err != nil {
		return nil, err
	}
	return v, nil
}

func (g *Generator) merge(v *view, n node, depth int) error {
	if depth > maxAllOf {
		return skip("allOf nesting")
	}
	n, err := g.refs.deref(n)
	if err != nil {
		return err
	}
	m, ok := n.v.(map[string]any)
	if !ok {
		if b, ok := n.v.(bool); ok && !b {
			return skip("schema false")
		}
		return nil
	}
	switch t := m["type"].(type) {
	case string:
		v.types = intersect(v.types, []string{t})
	case []any:
		var ts []string
		for _, x := range t {
			if s, ok := x.(string); ok {
				ts = append(ts, s)
			}
		}
		v.types = intersect(v.types, ts)
	}
	if b, _ := m["nullable"].(bool); b {
		v.nullable = true
	}
	if e, ok := m["enum"].([]any); ok {
		v.enum = e
	}
	if c, ok := m["const"]; ok {
		v.hasConst, v.constant = true, c
	}
	if s, ok := m["format"].(string); ok {
		v.format = s
	}
	if s, ok := m["pattern"].(string); ok {
		v.pattern = s
	}
	setInt(&v.minLen, m["minLength"], true)
	setInt(&v.maxLen, m["maxLength"], false)
	setInt(&v.minItems, m["minItems"], true)
	setInt(&v.maxItems, m["maxItems"], false)
	setInt(&v.minProperties, m["minProperties"], true)
	if f, ok := m["minimum"].(float64); ok {
		v.min = f
		if b, _ := m["exclusiveMinimum"].(bool); b {
			v.exclMin = true
		}
	}
	if f, ok := m["maximum"].(float64); ok {
		v.max = f
		if b, _ := m["exclusiveMaximum"].(bool); b {
			v.exclMax = true
		}
	}
	if f, ok := m["exclusiveMinimum"].(float64); ok { // 3.1: a number
		v.min, v.exclMin = f, true
	}
	if f, ok := m["exclusiveMaximum"].(float64); ok {
		v.max, v.exclMax = f, true
	}
	if f, ok := m["multipleOf"].(float64); ok && f > 0 {
		v.multipleOf = f
	}
	if it, ok := m["items"]; ok {
		v.items = &node{v: it, file: n.file}
	}
	if b, _ := m["uniqueItems"].(bool); b {
		v.unique = true
	}
	if b, _ := m["readOnly"].(bool); b {
		v.readOnly = true
	}
	if ps, ok := m["properties"].(map[string]any); ok {
		if v.props == nil {
			v.props = map[string]node{}
		}
		for _, k := range sortedKeys(ps) {
			if _, dup := v.props[k]; !dup {
				v.order = append(v.order, k)
			}
			v.props[k] = node{v: ps[k], file: n.file}
		}
	}
	if rs, ok := m["required"].([]any); ok {
		for _, r := range rs {
			if s, ok := r.(string); ok && !slices.Contains(v.required, s) {
				v.required = append(v.required, s)
			}
		}
	}
	if b, ok := m["additionalProperties"].(bool); ok && !b {
		v.closed = true
	}
	if all, ok := m["allOf"].([]any); ok {
		for _, s := range all {
			if err := g.merge(v, node{v: s, file: n.file}, depth+1); err != nil {
				return err
			}
		}
	}
	for _, kw := range []string{"oneOf", "anyOf"} {
		alts, ok := m[kw].([]any)
		if !ok || len(alts) == 0 {
			continue
		}
		v.branched = true
		if kw == "oneOf" {
			for _, a := range alts {
				an, err := g.refs.deref(node{v: a, file: n.file})
				if err != nil {
					return err
				}
				if untyped(an.v) {
					// A branch that accepts anything matches whatever another
					// branch matches: no value satisfies exactly one but
					// those of the untyped branch alone, which generation
					// cannot choose without knowing every other branch.
					return skip("oneOf with an untyped branch")
				}
			}
		}
		// The first branch that is not only null: its value satisfies it,
		// and for oneOf the generated value must match no other branch,
		// which the differential test checks against a second validator.
		pick := alts[0]
		for _, a := range alts {
			an, err := g.refs.deref(node{v: a, file: n.file})
			if err != nil {
				return err
			}
			if am, ok := an.v.(map[string]any); ok && am["type"] != "null" {
				pick = a
				break
			}
		}
		if err := g.merge(v, node{v: pick, file: n.file}, depth+1); err != nil {
			return err
		}
	}
	return nil
}

// setInt stores a non-negative integer keyword; low says whether it is a
// lower bound (the larger wins) or an upper one (the smaller wins).
func setInt(dst *int, x any, low bool) {
	f, ok := x.(float64)
	if !ok || f < 0 || f != math.Trunc(f) {
		return
	}
	n := int(min(f, 1<<30))
	switch {
	case *dst < 0, low && n > *dst, !low && n < *dst:
		*dst = n
	}
}

// intersect narrows a type list by another: allOf means both hold.
func intersect(have, more []string) []string {
	if len(have) == 0 {
		return more
	}
	var out []string
	for _, t := range have {
		if slices.Contains(more, t) || (t == "integer" && slices.Contains(more, "number")) {
			out = append(out, t)
		} else if t == "number" && slices.Contains(more, "integer") {
			out = append(out, "integer")
		}
	}
	return out
}

// kind is the type a generated value takes: the first non-null type, or
// one inferred from the keywords when the schema says none.
func (v *view) kind() string {
	for _, t := range v.types {
		if t != "null" {
			return t
		}
	}
	if len(v.types) > 0 {
		return "null"
	}
	switch {
	case v.props != nil || len(v.required) > 0:
		return "object"
	case v.items != nil:
		return "array"
	case !math.IsNaN(v.min) || !math.IsNaN(v.max):
		return "number"
	}
	return "string"
}

// definite reports whether the view has one sure type: no oneOf/anyOf and
// one declared non-null type.
func (v *view) definite() bool {
	if v.branched {
		return false
	}
	n := 0
	for _, t := range v.types {
		if t != "null" {
			n++
		}
	}
	return n == 1
}

// untyped reports whether a schema constrains no type: it accepts values
// of every type.
func untyped(s any) bool {
	m, ok := s.(map[string]any)
	if !ok {
		return s == true
	}
	for _, k := range []string{"type", "enum", "const", "properties", "items", "allOf", "oneOf", "anyOf", "$ref", "not", "required"} {
		if _, ok := m[k]; ok {
			return false
		}
	}
	return true
}
