package openapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"net/url"
	"regexp"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// docBase is the URL under which the document's files live while their
// schemas compile. It never resolves: the compiler loads nothing else.
const docBase = "apishield-openapi:///"

const (
	draft2020 = "https://json-schema.org/draft/2020-12/schema"
	oasBase   = "https://spec.openapis.org/oas/3.1/dialect/"
)

// errNotLoaded is what the compiler's loader says to any URL the document
// did not load: a remote reference, or one relative to a $id.
var errNotLoaded = errors.New("the reference leaves the document: only the document's own files are loaded")

type refuseLoader struct{}

func (refuseLoader) Load(string) (any, error) { return nil, errNotLoaded }

// newSchemaCompiler returns the compiler of one document: draft 2020-12,
// formats asserted, nothing loaded from outside, and the formats OpenAPI
// adds that can be checked.
func newSchemaCompiler() *jsonschema.Compiler {
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	c.UseLoader(refuseLoader{})
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
			if len(n) > 64 {
				return fmt.Errorf("%s is out of range", n[:16]+"…")
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

// checkDialect refuses an OAS 3.1 jsonSchemaDialect other than 2020-12 or
// the OpenAPI base dialect, which is 2020-12 with annotations.
func (l *loader) checkDialect(obj map[string]any) {
	v, ok := obj["jsonSchemaDialect"]
	if !ok {
		return
	}
	s, _ := v.(string)
	if !isDraft2020(s) {
		l.probs.doc("jsonSchemaDialect", "%q is not supported: use %s or the OpenAPI 3.1 base dialect", s, draft2020)
	}
}

func isDraft2020(s string) bool {
	s = strings.TrimSuffix(s, "#")
	return s == draft2020 || strings.HasPrefix(s, oasBase)
}

// schemaLoc returns the compiler's URL of the schema at n.
func schemaLoc(n node) string {
	var sb strings.Builder
	sb.WriteString(docBase)
	sb.WriteString(n.f.name)
	sb.WriteByte('#')
	for i, tok := range strings.Split(n.ptr, "/") {
		if i > 0 {
			sb.WriteByte('/')
		}
		sb.WriteString(url.PathEscape(tok))
	}
	return sb.String()
}

// schemaAt returns the schema at n, walking it (and the schemas it
// references) now and compiling it once every file is loaded.
func (l *loader) schemaAt(n node, where string) *schema {
	loc := schemaLoc(n)
	if s, ok := l.schemas[loc]; ok {
		return s
	}
	l.walkSchema(n, where)
	s := &schema{loc: loc, value: n.v}
	l.schemas[loc] = s
	l.pending = append(l.pending, pendingSchema{s, n.f.name, where})
	return s
}

// A pendingSchema is a schema to compile and where to report it.
type pendingSchema struct {
	s     *schema
	file  string
	where string
}

// Keywords whose values are subschemas.
var (
	schemaKeywords    = []string{"items", "not", "additionalProperties", "additionalItems", "contains", "propertyNames", "if", "then", "else", "unevaluatedItems", "unevaluatedProperties", "contentSchema"}
	schemaMapKeywords = []string{"properties", "patternProperties", "$defs", "definitions", "dependentSchemas"}
	schemaListKeyword = []string{"allOf", "anyOf", "oneOf", "prefixItems"}
)

// walkSchema translates (OAS 3.0) and checks the schema at n and every
// schema it contains or references, each location once.
func (l *loader) walkSchema(n node, where string) {
	id := n.id()
	if l.walked[id] {
		return
	}
	l.walked[id] = true
	m := n.obj()
	if m == nil {
		if _, ok := n.v.(bool); !ok || l.oas30 {
			l.schemaProblem(where, "a schema must be an object")
		}
		return
	}
	l.noExtensions(where, m)
	if r, ok := m["$ref"]; ok {
		ref, ok := r.(string)
		if !ok {
			l.schemaProblem(where, "$ref is not a string")
			return
		}
		if l.oas30 {
			for k := range m {
				if k != "$ref" && !strings.HasPrefix(k, "x-") {
					delete(m, k) // OAS 3.0: siblings of $ref are ignored
				}
			}
		}
		t, err := l.target(n.f, ref)
		switch {
		case errors.Is(err, errAnchor) && !l.oas30:
			// a $anchor: the compiler resolves it
		case err != nil:
			l.schemaProblem(where, "%v", err)
		default:
			l.walkSchema(t, "schema "+t.where(l.root))
		}
		if l.oas30 {
			return
		}
	}
	if l.oas30 {
		l.translate(m, where)
	} else if s, ok := m["$schema"].(string); ok && strings.HasPrefix(s, oasBase) {
		m["$schema"] = draft2020 // the OAS dialect is 2020-12 with annotations
	}
	if _, ok := m["$id"]; ok && !l.oas30 {
		return // references below resolve against the $id: the compiler checks them
	}
	if p, ok := m["pattern"].(string); ok {
		if _, err := regexp.Compile(p); err != nil {
			l.schemaProblem(where, "pattern %q is not an RE2 regular expression: %v", p, err)
		}
	}
	if pp, ok := m["patternProperties"].(map[string]any); ok {
		for p := range pp {
			if _, err := regexp.Compile(p); err != nil {
				l.schemaProblem(where, "patternProperties key %q is not an RE2 regular expression: %v", p, err)
			}
		}
	}
	for _, kw := range schemaKeywords {
		if _, ok := m[kw]; ok {
			c := n.key(kw)
			if _, isList := c.v.([]any); isList && kw == "items" {
				l.walkList(c, where+"/"+kw)
				continue
			}
			if _, isBool := c.v.(bool); isBool && (kw == "additionalProperties" || kw == "additionalItems") {
				continue // boolean in 3.0 as well
			}
			l.walkSchema(c, where+"/"+kw)
		}
	}
	for _, kw := range schemaMapKeywords {
		c := n.key(kw)
		cm, ok := c.v.(map[string]any)
		if !ok {
			continue
		}
		for _, k := range sortedKeys(cm) {
			l.walkSchema(c.key(k), where+"/"+kw+"/"+k)
		}
	}
	for _, kw := range schemaListKeyword {
		if _, ok := m[kw]; ok {
			l.walkList(n.key(kw), where+"/"+kw)
		}
	}
}

func (l *loader) walkList(n node, where string) {
	list, ok := n.v.([]any)
	if !ok {
		l.schemaProblem(where, "is not an array")
		return
	}
	for i := range list {
		l.walkSchema(n.index(i), fmt.Sprintf("%s/%d", where, i))
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
	for name, f := range l.files {
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
	for _, p := range l.pending {
		key := ""
		if text, err := json.Marshal(p.s.value); err == nil {
			key = p.file + "\x00" + string(text)
			if c, ok := byText[key]; ok {
				p.s.compiled = c
				continue
			}
		}
		c, err := l.comp.Compile(p.s.loc)
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

// resource returns what the compiler is given of a file. A file whose root
// is not itself a schema (the document, a file of components, a
// parameter) keeps at its top level only members that are not JSON
// Schema keywords: the compiler checks a file's root as a schema, and a
// parameter's "required": true or a scheme's "type": "http" would fail.
func (l *loader) resource(f *file) any {
	m, ok := f.value.(map[string]any)
	if !ok || l.walked[f.name+"#"] {
		return f.value
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		if !jsonSchemaKeywords[k] {
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

// schemaProblem records a problem found walking a schema.
func (l *loader) schemaProblem(where, format string, args ...any) {
	l.schemaProblems = true
	l.probs.doc(where, format, args...)
}
