package schemacheck

import (
	"encoding/json"
	"maps"
	"math/big"
	"reflect"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// This file is a fast path in front of jsonschema v6 that can only say
// "valid". Most requests are valid, and a valid value needs no error
// report, which is what the schema library spends most of its time
// building. Every answer here is either "valid", proved by the same rules
// the library applies, or "not known", after which the library validates
// the value as before: refusals and their field errors never come from
// here.
//
// A schema node takes the fast path only if every keyword it carries is
// one implemented here exactly (fastFields, checked by reflection, so a
// field added by a later version of the library makes nodes unsupported
// until it is reviewed), and only for draft 2020-12.

// fastFields lists the fields of jsonschema.Schema a node may set and
// still be checked here. Each is either implemented exactly by
// fastNode.valid or has no effect on validation of the nodes checked here.
var fastFields = map[string]bool{
	// internals: the resource and URL of the node; dynamicAnchors only
	// serve $dynamicRef, and the *Evaluated fields only unevaluated*,
	// neither of which is supported.
	"up": true, "resource": true, "dynamicAnchors": true,
	"allPropsEvaluated": true, "allItemsEvaluated": true, "numItemsEvaluated": true,
	"DraftVersion": true, "Location": true, "ID": true, "Anchor": true, "DynamicAnchor": true,
	"Ref": true, "Types": true, "Enum": true, "Const": true, "AllOf": true, "AnyOf": true, "Format": true,
	"MaxProperties": true, "MinProperties": true, "Required": true, "Properties": true, "AdditionalProperties": true,
	"MinItems": true, "MaxItems": true, "UniqueItems": true, "PrefixItems": true, "Items2020": true,
	"MinLength": true, "MaxLength": true, "Pattern": true,
	"Maximum": true, "Minimum": true, "ExclusiveMaximum": true, "ExclusiveMinimum": true, "MultipleOf": true,
	// annotations
	"Title": true, "Description": true, "Default": true, "Comment": true,
	"ReadOnly": true, "WriteOnly": true, "Examples": true, "Deprecated": true,
}

// unsupportedField returns the name of the first field of the struct v
// that is set and not in allowed, or "".
func unsupportedField(v reflect.Value, allowed map[string]bool) string {
	t := v.Type()
	for i := range t.NumField() {
		if !allowed[t.Field(i).Name] && !v.Field(i).IsZero() {
			return t.Field(i).Name
		}
	}
	return ""
}

// The JSON types of a value, as bits of fastNode.types.
const (
	fastNull uint8 = 1 << iota
	fastBoolean
	fastNumber
	fastInteger
	fastString
	fastArray
	fastObject
)

var fastTypeBits = map[string]uint8{"null": fastNull, "boolean": fastBoolean, "number": fastNumber,
	"integer": fastInteger, "string": fastString, "array": fastArray, "object": fastObject}

// A fastNode is one schema node compiled for the fast path. It holds no
// *jsonschema.Schema, so a cached fastNode never keeps a schema alive.
type fastNode struct {
	// unsupported nodes are never proved valid.
	unsupported bool
	// isBool marks a boolean schema, whose answer is boolValue.
	isBool, boolValue bool

	types   uint8 // 0: any type
	enum    []any // nil: no enum (an empty enum is refused by Lint, and matches nothing anyway)
	hasEnum bool
	cnst    *any
	format  *jsonschema.Format

	ref   *fastNode
	allOf []*fastNode
	anyOf []*fastNode

	minProps, maxProps int // -1: none
	required           []string
	props              map[string]*fastNode
	propList           []fastProp // props sorted by name
	addlFalse          bool
	addl               *fastNode

	minItems, maxItems int // -1: none
	unique             bool
	prefix             []*fastNode
	items              *fastNode

	minLen, maxLen int // -1: none
	pattern        jsonschema.Regexp

	minimum, maximum, exclMin, exclMax *fastBound
	multipleOf                         *fastBound
}

// A fastProp is one entry of properties.
type fastProp struct {
	name string
	node *fastNode
}

// A fastBound is a numeric keyword's value; i is set when the value is an
// integer within int64.
type fastBound struct {
	isInt bool
	i     int64
}

func newFastBound(r *big.Rat) *fastBound {
	if r == nil {
		return nil
	}
	b := &fastBound{}
	if r.IsInt() && r.Num().IsInt64() {
		b.isInt, b.i = true, r.Num().Int64()
	}
	return b
}

// compileFast compiles the fast path of the schema s.
func compileFast(s *jsonschema.Schema) *fastNode {
	nodes := map[*jsonschema.Schema]*fastNode{}
	var build func(s *jsonschema.Schema) *fastNode
	build = func(s *jsonschema.Schema) *fastNode {
		if s == nil {
			return nil
		}
		if n, ok := nodes[s]; ok {
			return n
		}
		n := &fastNode{minProps: -1, maxProps: -1, minItems: -1, maxItems: -1, minLen: -1, maxLen: -1}
		nodes[s] = n
		if s.Bool != nil {
			n.isBool, n.boolValue = true, *s.Bool
			return n
		}
		if s.DraftVersion != 2020 || unsupportedField(reflect.ValueOf(s).Elem(), fastFields) != "" {
			n.unsupported = true
			return n
		}
		if s.Types != nil {
			for _, t := range s.Types.ToStrings() {
				bit, ok := fastTypeBits[t]
				if !ok {
					n.unsupported = true
					return n
				}
				n.types |= bit
			}
		}
		if s.Enum != nil {
			n.hasEnum, n.enum = true, s.Enum.Values
		}
		n.cnst = s.Const
		n.format = s.Format
		n.ref = build(s.Ref)
		for _, c := range s.AllOf {
			n.allOf = append(n.allOf, build(c))
		}
		for _, c := range s.AnyOf {
			n.anyOf = append(n.anyOf, build(c))
		}
		n.minProps, n.maxProps = intOr(s.MinProperties), intOr(s.MaxProperties)
		n.required = s.Required
		if len(s.Properties) > 0 {
			n.props = make(map[string]*fastNode, len(s.Properties))
			for k, c := range s.Properties {
				n.props[k] = build(c)
			}
			for _, k := range slices.Sorted(maps.Keys(n.props)) {
				n.propList = append(n.propList, fastProp{k, n.props[k]})
			}
		}
		switch a := s.AdditionalProperties.(type) {
		case nil:
		case bool:
			n.addlFalse = !a
		case *jsonschema.Schema:
			n.addl = build(a)
		default:
			n.unsupported = true
		}
		n.minItems, n.maxItems = intOr(s.MinItems), intOr(s.MaxItems)
		n.unique = s.UniqueItems
		for _, c := range s.PrefixItems {
			n.prefix = append(n.prefix, build(c))
		}
		n.items = build(s.Items2020)
		n.minLen, n.maxLen = intOr(s.MinLength), intOr(s.MaxLength)
		n.pattern = s.Pattern
		n.minimum, n.maximum = newFastBound(s.Minimum), newFastBound(s.Maximum)
		n.exclMin, n.exclMax = newFastBound(s.ExclusiveMinimum), newFastBound(s.ExclusiveMaximum)
		n.multipleOf = newFastBound(s.MultipleOf)
		return n
	}
	root := build(s)
	markInPlaceCycles(root)
	return root
}

func intOr(p *int) int {
	if p == nil {
		return -1
	}
	return *p
}

// markInPlaceCycles marks unsupported every node on a cycle of in-place
// applicators ($ref, allOf, anyOf): the schema library refuses a value
// that reaches one (a reference cycle), and the fast path must terminate.
// It is Tarjan's algorithm for strongly connected components.
func markInPlaceCycles(root *fastNode) {
	index := map[*fastNode]int{}
	low := map[*fastNode]int{}
	onStack := map[*fastNode]bool{}
	var stack []*fastNode
	visited := map[*fastNode]bool{} // every node, for the walk over values' children
	var strong func(n *fastNode)
	strong = func(n *fastNode) {
		index[n], low[n] = len(index), len(index)
		stack = append(stack, n)
		onStack[n] = true
		for _, m := range n.inPlace() {
			if _, ok := index[m]; !ok {
				strong(m)
				low[n] = min(low[n], low[m])
			} else if onStack[m] {
				low[n] = min(low[n], index[m])
			}
		}
		if low[n] == index[n] {
			i := len(stack) - 1
			for stack[i] != n {
				i--
			}
			scc := stack[i:]
			if len(scc) > 1 || slices.Contains(n.inPlace(), n) {
				for _, m := range scc {
					m.unsupported = true
				}
			}
			for _, m := range scc {
				onStack[m] = false
			}
			stack = stack[:i]
		}
	}
	var all func(n *fastNode)
	all = func(n *fastNode) {
		if n == nil || visited[n] {
			return
		}
		visited[n] = true
		if _, ok := index[n]; !ok {
			strong(n)
		}
		for _, m := range n.inPlace() {
			all(m)
		}
		for _, m := range n.props {
			all(m)
		}
		for _, m := range n.prefix {
			all(m)
		}
		all(n.addl)
		all(n.items)
	}
	all(root)
}

// inPlace returns the nodes n applies to its own value.
func (n *fastNode) inPlace() []*fastNode {
	var out []*fastNode
	if n.ref != nil {
		out = append(out, n.ref)
	}
	out = append(out, n.allOf...)
	return append(out, n.anyOf...)
}

// maxFastDepth bounds the recursion of the fast path; deeper values are
// left to the schema library. Values are already bounded by Limits.
const maxFastDepth = 512

// valid reports whether the schema library would accept v, when that is
// known; false means refused or not known.
func (n *fastNode) valid(v any, depth int) bool {
	if n.isBool {
		return n.boolValue
	}
	if n.unsupported || depth > maxFastDepth {
		return false
	}
	var t uint8
	switch v.(type) {
	case nil:
		t = fastNull
	case bool:
		t = fastBoolean
	case json.Number:
		t = fastNumber
	case string:
		t = fastString
	case []any:
		t = fastArray
	case map[string]any:
		t = fastObject
	default:
		return false
	}
	if n.types != 0 && n.types&t == 0 {
		// An integer is any number with a zero fraction; only plain
		// digits are recognised here.
		if t != fastNumber || n.types&fastInteger == 0 || !plainInteger(string(v.(json.Number))) {
			return false
		}
	}
	if n.cnst != nil && !fastEquals(v, *n.cnst) {
		return false
	}
	if n.hasEnum && !n.inEnum(v) {
		return false
	}
	if n.format != nil && n.format.Validate(v) != nil {
		return false
	}
	if n.ref != nil && !n.ref.valid(v, depth+1) {
		return false
	}
	switch v := v.(type) {
	case map[string]any:
		if !n.validObject(v, depth) {
			return false
		}
	case []any:
		if !n.validArray(v, depth) {
			return false
		}
	case string:
		if n.minLen >= 0 || n.maxLen >= 0 {
			l := utf8.RuneCountInString(v)
			if (n.minLen >= 0 && l < n.minLen) || (n.maxLen >= 0 && l > n.maxLen) {
				return false
			}
		}
		if n.pattern != nil && !n.pattern.MatchString(v) {
			return false
		}
	case json.Number:
		if !n.validNumber(string(v)) {
			return false
		}
	}
	for _, c := range n.allOf {
		if !c.valid(v, depth+1) {
			return false
		}
	}
	if len(n.anyOf) > 0 {
		ok := false
		for _, c := range n.anyOf {
			if c.valid(v, depth+1) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

func (n *fastNode) validObject(obj map[string]any, depth int) bool {
	if (n.minProps >= 0 && len(obj) < n.minProps) || (n.maxProps >= 0 && len(obj) > n.maxProps) {
		return false
	}
	for _, k := range n.required {
		if _, ok := obj[k]; !ok {
			return false
		}
	}
	if len(n.propList) <= 2*len(obj)+4 {
		// Looking the declared names up is cheaper than ranging over a
		// small map, which starts at a random place; the object's other
		// keys matter only to additionalProperties.
		found := 0
		for _, p := range n.propList {
			if val, ok := obj[p.name]; ok {
				found++
				if !p.node.valid(val, depth+1) {
					return false
				}
			}
		}
		if found == len(obj) || (!n.addlFalse && n.addl == nil) {
			return true
		}
		if n.addlFalse {
			return false
		}
		for k, val := range obj {
			if _, ok := n.props[k]; !ok && !n.addl.valid(val, depth+1) {
				return false
			}
		}
		return true
	}
	for k, val := range obj {
		if c, ok := n.props[k]; ok {
			if !c.valid(val, depth+1) {
				return false
			}
			continue
		}
		if n.addlFalse || (n.addl != nil && !n.addl.valid(val, depth+1)) {
			return false
		}
	}
	return true
}

func (n *fastNode) validArray(arr []any, depth int) bool {
	if (n.minItems >= 0 && len(arr) < n.minItems) || (n.maxItems >= 0 && len(arr) > n.maxItems) {
		return false
	}
	if n.unique && len(arr) > 1 && !uniqueScalars(arr) {
		return false
	}
	for i, item := range arr {
		c := n.items
		if i < len(n.prefix) {
			c = n.prefix[i]
		}
		if c != nil && !c.valid(item, depth+1) {
			return false
		}
	}
	return true
}

// uniqueScalars reports whether arr, an array of strings, booleans and
// nulls, has no two equal items; false if it holds anything else.
func uniqueScalars(arr []any) bool {
	for _, v := range arr {
		switch v.(type) {
		case string, bool, nil:
		default:
			return false
		}
	}
	if len(arr) <= 32 {
		for i := 1; i < len(arr); i++ {
			for j := range i {
				if arr[i] == arr[j] { // comparable dynamic types only, checked above
					return false
				}
			}
		}
		return true
	}
	seen := make(map[any]struct{}, len(arr))
	for _, v := range arr {
		if _, dup := seen[v]; dup {
			return false
		}
		seen[v] = struct{}{}
	}
	return true
}

// validNumber checks the numeric keywords for the number literal s,
// exactly for decimals without exponent whose integer part has at most
// 18 digits, against integer bounds within int64; anything else is not
// known.
//
// With f = floor(s) and frac whether s has a nonzero fraction, for an
// integer b: s >= b iff f >= b; s > b iff f > b or (f == b and frac);
// s <= b iff f < b or (f == b and not frac); s < b iff f < b; and s is a
// multiple of b iff not frac and f is.
func (n *fastNode) validNumber(s string) bool {
	if n.minimum == nil && n.maximum == nil && n.exclMin == nil && n.exclMax == nil && n.multipleOf == nil {
		return true
	}
	f, frac, ok := smallDecimal(s)
	if !ok {
		return false
	}
	if b := n.minimum; b != nil && (!b.isInt || f < b.i) {
		return false
	}
	if b := n.maximum; b != nil && (!b.isInt || f > b.i || (f == b.i && frac)) {
		return false
	}
	if b := n.exclMin; b != nil && (!b.isInt || f < b.i || (f == b.i && !frac)) {
		return false
	}
	if b := n.exclMax; b != nil && (!b.isInt || f >= b.i) {
		return false
	}
	// multipleOf is positive (the metaschema says so); b <= 0 is not known.
	if b := n.multipleOf; b != nil && (!b.isInt || b.i <= 0 || frac || f%b.i != 0) {
		return false
	}
	return true
}

// smallDecimal parses s if it is an optional '-', 1 to 18 digits and an
// optional fraction, returning its floor and whether its fraction is not
// zero.
func smallDecimal(s string) (floor int64, frac, ok bool) {
	neg := s != "" && s[0] == '-'
	if neg {
		s = s[1:]
	}
	ip, fp, dot := strings.Cut(s, ".")
	if ip == "" || len(ip) > 18 || (dot && fp == "") {
		return 0, false, false
	}
	for i := range len(ip) {
		if ip[i] < '0' || ip[i] > '9' {
			return 0, false, false
		}
		floor = floor*10 + int64(ip[i]-'0')
	}
	for i := range len(fp) {
		if fp[i] < '0' || fp[i] > '9' {
			return 0, false, false
		}
		frac = frac || fp[i] != '0'
	}
	if neg {
		floor = -floor
		if frac {
			floor--
		}
	}
	return floor, frac, true
}

// plainInteger reports whether s is an optional '-' and one or more
// ASCII digits.
func plainInteger(s string) bool {
	if s != "" && s[0] == '-' {
		s = s[1:]
	}
	if s == "" {
		return false
	}
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// smallInteger parses s if it is a plain integer of at most 18 digits,
// which int64 always holds.
func smallInteger(s string) (int64, bool) {
	if !plainInteger(s) {
		return 0, false
	}
	neg := s[0] == '-'
	if neg {
		s = s[1:]
	}
	if len(s) > 18 {
		return 0, false
	}
	var x int64
	for i := range len(s) {
		x = x*10 + int64(s[i]-'0')
	}
	if neg {
		x = -x
	}
	return x, true
}

// inEnum reports whether v equals an item of the enum, when that is known.
func (n *fastNode) inEnum(v any) bool {
	for _, item := range n.enum {
		eq, known := fastEqual(v, item)
		if !known {
			return false
		}
		if eq {
			return true
		}
	}
	return false
}

// fastEquals reports whether v equals w as the schema library compares
// them, when that is known.
func fastEquals(v, w any) bool {
	eq, known := fastEqual(v, w)
	return known && eq
}

// fastEqual compares v, a string, boolean, null or number, with w as the
// library's equals does: values of different JSON types are never equal,
// and numbers compare by value (known here only for plain integers of at
// most 18 digits). Arrays and objects are not known.
func fastEqual(v, w any) (eq, known bool) {
	switch v := v.(type) {
	case nil:
		return w == nil, true
	case bool:
		b, ok := w.(bool)
		return ok && v == b, true
	case string:
		s, ok := w.(string)
		return ok && v == s, true
	case json.Number:
		switch w := w.(type) {
		case nil, bool, string, []any, map[string]any:
			return false, true
		case json.Number:
			x, ok1 := smallInteger(string(v))
			y, ok2 := smallInteger(string(w))
			if !ok1 || !ok2 {
				return false, false
			}
			return x == y, true
		}
	}
	return false, false
}
