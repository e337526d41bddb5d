package oasgen

import (
	"encoding/json"
	"math"
	"strings"
)

// skipError says why a value could not be generated deterministically;
// its text is the reason counted in [Stats].
type skipError string

func (e skipError) Error() string { return string(e) }

func skip(reason string) error { return skipError(reason) }

// maxDepth bounds the nesting of generated values.
const maxDepth = 10

// value generates a value that the schema at n accepts.
func (g *Generator) value(n node, depth int) (any, error) {
	if depth > maxDepth {
		return nil, skip("nesting deeper than 10")
	}
	v, err := g.view(n)
	if err != nil {
		return nil, err
	}
	return g.valueOf(v, depth)
}

func (g *Generator) valueOf(v *view, depth int) (any, error) {
	if v.hasConst {
		return v.constant, nil
	}
	if len(v.enum) > 0 {
		var ok []any
		for _, e := range v.enum {
			if e != nil {
				ok = append(ok, e)
			}
		}
		if len(ok) == 0 {
			return nil, nil
		}
		return ok[g.rng.IntN(len(ok))], nil
	}
	switch v.kind() {
	case "null":
		return nil, nil
	case "boolean":
		return true, nil
	case "integer", "number":
		return v.number()
	case "string":
		return g.str(v)
	case "array":
		return g.array(v, depth)
	case "object":
		return g.object(v, depth)
	}
	return nil, skip("unknown type " + v.kind())
}

// number picks the smallest integer the bounds allow, nearest 1.
func (v *view) number() (any, error) {
	lo, hi := math.Inf(-1), math.Inf(1)
	if !math.IsNaN(v.min) {
		lo = v.min
		if v.exclMin {
			lo = math.Floor(lo) + 1
		}
	}
	if !math.IsNaN(v.max) {
		hi = v.max
		if v.exclMax {
			hi = math.Ceil(hi) - 1
		}
	}
	x := math.Max(math.Ceil(lo), math.Min(1, math.Floor(hi)))
	if v.multipleOf > 0 {
		x = math.Ceil(x/v.multipleOf) * v.multipleOf
		if v.multipleOf != math.Trunc(v.multipleOf) && v.kind() == "integer" {
			return nil, skip("fractional multipleOf")
		}
	}
	if x > hi || x < lo || math.IsInf(x, 0) {
		return nil, skip("empty numeric range")
	}
	return x, nil
}

// formats are the values used for the string formats generation knows.
var formats = map[string]string{
	"date":      "2024-02-29",
	"date-time": "2024-02-29T12:30:45Z",
	"time":      "12:30:45Z",
	"uuid":      "3f2c8f1e-4b8a-4c1e-9d2a-6b5e7c9a1f20",
	"email":     "user@example.com",
	"uri":       "https://example.com/a",
	"url":       "https://example.com/a",
	"hostname":  "example.com",
	"ipv4":      "192.0.2.1",
	"ipv6":      "2001:db8::1",
	"byte":      "aGVsbG8=",
	"duration":  "P1D",
}

func (g *Generator) str(v *view) (any, error) {
	if v.pattern != "" {
		return nil, skip("pattern")
	}
	if s, ok := formats[v.format]; ok {
		if (v.minLen >= 0 && len(s) < v.minLen) || (v.maxLen >= 0 && len(s) > v.maxLen) {
			return nil, skip("format " + v.format + " with a length bound")
		}
		return s, nil
	}
	n := 8
	if v.minLen > n {
		n = v.minLen
	}
	if v.maxLen >= 0 && v.maxLen < n {
		n = v.maxLen
	}
	if n > 4096 {
		return nil, skip("minLength over 4096")
	}
	var b strings.Builder
	for range n {
		b.WriteByte(byte('a' + g.rng.IntN(26)))
	}
	return b.String(), nil
}

func (g *Generator) array(v *view, depth int) (any, error) {
	n := max(v.minItems, 1)
	if v.maxItems >= 0 && v.maxItems < n {
		n = v.maxItems
	}
	if n > 64 {
		return nil, skip("minItems over 64")
	}
	items := node{v: map[string]any{}}
	if v.items != nil {
		items = *v.items
	}
	out := make([]any, 0, n)
	seen := map[string]bool{}
	for range n {
		x, err := g.value(items, depth+1)
		if err != nil {
			return nil, err
		}
		if v.unique {
			k, _ := json.Marshal(x)
			if seen[string(k)] {
				return nil, skip("uniqueItems")
			}
			seen[string(k)] = true
		}
		out = append(out, x)
	}
	return out, nil
}

func (g *Generator) object(v *view, depth int) (any, error) {
	out := map[string]any{}
	for _, k := range v.required {
		p, ok := v.props[k]
		if !ok {
			out[k] = "x" // required but undeclared: any value
			continue
		}
		pv, err := g.view(p)
		if err != nil {
			return nil, err
		}
		if pv.readOnly {
			continue // not sent in requests, required or not
		}
		x, err := g.valueOf(pv, depth+1)
		if err != nil {
			return nil, err
		}
		out[k] = x
	}
	// Optional properties, some of them: they exercise more of the schema.
	for _, k := range v.order {
		if _, done := out[k]; done || depth > 2 {
			continue
		}
		if len(out) >= v.minProperties && g.rng.IntN(2) == 0 {
			continue
		}
		pv, err := g.view(v.props[k])
		if err != nil || pv.readOnly {
			continue
		}
		x, err := g.valueOf(pv, depth+1)
		if err != nil {
			continue // an optional property that cannot be made is left out
		}
		out[k] = x
	}
	if len(out) < v.minProperties {
		return nil, skip("minProperties")
	}
	return out, nil
}
