package oasparam

import (
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// combo is one location × style × explode the specification defines.
type combo struct {
	in      In
	style   Style
	explode bool
}

var combos = []combo{
	{InPath, StyleSimple, false}, {InPath, StyleSimple, true},
	{InPath, StyleLabel, false}, {InPath, StyleLabel, true},
	{InPath, StyleMatrix, false}, {InPath, StyleMatrix, true},
	{InQuery, StyleForm, false}, {InQuery, StyleForm, true},
	{InQuery, StyleSpaceDelimited, false}, {InQuery, StyleSpaceDelimited, true},
	{InQuery, StylePipeDelimited, false}, {InQuery, StylePipeDelimited, true},
	{InQuery, StyleDeepObject, true},
	{InHeader, StyleSimple, false}, {InHeader, StyleSimple, true},
	{InCookie, StyleForm, false}, {InCookie, StyleForm, true},
}

// esc percent-encodes every byte but letters, digits, '-', '_' and '~',
// so no delimiter of any style survives in an item.
func esc(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteString("%" + strings.ToUpper(strconv.FormatUint(uint64(c)>>4, 16)) + strings.ToUpper(strconv.FormatUint(uint64(c)&15, 16)))
	}
	return b.String()
}

// encode writes v as the specification's style examples do; ok is false
// when v has no unambiguous encoding in the combination (see doc.go).
func encode(c combo, shape Shape, name string, keys []string, v any) (wire string, ok bool) {
	e := esc
	if c.in == InHeader {
		e = func(s string) string { return s }
	}
	switch shape {
	case ShapePrimitive:
		s := v.(string)
		switch c.style {
		case StyleLabel:
			return "." + e(s), true
		case StyleMatrix:
			if s == "" {
				return ";" + name, true
			}
			return ";" + name + "=" + e(s), true
		case StyleForm:
			return name + "=" + e(s), true
		}
		return e(s), true
	case ShapeArray:
		items := v.([]string)
		// [""] is written as [] is, except where each item names itself.
		itemsNamed := c.explode && c.style != StyleSimple && c.style != StyleLabel
		if len(items) == 0 || (len(items) == 1 && items[0] == "" && !itemsNamed) {
			return "", false
		}
		enc := make([]string, len(items))
		for i, s := range items {
			enc[i] = e(s)
		}
		switch c.style {
		case StyleLabel:
			if c.explode {
				return "." + strings.Join(enc, "."), true
			}
			return "." + strings.Join(enc, ","), true
		case StyleMatrix:
			if c.explode {
				return ";" + name + "=" + strings.Join(enc, ";"+name+"="), true
			}
			return ";" + name + "=" + strings.Join(enc, ","), true
		case StyleForm, StyleSpaceDelimited, StylePipeDelimited:
			if c.in == InCookie && c.explode {
				return name + "=" + strings.Join(enc, "; "+name+"="), true
			}
			if c.explode {
				return name + "=" + strings.Join(enc, "&"+name+"="), true
			}
			switch c.style {
			case StyleSpaceDelimited:
				return name + "=" + strings.Join(enc, "%20"), true
			case StylePipeDelimited:
				return name + "=" + strings.Join(enc, "|"), true
			}
			return name + "=" + strings.Join(enc, ","), true
		}
		return strings.Join(enc, ","), true
	}
	obj := v.(map[string]string)
	if len(obj) == 0 {
		return "", false
	}
	var kv, flat []string
	for _, k := range keys {
		if val, in := obj[k]; in {
			kv = append(kv, e(k)+"="+e(val))
			flat = append(flat, e(k), e(val))
		}
	}
	switch c.style {
	case StyleDeepObject:
		parts := make([]string, 0, len(keys))
		for _, k := range keys {
			if val, in := obj[k]; in {
				parts = append(parts, name+"["+e(k)+"]="+e(val))
			}
		}
		return strings.Join(parts, "&"), true
	case StyleLabel:
		if c.explode {
			return "." + strings.Join(kv, "."), true
		}
		return "." + strings.Join(flat, ","), true
	case StyleMatrix:
		if c.explode {
			return ";" + strings.Join(kv, ";"), true
		}
		return ";" + name + "=" + strings.Join(flat, ","), true
	case StyleForm:
		if c.explode && c.in == InCookie {
			return strings.Join(kv, "; "), true
		}
		if c.explode {
			return strings.Join(kv, "&"), true
		}
		return name + "=" + strings.Join(flat, ","), true
	case StyleSpaceDelimited:
		return name + "=" + strings.Join(flat, "%20"), true
	case StylePipeDelimited:
		return name + "=" + strings.Join(flat, "|"), true
	}
	if c.explode {
		return strings.Join(kv, ","), true
	}
	return strings.Join(flat, ","), true
}

// representable reports whether s can be an item in c: valid text,
// and for the styles whose delimiter cannot be escaped, free of it.
func representable(c combo, s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	switch {
	case c.in == InHeader:
		return validHeaderText(s) && !strings.ContainsAny(s, ",=") && strings.Trim(s, " \t") == s
	case c.style == StyleSpaceDelimited && !c.explode:
		return !strings.Contains(s, " ")
	case c.style == StylePipeDelimited && !c.explode:
		return !strings.Contains(s, "|")
	}
	return true
}

func wireDecode(t *testing.T, ps *Params, in In, wire string) (map[string]any, error) {
	switch in {
	case InPath:
		return ps.Path(func(string) (string, bool) { return wire, true })
	case InQuery:
		return ps.Query(wire)
	case InHeader:
		return ps.Header(http.Header{"Color": {wire}})
	}
	return ps.Cookie(http.Header{"Cookie": {wire}})
}

// FuzzRoundTrip encodes generated values in every style × explode ×
// shape, decodes them, and compares.
func FuzzRoundTrip(f *testing.F) {
	f.Add(uint8(0), "blue", "black", "brown")
	f.Add(uint8(7), "a,b", "", "c d")
	f.Add(uint8(30), "R", "100", "é|+%")
	f.Add(uint8(44), ";", ".", "=")
	f.Fuzz(func(t *testing.T, sel uint8, a, b, c string) {
		cb := combos[int(sel)%len(combos)]
		shape := Shape(int(sel) / len(combos) % 3)
		if cb.style == StyleDeepObject {
			shape = ShapeObject
		}
		if (cb.style == StyleSpaceDelimited || cb.style == StylePipeDelimited) && (shape == ShapePrimitive || (shape == ShapeObject && cb.explode)) {
			shape = ShapeArray
		}
		p := Param{Name: "color", In: cb.in, Style: cb.style, Explode: &cb.explode, Shape: shape, Required: true}
		var val any
		var want any
		var keys []string
		switch shape {
		case ShapePrimitive:
			if !representable(cb, a) || (cb.in == InHeader && strings.Contains(a, ",")) {
				return
			}
			val, want = a, a
		case ShapeArray:
			items := []string{a, b, c}[:1+int(sel)%3]
			w := make([]any, len(items))
			for i, s := range items {
				if !representable(cb, s) {
					return
				}
				w[i] = s
			}
			val, want = items, w
		case ShapeObject:
			keys = []string{"R", "G"}
			vals := []string{a, b}
			if !(cb.explode && (cb.style == StyleForm)) {
				keys = []string{a, "G"}
				vals = []string{b, c}
				if a == "G" || (cb.style == StyleDeepObject && (a == "" || strings.ContainsAny(a, "[]"))) {
					return
				}
			}
			p.PropTypes = map[string]Type{"R": TypeString, "G": TypeString}
			obj := map[string]string{}
			w := map[string]any{}
			for i, k := range keys {
				if !representable(cb, k) || !representable(cb, vals[i]) {
					return
				}
				obj[k], w[k] = vals[i], vals[i]
			}
			val, want = obj, w
		}
		wire, ok := encode(cb, shape, "color", keys, val)
		if !ok {
			return
		}
		ps, err := Compile([]Param{p}, Limits{MaxValueLength: 1 << 20, MaxKeyLength: 1 << 20})
		if err != nil {
			t.Fatalf("Compile(%+v): %v", p, err)
		}
		out, err := wireDecode(t, ps, cb.in, wire)
		if err != nil {
			t.Fatalf("%v %s: decode %q: %v", cb, shape, wire, err)
		}
		got := out[p.Name]
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%v %s: decode %q: got %#v, want %#v", cb, shape, wire, got, want)
		}
	})
}

// FuzzDecode feeds arbitrary text to every style × explode × shape ×
// type: no panic, and every refusal is an *Error of a known kind.
func FuzzDecode(f *testing.F) {
	f.Add(uint8(0), ";color=R,100,G,200")
	f.Add(uint8(12), "color[R]=100&color[G]=2e5&color[B]")
	f.Add(uint8(200), "color=%zz&&color=1,2,3")
	f.Add(uint8(99), ".a.b=c,d")
	f.Fuzz(func(t *testing.T, sel uint8, wire string) {
		cb := combos[int(sel)%len(combos)]
		shape := Shape(int(sel) / len(combos) % 3)
		typ := Type(int(sel) / 3 % 4)
		p := Param{Name: "color", In: cb.in, Style: cb.style, Explode: &cb.explode, Shape: shape,
			Type: typ, ItemType: typ, PropTypes: map[string]Type{"R": typ, "G": TypeInteger}, Required: sel&1 == 0}
		if cb.in == InPath {
			p.Required = true
		}
		if p.Check() != nil {
			return
		}
		ps, err := Compile([]Param{p}, Limits{})
		if err != nil {
			t.Fatal(err)
		}
		out, err := wireDecode(t, ps, cb.in, wire)
		if err != nil {
			var perr *Error
			if !errors.As(err, &perr) || !(errors.Is(err, ErrMissing) || errors.Is(err, ErrMalformed) || errors.Is(err, ErrLimit)) {
				t.Fatalf("decode %q: error %v is not an *Error of a known kind", wire, err)
			}
			if !strings.HasPrefix(perr.Detail, cb.in.String()+" parameter \""+p.Name+"\" ") && !strings.HasPrefix(perr.Detail, "the ") {
				t.Fatalf("decode %q: detail %q does not name the parameter or the whole", wire, perr.Detail)
			}
			return
		}
		if _, err := json.Marshal(out); err != nil {
			t.Fatalf("decode %q: result %#v is not JSON: %v", wire, out, err)
		}
	})
}
