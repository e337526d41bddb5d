package validate

import (
	"encoding/json"
	"github.com/apishield/apishield/internal/schemacheck"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	apierrors "github.com/apishield/apishield/errors"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// A param is one parameter a Query, Path or Header schema declares, with the
// types its string values are coerced to.
type param struct {
	name  string
	types []string // the parameter's JSON types
	items []string // for an array parameter, its items' types
}

// paramsOf lists the properties an object schema declares, in name order.
func paramsOf(sch *jsonschema.Schema) []param {
	sch = resolve(sch)
	if sch == nil {
		return nil
	}
	names := make([]string, 0, len(sch.Properties))
	for n := range sch.Properties {
		names = append(names, n)
	}
	sort.Strings(names)
	out := make([]param, len(names))
	for i, n := range names {
		ps := resolve(sch.Properties[n])
		p := param{name: n, types: typesOf(ps)}
		if ps != nil {
			switch it := ps.Items.(type) {
			case *jsonschema.Schema:
				p.items = typesOf(it)
			}
			if ps.Items2020 != nil {
				p.items = typesOf(ps.Items2020)
			}
		}
		out[i] = p
	}
	return out
}

func findParam(ps []param, name string) (param, bool) {
	i, ok := slices.BinarySearchFunc(ps, name, func(p param, n string) int { return strings.Compare(p.name, n) })
	if !ok {
		return param{}, false
	}
	return ps[i], true
}

// maxQueryBytes bounds the raw query string parsed for a Query schema.
const maxQueryBytes = 16 << 10

func (v *Validator) queryValues(r *http.Request) (map[string][]string, error) {
	raw := r.URL.RawQuery
	if len(raw) > maxQueryBytes {
		return nil, apierrors.New(http.StatusBadRequest, apierrors.ReasonMalformedRequest,
			"The query string is longer than the limit of 16384 bytes.").WithCause(schemacheck.ErrQueryLimit)
	}
	if n := strings.Count(raw, "&") + strings.Count(raw, ";") + 1; n > v.limits.MaxObjectKeys {
		return nil, apierrors.New(http.StatusBadRequest, apierrors.ReasonMalformedRequest,
			"The query string has more than the limit of "+strconv.Itoa(v.limits.MaxObjectKeys)+" parameters.").WithCause(schemacheck.ErrQueryLimit)
	}
	vals, err := url.ParseQuery(raw)
	if err != nil {
		return nil, apierrors.New(http.StatusBadRequest, apierrors.ReasonMalformedRequest,
			"The query string is not valid URL encoding.").WithCause(err)
	}
	for k := range vals {
		if !utf8.ValidString(k) || len(k) > v.limits.MaxStringLength {
			return nil, apierrors.New(http.StatusBadRequest, apierrors.ReasonMalformedRequest,
				"A query parameter name is longer than the limit of "+strconv.Itoa(v.limits.MaxStringLength)+" bytes or not valid UTF-8.")
		}
	}
	return vals, nil
}

func (v *Validator) pathValues(r *http.Request) map[string][]string {
	out := make(map[string][]string, len(v.pathParams))
	for _, p := range v.pathParams {
		if s := v.pathParam(r, p.name); s != "" {
			out[p.name] = []string{s}
		}
	}
	return out
}

// headerValues collects the declared headers under the names the schema
// uses, so a schema property "x-tenant" matches an "X-Tenant" header.
func (v *Validator) headerValues(r *http.Request) map[string][]string {
	out := make(map[string][]string, len(v.headerParams))
	for _, p := range v.headerParams {
		if vs := r.Header.Values(p.name); len(vs) > 0 {
			out[p.name] = vs
		}
	}
	return out
}

// checkParams coerces the string values of one parameter source by the
// declared types and validates the result against sch.
func (v *Validator) checkParams(sch *jsonschema.Schema, in string, ps []param, vals map[string][]string) (map[string]any, error) {
	obj := make(map[string]any, len(vals))
	var pre []apierrors.FieldError
	for name, vs := range vals {
		for _, s := range vs {
			if len(s) > v.limits.MaxStringLength || !utf8.ValidString(s) {
				return nil, apierrors.New(http.StatusBadRequest, apierrors.ReasonMalformedRequest,
					"A "+in+" parameter's value is longer than the limit of "+strconv.Itoa(v.limits.MaxStringLength)+" bytes or not valid UTF-8.")
			}
		}
		p, declared := findParam(ps, name)
		switch {
		case !declared:
			obj[name] = vs[0] // the schema decides whether unknown names may pass
		case slices.Contains(p.types, "array"):
			arr := make([]any, len(vs))
			for i, s := range vs {
				var refused string
				if arr[i], refused = v.coerce(s, p.items); refused != "" {
					pre = append(pre, apierrors.FieldError{In: in, Pointer: schemacheck.Pointer(nil, name, strconv.Itoa(i)), Detail: refused, Keyword: "type"})
				}
			}
			obj[name] = arr
		case len(vs) > 1:
			pre = append(pre, apierrors.FieldError{In: in, Pointer: schemacheck.Pointer(nil, name), Detail: "must appear at most once", Keyword: "type"})
		default:
			var refused string
			if obj[name], refused = v.coerce(vs[0], p.types); refused != "" {
				pre = append(pre, apierrors.FieldError{In: in, Pointer: schemacheck.Pointer(nil, name), Detail: refused, Keyword: "type"})
			}
		}
	}
	if len(pre) > 0 {
		slices.SortFunc(pre, func(a, b apierrors.FieldError) int { return strings.Compare(a.Pointer, b.Pointer) })
		return nil, apierrors.New(http.StatusUnprocessableEntity, apierrors.ReasonValidationFailed,
			"The request does not match its schema.").WithErrors(pre[:min(len(pre), v.maxErrors)]...)
	}
	if err := schemacheck.Validate(sch, obj, in, "", v.maxErrors, v.logger); err != nil {
		return nil, err
	}
	return obj, nil
}

// Details of the parameters refused before the schema runs: their types
// are what a handler reads them as ([Int64], [Float64]), so a value that
// one cannot hold never reaches it.
const (
	detailInt64Range   = "must be an integer from -9223372036854775808 to 9223372036854775807"
	detailFloat64Range = "must be a number from -1.7976931348623157e308 to 1.7976931348623157e308"
)

// coerce turns a parameter's string into the first of types it is a valid
// literal of. A string that fits none stays a string, and the schema then
// reports the type it should have had.
//
// Numbers are given in one canonical form, so that the schema checks the
// value the handler will read: an integer as its plain decimal (1e1, 10.0
// and 1000e-2 are all "10"), a number as its nearest float64 written as
// encoding/json writes it. An integer no int64 holds, or a number beyond
// float64's range, is refused: refused is then the detail to report, and
// the value is nil.
func (v *Validator) coerce(s string, types []string) (val any, refused string) {
	if len(types) == 0 || slices.Contains(types, "string") {
		return s, ""
	}
	literal := -1 // whether s is a number literal within the limits; -1 unknown
	isNumber := func() bool {
		if literal < 0 {
			literal = 0
			if v.numberLiteral(s) {
				literal = 1
			}
		}
		return literal == 1
	}
	for _, t := range types {
		switch t {
		case "integer":
			if !isNumber() {
				continue
			}
			switch n, res := parseInt(s); res {
			case intOK:
				if plainDecimal(s) {
					return json.Number(s), "" // already canonical: no allocation
				}
				return json.Number(strconv.FormatInt(n, 10)), ""
			case intRange:
				if !slices.Contains(types, "number") {
					refused = detailInt64Range
				}
			}
			// A fraction stays a string: the schema says it must be an integer.
		case "number":
			if !isNumber() {
				continue
			}
			f, ok := parseFloat(s)
			if !ok {
				refused = detailFloat64Range
				continue
			}
			return json.Number(formatFloat(f)), ""
		case "boolean":
			switch s {
			case "true":
				return true, ""
			case "false":
				return false, ""
			}
		case "null":
			if s == "null" {
				return nil, ""
			}
		}
	}
	if refused != "" {
		return nil, refused
	}
	return s, ""
}

// plainDecimal reports whether the integer literal s is written as
// strconv.FormatInt writes it: digits, a minus unless zero, no fraction or
// exponent.
func plainDecimal(s string) bool {
	return !strings.ContainsAny(s, ".eE") && s != "-0"
}

// numberLiteral reports whether s is one JSON number within the limits, so
// a parameter cannot carry the numbers a body may not.
func (v *Validator) numberLiteral(s string) bool {
	return schemacheck.NumberLiteral(v.limits, s)
}

// resolve follows $ref from a schema that has no type of its own.
func resolve(s *jsonschema.Schema) *jsonschema.Schema {
	for i := 0; s != nil && s.Types == nil && s.Ref != nil && i < 32; i++ {
		s = s.Ref
	}
	return s
}

// typesOf returns the JSON types a schema allows, following $ref.
func typesOf(s *jsonschema.Schema) []string {
	s = resolve(s)
	if s == nil || s.Types == nil {
		return nil
	}
	return s.Types.ToStrings()
}
