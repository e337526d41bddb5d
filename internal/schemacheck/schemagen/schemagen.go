// Package schemagen generates JSON values from compiled schemas for the
// differential tests of schemacheck's fast path: values meant to be valid,
// and mutations of them that often are not. It guesses; it proves
// nothing, and the tests that use it ask jsonschema v6 what each value
// is.
//
// Values are what schemacheck.DecodeScanned produces: map[string]any,
// []any, string, json.Number, bool and nil. Nothing outside tests imports
// it.
package schemagen

import (
	"encoding/json"
	"math/big"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// maxDepth bounds the values generated, so recursive schemas end.
const maxDepth = 8

// Value returns a value that aims to satisfy s.
func Value(s *jsonschema.Schema, rng *rand.Rand) any {
	return gen(s, rng, 0)
}

func gen(s *jsonschema.Schema, rng *rand.Rand, depth int) any {
	if s == nil {
		return "x"
	}
	if s.Bool != nil {
		if *s.Bool {
			return json.Number("1")
		}
		return nil
	}
	if depth > maxDepth {
		return nil
	}
	if s.Const != nil {
		return *s.Const
	}
	if s.Enum != nil && len(s.Enum.Values) > 0 {
		return s.Enum.Values[rng.IntN(len(s.Enum.Values))]
	}
	var branches []*jsonschema.Schema
	if s.Ref != nil {
		branches = append(branches, s.Ref)
	}
	if s.DynamicRef != nil {
		branches = append(branches, s.DynamicRef.Ref)
	}
	branches = append(branches, s.AllOf...)
	if len(s.AnyOf) > 0 {
		branches = append(branches, s.AnyOf[rng.IntN(len(s.AnyOf))])
	}
	if len(s.OneOf) > 0 {
		branches = append(branches, s.OneOf[rng.IntN(len(s.OneOf))])
	}
	own := s.Types != nil || len(s.Properties) > 0 || s.Items2020 != nil
	if !own && len(branches) > 0 {
		// Merge the objects the branches give; else take the first.
		var merged map[string]any
		for _, b := range branches {
			v := gen(b, rng, depth+1)
			m, ok := v.(map[string]any)
			if !ok {
				return v
			}
			if merged == nil {
				merged = map[string]any{}
			}
			for k, x := range m {
				merged[k] = x
			}
		}
		return merged
	}
	types := []string{"object"}
	if s.Types != nil {
		types = s.Types.ToStrings()
		if len(types) > 1 {
			types = slices.DeleteFunc(types, func(t string) bool { return t == "null" })
		}
	} else if len(s.Properties) == 0 {
		switch {
		case s.Items2020 != nil || len(s.PrefixItems) > 0:
			types = []string{"array"}
		case s.MinLength != nil || s.MaxLength != nil || s.Pattern != nil || s.Format != nil:
			types = []string{"string"}
		case s.Minimum != nil || s.Maximum != nil:
			types = []string{"number"}
		}
	}
	switch types[rng.IntN(len(types))] {
	case "null":
		return nil
	case "boolean":
		return rng.IntN(2) == 0
	case "integer":
		return json.Number(strconv.FormatInt(integer(s, rng), 10))
	case "number":
		if s.MultipleOf == nil && rng.IntN(3) == 0 {
			return json.Number(strconv.FormatInt(integer(s, rng), 10) + ".5")
		}
		return json.Number(strconv.FormatInt(integer(s, rng), 10))
	case "string":
		return str(s, rng)
	case "array":
		n := 0
		if s.MinItems != nil {
			n = *s.MinItems
		}
		hi := n + 3
		if s.MaxItems != nil {
			hi = min(hi, *s.MaxItems)
		}
		if hi > n {
			n += rng.IntN(hi - n + 1)
		}
		arr := make([]any, 0, n)
		for i := range n {
			item := s.Items2020
			if i < len(s.PrefixItems) {
				item = s.PrefixItems[i]
			}
			arr = append(arr, gen(item, rng, depth+1))
		}
		return arr
	default:
		obj := map[string]any{}
		keys := make([]string, 0, len(s.Properties))
		for k := range s.Properties {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			if slices.Contains(s.Required, k) || rng.IntN(10) < 7 {
				obj[k] = gen(s.Properties[k], rng, depth+1)
			}
		}
		for _, k := range s.Required {
			if _, ok := obj[k]; !ok {
				obj[k] = "x"
			}
		}
		return obj
	}
}

// integer returns an integer within s's bounds when they are integers.
func integer(s *jsonschema.Schema, rng *rand.Rand) int64 {
	lo, hi := int64(-5), int64(100)
	if r := s.Minimum; r != nil {
		lo = ceil(r)
	}
	if r := s.ExclusiveMinimum; r != nil {
		lo = ceil(r) + 1
	}
	if r := s.Maximum; r != nil {
		hi = floorRat(r)
	}
	if r := s.ExclusiveMaximum; r != nil {
		hi = floorRat(r) - 1
	}
	if hi < lo {
		hi = lo
	}
	span := hi - lo
	if span < 0 || span > 1000 { // large, or overflowed
		span = 1000
	}
	x := lo + rng.Int64N(span+1)
	if m := s.MultipleOf; m != nil && m.IsInt() && m.Num().IsInt64() && m.Num().Int64() > 0 {
		x -= x % m.Num().Int64()
	}
	return x
}

func ceil(r *big.Rat) int64 {
	f, _ := r.Float64()
	if f > 1e15 || f < -1e15 {
		return int64(f / 2)
	}
	i := int64(f)
	if float64(i) < f {
		i++
	}
	return i
}

func floorRat(r *big.Rat) int64 {
	f, _ := r.Float64()
	if f > 1e15 || f < -1e15 {
		return int64(f / 2)
	}
	i := int64(f)
	if float64(i) > f {
		i--
	}
	return i
}

// formats holds a sample value of the common formats.
var formats = map[string]string{
	"date-time": "2024-05-06T07:08:09Z", "date": "2024-05-06", "time": "07:08:09Z",
	"email": "a@example.com", "uuid": "0b8e7d4c-1f2a-4b3c-9d8e-7f6a5b4c3d2e",
	"uri": "https://example.com/a", "uri-reference": "/a", "ipv4": "192.0.2.1", "ipv6": "2001:db8::1",
	"hostname": "example.com", "duration": "P1D", "regex": "^a+$", "byte": "YWJj",
	"int32": "1", "int64": "1",
}

func str(s *jsonschema.Schema, rng *rand.Rand) string {
	if s.Format != nil {
		if v, ok := formats[s.Format.Name]; ok {
			return v
		}
	}
	n := 3
	if s.MinLength != nil {
		n = max(n, *s.MinLength)
	}
	if s.MaxLength != nil {
		n = min(n, *s.MaxLength)
	}
	alphabet := []string{"a", "b", "z", "0", "é", "日"}
	var b strings.Builder
	for range n {
		b.WriteString(alphabet[rng.IntN(len(alphabet))])
	}
	return b.String()
}

// Mutate returns a copy of v with one random change somewhere: a value of
// another type, an integer written as 1.0 or 1e2, a large or negative
// number, a longer string, a key dropped or added, an item repeated.
func Mutate(v any, rng *rand.Rand) any {
	switch x := v.(type) {
	case map[string]any:
		if len(x) > 0 && rng.IntN(3) > 0 {
			keys := make([]string, 0, len(x))
			for k := range x {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			k := keys[rng.IntN(len(keys))]
			out := make(map[string]any, len(x))
			for kk, vv := range x {
				out[kk] = vv
			}
			if rng.IntN(4) == 0 {
				delete(out, k)
			} else {
				out[k] = Mutate(x[k], rng)
			}
			return out
		}
		out := make(map[string]any, len(x)+1)
		for kk, vv := range x {
			out[kk] = vv
		}
		out["zz_extra"] = scalar(rng)
		return out
	case []any:
		if len(x) > 0 && rng.IntN(3) > 0 {
			out := slices.Clone(x)
			i := rng.IntN(len(x))
			if rng.IntN(3) == 0 {
				return append(out, out[i])
			}
			out[i] = Mutate(x[i], rng)
			return out
		}
		return append(slices.Clone(x), scalar(rng))
	case string:
		switch rng.IntN(4) {
		case 0:
			return x + strings.Repeat("é", 1+rng.IntN(300))
		case 1:
			return ""
		case 2:
			return scalar(rng)
		}
		return x + "~"
	case json.Number:
		variants := []string{"1e2", "1.0", "-0", "0.5", "-1",
			"123456789012345678", "1234567890123456789", "99999999999999999999999", "-9223372036854775809",
			"2147483648", "-2147483649", "1E400"}
		if rng.IntN(5) == 0 {
			return scalar(rng)
		}
		if isDigits(string(x)) && rng.IntN(3) == 0 {
			return json.Number(string(x) + [...]string{".0", "e2", "5", ".25"}[rng.IntN(4)])
		}
		return json.Number(variants[rng.IntN(len(variants))])
	}
	return scalar(rng)
}

func scalar(rng *rand.Rand) any {
	switch rng.IntN(7) {
	case 0:
		return nil
	case 1:
		return true
	case 2:
		return json.Number("7")
	case 3:
		return "s"
	case 4:
		return []any{}
	case 5:
		return map[string]any{}
	}
	return json.Number("1.5")
}

// isDigits reports whether s is an optional '-' and digits.
func isDigits(s string) bool {
	s = strings.TrimPrefix(s, "-")
	return s != "" && strings.Trim(s, "0123456789") == ""
}
