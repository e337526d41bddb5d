package openapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"path"
	"strconv"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/apishield/apishield/internal/schemacheck"
)

// errNotLoaded is what the compiler's loader says to any URL the document
// did not load: a remote reference, or one relative to a $id.
var errNotLoaded = errors.New("the reference leaves the document: only the document's own files are loaded")

type refuseLoader struct{}

func (refuseLoader) Load(string) (any, error) { return nil, errNotLoaded }

// newSchemaCompiler returns the compiler of one document: package
// validate's (draft 2020-12, formats asserted, an empty enum refused),
// with nothing loaded from outside the document and the formats OpenAPI
// adds that can be checked. It is not strict: OpenAPI objects are open
// unless the document closes them, and the inventory reports those left
// open.
func newSchemaCompiler() *schemacheck.Compiler {
	c := schemacheck.NewCompiler(refuseLoader{}, false)
	c.RegisterFormat(&jsonschema.Format{Name: "int32", Validate: intFormat(math.MinInt32, math.MaxInt32)})
	c.RegisterFormat(&jsonschema.Format{Name: "int64", Validate: intFormat(math.MinInt64, math.MaxInt64)})
	return c
}

// intFormat checks that a number is an integer within [lo, hi]; other
// values are not its concern.
func intFormat(lo, hi int64) func(any) error {
	return func(v any) error {
		var r *big.Rat
		switch n := v.(type) {
		case json.Number:
			// Plain integers of up to 18 digits, nearly all of them, fit
			// int64 exactly: no big.Rat.
			if i, ok := smallInt(string(n)); ok {
				if i < lo || i > hi {
					return fmt.Errorf("%d is out of range", i)
				}
				return nil
			}
			if len(n) > 64 {
				return fmt.Errorf("%s is out of range", n[:16]+"…")
			}
			// An exponent is bounded before big.Rat expands it.
			if i := strings.IndexAny(string(n), "eE"); i >= 0 {
				if e, err := strconv.Atoi(string(n[i+1:])); err != nil || e > 400 || e < -400 {
					return errors.New("the exponent is too large to be an int")
				}
			}
			var ok bool
			if r, ok = new(big.Rat).SetString(string(n)); !ok {
				return nil
			}
		case float64:
			r = new(big.Rat)
			if r.SetFloat64(n) == nil {
				return nil
			}
		case int:
			r = new(big.Rat).SetInt64(int64(n))
		case int64:
			r = new(big.Rat).SetInt64(n)
		default:
			return nil
		}
		if !r.IsInt() {
			return errors.New("not an integer")
		}
		i := r.Num()
		if i.Cmp(big.NewInt(lo)) < 0 || i.Cmp(big.NewInt(hi)) > 0 {
			return fmt.Errorf("%s is out of range", i)
		}
		return nil
	}
}

// compileSchemas adds every loaded file to the compiler and compiles the
// schemas the model holds.
//
// It compiles nothing when the walks found problems: the compiler would
// report most of them again, less clearly.
func (l *loader) compileSchemas() {
	if len(l.pending) == 0 || l.schemaProblems {
		return
	}
	for _, name := range sortedKeys(anyMap(l.files)) {
		f := l.files[name]
		if f.err != nil {
			continue
		}
		if err := l.comp.AddResource(docBase+name, l.resource(f)); err != nil {
			l.probs.doc(name, "%v", err)
		}
	}
	// Schemas written the same in one file mean the same: compile each
	// text once. Documents repeat small inline schemas (an id parameter,
	// a $ref to a component) on every operation, and every location
	// compiled inside a file costs the compiler a copy of what it knows of
	// that file.
	byText := map[string]*jsonschema.Schema{}
	for i, p := range l.pending {
		key := ""
		if text, err := json.Marshal(p.s.value); err == nil {
			key = p.n.f.name + "\x00" + string(text)
			if c, ok := byText[key]; ok {
				p.s.compiled = c
				continue
			}
		}
		c, err := l.compile(p, i)
		if err != nil {
			l.probs.doc(p.where, "%v", err)
			continue
		}
		p.s.compiled = c
		if key != "" {
			byText[key] = c
		}
	}
}

// compile compiles one pending schema, the i-th. An inline schema that
// nothing references is compiled from a resource of its own: every
// location compiled inside a file costs the compiler a copy of what it
// knows of that file, which on a large document adds up to seconds.
func (l *loader) compile(p pendingSchema, i int) (*jsonschema.Schema, error) {
	if !p.inline || l.refTargets[p.n.id()] || hasID(p.n.v) {
		return l.comp.CompileURL(p.s.loc, false)
	}
	// The resource sits beside its file, so relative references resolve
	// as in the file; references within the file name it. It holds the
	// schema at the schema's own pointer, so the compiled location reads
	// as the file's ("openapi.yaml?schema=7#/paths/~1items/get/...").
	u := docBase + p.n.f.name + "?schema=" + strconv.Itoa(i)
	if err := l.comp.AddResource(u, nest(p.n.ptr, rebase(p.n.v, path.Base(p.n.f.name)))); err != nil {
		return nil, err
	}
	return l.comp.CompileURL(u+p.s.loc[strings.IndexByte(p.s.loc, '#'):], false)
}

// nest returns v inside objects along the JSON pointer ptr, so that ptr
// names it: nest("/a/b", v) is {"a": {"b": v}}. Array indexes become
// object keys, which a pointer names the same way.
func nest(ptr string, v any) any {
	if ptr == "" {
		return v
	}
	toks := strings.Split(ptr[1:], "/")
	for i := len(toks) - 1; i >= 0; i-- {
		k := strings.ReplaceAll(strings.ReplaceAll(toks[i], "~1", "/"), "~0", "~")
		v = map[string]any{k: v}
	}
	return v
}

// rebase returns a copy of schema v whose references within its file
// ("#/components/schemas/Pet") name the file (base), for a schema that
// is compiled away from it. Only keywords are rewritten, never data.
func rebase(v any, base string) any {
	m, ok := v.(map[string]any)
	if !ok {
		return v
	}
	out := make(map[string]any, len(m))
	for k, c := range m {
		out[k] = c
	}
	for _, kw := range []string{"$ref", "$dynamicRef"} {
		if r, ok := m[kw].(string); ok && strings.HasPrefix(r, "#") {
			out[kw] = base + r
		}
	}
	for _, kw := range schemaKeywords {
		if c, ok := m[kw]; ok {
			if list, isList := c.([]any); isList {
				out[kw] = rebaseList(list, base)
			} else {
				out[kw] = rebase(c, base)
			}
		}
	}
	for _, kw := range schemaMapKeywords {
		if cm, ok := m[kw].(map[string]any); ok {
			nm := make(map[string]any, len(cm))
			for k, c := range cm {
				nm[k] = rebase(c, base)
			}
			out[kw] = nm
		}
	}
	for _, kw := range schemaListKeyword {
		if list, ok := m[kw].([]any); ok {
			out[kw] = rebaseList(list, base)
		}
	}
	return out
}

func rebaseList(list []any, base string) []any {
	out := make([]any, len(list))
	for i, c := range list {
		out[i] = rebase(c, base)
	}
	return out
}

// hasID reports whether a schema or one of its subschemas has a $id or
// $anchor, which a copy compiled away from its file would move.
func hasID(v any) bool {
	switch x := v.(type) {
	case map[string]any:
		for k, c := range x {
			if k == "$id" || k == "$anchor" || k == "$dynamicAnchor" || hasID(c) {
				return true
			}
		}
	case []any:
		for _, c := range x {
			if hasID(c) {
				return true
			}
		}
	}
	return false
}

// resource returns what the compiler is given of a file. A file whose root
// is not itself a schema (the document, a file of components, a
// parameter) loses the top-level members that are JSON Schema keywords
// and hold none of the schemas walked: the compiler checks a file's root
// as a schema, and a parameter's "required": true or a scheme's "type":
// "http" would fail.
func (l *loader) resource(f *file) any {
	m, ok := f.value.(map[string]any)
	if !ok || l.walked[f.name+"#"] {
		return f.value
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		if !jsonSchemaKeywords[k] || l.schemaTops[f.name+"#"+escapeToken(k)] {
			out[k] = v
		}
	}
	return out
}

// jsonSchemaKeywords are the keywords of JSON Schema 2020-12 and earlier
// drafts.
var jsonSchemaKeywords = wordSet(`$schema $id $ref $anchor $dynamicRef $dynamicAnchor $vocabulary $comment $defs
		$recursiveRef $recursiveAnchor id definitions dependencies
		allOf anyOf oneOf not if then else dependentSchemas prefixItems items additionalItems contains
		properties patternProperties additionalProperties propertyNames unevaluatedItems unevaluatedProperties
		type enum const multipleOf maximum exclusiveMaximum minimum exclusiveMinimum maxLength minLength pattern
		maxItems minItems uniqueItems maxContains minContains maxProperties minProperties required dependentRequired
		format contentEncoding contentMediaType contentSchema title description default deprecated readOnly writeOnly examples`)

func wordSet(words string) map[string]bool {
	set := map[string]bool{}
	for _, w := range strings.Fields(words) {
		set[w] = true
	}
	return set
}

// smallInt parses s if it is an optional '-' and 1 to 18 ASCII digits,
// which int64 always holds.
func smallInt(s string) (int64, bool) {
	digits := strings.TrimPrefix(s, "-")
	if digits == "" || len(digits) > 18 {
		return 0, false
	}
	for i := range len(digits) {
		if digits[i] < '0' || digits[i] > '9' {
			return 0, false
		}
	}
	i, err := strconv.ParseInt(s, 10, 64)
	return i, err == nil
}
