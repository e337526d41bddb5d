package validate

import (
	"encoding"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"github.com/apishield/apishield/internal/schemacheck"
	"math"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	apierrors "github.com/apishield/apishield/errors"
)

// Binding fills a Go value from the decoded, validated body: the very
// values the schema checked, so there is no second parse of untrusted
// bytes and no parser differential between the check and the use. It
// follows encoding/json's rules for names (json tags, exact match), null
// (no change, or nil for pointers, maps, slices and interfaces), []byte
// (base64) and json.Unmarshaler, with three differences: a property
// without a field is an error, never dropped; an integer in any JSON form
// (1.0, 1e1) fills an int; and a number the field cannot hold is a 422 at
// its pointer, not a silent overflow or a generic error.

var (
	jsonUnmarshalerType = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
	numberType          = reflect.TypeFor[json.Number]()
	timeType            = reflect.TypeFor[time.Time]()
)

// A field is where a struct holds one property.
type field struct {
	name  string
	index []int
	typ   reflect.Type
}

// fieldsCache maps a struct type to its fields by property name, or to the
// error that makes it unusable.
var fieldsCache sync.Map // reflect.Type → fieldsResult

type fieldsResult struct {
	fields []field
	err    error
}

// fieldsOf lists the properties a struct type holds, by encoding/json's
// rules: exported fields under their json tag name (or Go name), fields of
// embedded structs promoted, "-" skipped; a shallower field hides a deeper
// one of the same name, and at the same depth a tagged one an untagged
// one. Two left that tie are an error (encoding/json would drop both
// silently), as is the ",string" option, which this binder does not read.
func fieldsOf(t reflect.Type) ([]field, error) {
	if r, ok := fieldsCache.Load(t); ok {
		return r.(fieldsResult).fields, r.(fieldsResult).err
	}
	type cand struct {
		field
		depth  int
		tagged bool
	}
	var cands []cand
	var walk func(t reflect.Type, index []int, seen map[reflect.Type]bool) error
	walk = func(t reflect.Type, index []int, seen map[reflect.Type]bool) error {
		if seen[t] {
			return nil
		}
		seen[t] = true
		for i := range t.NumField() {
			f := t.Field(i)
			tag := f.Tag.Get("json")
			if tag == "-" {
				continue
			}
			name, opts, _ := strings.Cut(tag, ",")
			idx := append(slices.Clip(index), i)
			ft := f.Type
			if f.Anonymous && name == "" {
				et := ft
				if et.Kind() == reflect.Pointer {
					et = et.Elem()
				}
				if et.Kind() == reflect.Struct {
					if ft.Kind() == reflect.Pointer && !f.IsExported() {
						return fmt.Errorf("embedded field %s is a pointer to an unexported type, which cannot be allocated", f.Name)
					}
					if err := walk(et, idx, seen); err != nil {
						return err
					}
					continue
				}
			}
			if !f.IsExported() {
				continue
			}
			for o := range strings.SplitSeq(opts, ",") {
				if o == "string" {
					return fmt.Errorf("field %s has the ,string option, which Decode does not support", f.Name)
				}
			}
			tagged := name != ""
			if name == "" {
				name = f.Name
			}
			cands = append(cands, cand{field{name, idx, ft}, len(idx), tagged})
		}
		delete(seen, t)
		return nil
	}
	var out []field
	err := walk(t, nil, map[reflect.Type]bool{})
	if err == nil {
		slices.SortStableFunc(cands, func(a, b cand) int {
			if c := strings.Compare(a.name, b.name); c != 0 {
				return c
			}
			if a.depth != b.depth {
				return a.depth - b.depth
			}
			if a.tagged != b.tagged {
				if a.tagged {
					return -1
				}
				return 1
			}
			return 0
		})
		for i := 0; i < len(cands); {
			j := i + 1
			for j < len(cands) && cands[j].name == cands[i].name {
				j++
			}
			if j > i+1 && cands[i+1].depth == cands[i].depth && cands[i+1].tagged == cands[i].tagged {
				err = fmt.Errorf("two fields hold the property %q", cands[i].name)
				break
			}
			out = append(out, cands[i].field)
			i = j
		}
	}
	if err != nil {
		err = fmt.Errorf("%v: %w", t, err)
		out = nil
	}
	fieldsCache.Store(t, fieldsResult{out, err})
	return out, err
}

// A binder fills one value; path is the pointer to it, kept as tokens so
// it is built only for an error.
type binder struct {
	path []string
}

// bindError is a value the type cannot hold: a 422 at its pointer.
func (b *binder) refuse(detail string) error {
	return apierrors.New(http.StatusUnprocessableEntity, apierrors.ReasonValidationFailed,
		"The request does not match its schema.").WithErrors(apierrors.FieldError{
		In: apierrors.InBody, Pointer: schemacheck.Pointer(b.path), Detail: detail, Keyword: "type"})
}

// mismatch is a value the schema let through that the type has no place
// for: a bug in the pairing of schema and type that the start-up check
// missed, so a 500, never a guess.
func (b *binder) mismatch(t reflect.Type, src any) error {
	return apierrors.Internal(fmt.Errorf("%w: %v cannot hold the %T at %q", ErrBodyType, t, src, schemacheck.Pointer(b.path)))
}

// bind fills dst, which is settable, from src.
func (b *binder) bind(dst reflect.Value, src any) error {
	t := dst.Type()
	if src == nil {
		switch t.Kind() {
		case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Interface:
			dst.SetZero()
		}
		return nil
	}
	if t.Kind() == reflect.Pointer {
		if dst.IsNil() {
			dst.Set(reflect.New(t.Elem()))
		}
		return b.bind(dst.Elem(), src)
	}
	if t == timeType || (reflect.PointerTo(t).Implements(textUnmarshalerType) && !reflect.PointerTo(t).Implements(jsonUnmarshalerType)) {
		// time.Time's UnmarshalText parses exactly what its UnmarshalJSON does.
		s, ok := src.(string)
		if !ok {
			return b.mismatch(t, src)
		}
		if err := dst.Addr().Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(s)); err != nil {
			return b.refuse("is not a valid value")
		}
		return nil
	}
	if t != numberType && reflect.PointerTo(t).Implements(jsonUnmarshalerType) {
		raw, err := json.Marshal(src)
		if err != nil {
			return apierrors.Internal(err)
		}
		if err := dst.Addr().Interface().(json.Unmarshaler).UnmarshalJSON(raw); err != nil {
			return b.refuse("is not a valid value")
		}
		return nil
	}
	switch t.Kind() {
	case reflect.Interface:
		if t.NumMethod() != 0 {
			return b.mismatch(t, src)
		}
		dst.Set(reflect.ValueOf(copyValue(src)))
	case reflect.String:
		switch s := src.(type) {
		case string:
			if t == numberType {
				return b.mismatch(t, src)
			}
			dst.SetString(s)
		case json.Number:
			if t != numberType {
				return b.mismatch(t, src)
			}
			dst.SetString(string(s))
		default:
			return b.mismatch(t, src)
		}
	case reflect.Bool:
		v, ok := src.(bool)
		if !ok {
			return b.mismatch(t, src)
		}
		dst.SetBool(v)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		s, ok := src.(json.Number)
		if !ok {
			return b.mismatch(t, src)
		}
		n, res := parseInt(string(s))
		bits := t.Bits()
		if res == intFraction {
			return b.refuse("must be integer")
		}
		if res != intOK || dst.OverflowInt(n) {
			return b.refuse("must be an integer from " + strconv.FormatInt(-1<<(bits-1), 10) + " to " + strconv.FormatInt(1<<(bits-1)-1, 10))
		}
		dst.SetInt(n)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		s, ok := src.(json.Number)
		if !ok {
			return b.mismatch(t, src)
		}
		u, neg, res := parseInteger(string(s))
		if res == intFraction {
			return b.refuse("must be integer")
		}
		if res != intOK || (neg && u != 0) || dst.OverflowUint(u) {
			return b.refuse("must be an integer from 0 to " + strconv.FormatUint(math.MaxUint64>>(64-t.Bits()), 10))
		}
		dst.SetUint(u)
	case reflect.Float32, reflect.Float64:
		s, ok := src.(json.Number)
		if !ok {
			return b.mismatch(t, src)
		}
		f, ok := parseFloat(string(s))
		if !ok || dst.OverflowFloat(f) {
			max := math.MaxFloat64
			if t.Kind() == reflect.Float32 {
				max = math.MaxFloat32
			}
			m := strconv.FormatFloat(max, 'g', -1, 64)
			return b.refuse("must be a number from -" + m + " to " + m)
		}
		dst.SetFloat(f)
	case reflect.Struct:
		m, ok := src.(map[string]any)
		if !ok {
			return b.mismatch(t, src)
		}
		fields, err := fieldsOf(t)
		if err != nil {
			return apierrors.Internal(fmt.Errorf("%w: %w", ErrBodyType, err))
		}
		found := 0
		for i := range fields {
			f := &fields[i]
			val, ok := m[f.name]
			if !ok {
				continue
			}
			found++
			b.path = append(b.path, f.name)
			if err := b.bind(fieldByIndex(dst, f.index), val); err != nil {
				return err
			}
			b.path = b.path[:len(b.path)-1]
		}
		if found != len(m) {
			for k := range m {
				if !slices.ContainsFunc(fields, func(f field) bool { return f.name == k }) {
					b.path = append(b.path, k)
					break
				}
			}
			return b.mismatch(t, m)
		}
	case reflect.Map:
		m, ok := src.(map[string]any)
		if !ok || t.Key().Kind() != reflect.String {
			return b.mismatch(t, src)
		}
		if dst.IsNil() {
			dst.Set(reflect.MakeMapWithSize(t, len(m)))
		}
		elem := reflect.New(t.Elem()).Elem()
		for k, val := range m {
			elem.SetZero()
			b.path = append(b.path, k)
			if err := b.bind(elem, val); err != nil {
				return err
			}
			b.path = b.path[:len(b.path)-1]
			dst.SetMapIndex(reflect.ValueOf(k).Convert(t.Key()), elem)
		}
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 && !reflect.PointerTo(t.Elem()).Implements(jsonUnmarshalerType) && !reflect.PointerTo(t.Elem()).Implements(textUnmarshalerType) {
			s, ok := src.(string)
			if !ok {
				return b.mismatch(t, src)
			}
			raw, err := base64.StdEncoding.DecodeString(s)
			if err != nil {
				return b.refuse("must be base64")
			}
			dst.SetBytes(raw)
			return nil
		}
		a, ok := src.([]any)
		if !ok {
			return b.mismatch(t, src)
		}
		s := reflect.MakeSlice(t, len(a), len(a))
		for i, val := range a {
			b.path = append(b.path, strconv.Itoa(i))
			if err := b.bind(s.Index(i), val); err != nil {
				return err
			}
			b.path = b.path[:len(b.path)-1]
		}
		dst.Set(s)
	case reflect.Array:
		a, ok := src.([]any)
		if !ok {
			return b.mismatch(t, src)
		}
		if len(a) > t.Len() {
			return b.refuse("must have at most " + schemacheck.Count(t.Len(), "item", "items"))
		}
		dst.SetZero()
		for i, val := range a {
			b.path = append(b.path, strconv.Itoa(i))
			if err := b.bind(dst.Index(i), val); err != nil {
				return err
			}
			b.path = b.path[:len(b.path)-1]
		}
	default:
		return b.mismatch(t, src)
	}
	return nil
}

// fieldByIndex is reflect.Value.FieldByIndex, allocating nil embedded
// struct pointers on the way.
func fieldByIndex(v reflect.Value, index []int) reflect.Value {
	for i, x := range index {
		if i > 0 && v.Kind() == reflect.Pointer {
			if v.IsNil() {
				v.Set(reflect.New(v.Type().Elem()))
			}
			v = v.Elem()
		}
		v = v.Field(x)
	}
	return v
}

// copyValue deep-copies a decoded value, so a handler that changes what
// it was given does not change what [Body] returns.
func copyValue(v any) any {
	switch v := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(v))
		for k, e := range v {
			m[k] = copyValue(e)
		}
		return m
	case []any:
		a := make([]any, len(v))
		for i, e := range v {
			a[i] = copyValue(e)
		}
		return a
	}
	return v
}
