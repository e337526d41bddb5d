package openapi

import (
	"encoding/json"
	"slices"
)

// translate rewrites one OAS 3.0 Schema Object, in place, as JSON Schema
// 2020-12 (its subschemas are walked by the caller):
//
//   - nullable: true adds "null" to type, and null to enum when there is
//     one; nullable is dropped;
//   - a boolean exclusiveMinimum or exclusiveMaximum becomes the number of
//     the minimum or maximum it qualifies, which is dropped;
//   - example becomes examples: [example].
//
// Extensions (x-) are left for the inventory to read.
func (l *loader) translate(m map[string]any, where string) {
	if v, ok := m["nullable"]; ok {
		nullable, isBool := v.(bool)
		if !isBool {
			l.schemaProblem(where, "nullable is not a boolean")
		}
		delete(m, "nullable")
		if nullable {
			switch t := m["type"].(type) {
			case string:
				m["type"] = []any{t, "null"}
			case nil:
				// no type: null is already allowed
			default:
				l.schemaProblem(where, "type must be a string in OpenAPI 3.0")
			}
			if enum, ok := m["enum"].([]any); ok && !slices.Contains(enum, nil) {
				m["enum"] = append(enum, nil)
			}
		}
	}
	l.exclusive(m, "exclusiveMinimum", "minimum", where)
	l.exclusive(m, "exclusiveMaximum", "maximum", where)
	if ex, ok := m["example"]; ok {
		delete(m, "example")
		if _, has := m["examples"]; !has {
			m["examples"] = []any{ex}
		}
	}
}

// exclusive rewrites OAS 3.0's boolean exclusive bound ex, which
// qualifies bound, as 2020-12's numeric one.
func (l *loader) exclusive(m map[string]any, ex, bound, where string) {
	v, ok := m[ex]
	if !ok {
		return
	}
	b, isBool := v.(bool)
	if !isBool {
		l.schemaProblem(where, "%s must be a boolean in OpenAPI 3.0", ex)
		return
	}
	delete(m, ex)
	if !b {
		return
	}
	n, ok := m[bound].(json.Number)
	if !ok {
		l.schemaProblem(where, "%s: true needs a numeric %s", ex, bound)
		return
	}
	m[ex] = n
	delete(m, bound)
}
