package openapi

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/apishield/apishield/internal/schemacheck"
)

// docBase is the URL under which the document's files live while their
// schemas compile. It never resolves: the compiler loads nothing else.
const docBase = "apishield-openapi:///"

const (
	draft2020 = "https://json-schema.org/draft/2020-12/schema"
	oasBase   = "https://spec.openapis.org/oas/3.1/dialect/"
)

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

// schemaAt returns the schema at n, a schema position of an OpenAPI
// object (a parameter's, a header's, a media type's), walking it (and the
// schemas it references) now and compiling it once every file is loaded.
func (l *loader) schemaAt(n node, where string) *schema {
	return l.addSchema(n, where, true)
}

// componentSchema is schemaAt for an entry of components.schemas.
func (l *loader) componentSchema(n node, where string) *schema {
	return l.addSchema(n, where, false)
}

func (l *loader) addSchema(n node, where string, inline bool) *schema {
	loc := schemaLoc(n)
	if s, ok := l.schemas[loc]; ok {
		return s
	}
	l.walkSchema(n, where)
	s := &schema{loc: loc, value: n.v}
	l.schemas[loc] = s
	l.pending = append(l.pending, pendingSchema{s: s, n: n, where: where, inline: inline})
	return s
}

// A pendingSchema is a schema to compile and where to report it.
type pendingSchema struct {
	s      *schema
	n      node
	where  string
	inline bool // at a schema position of an OpenAPI object
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
	if n.ptr != "" {
		top, _, _ := strings.Cut(n.ptr[1:], "/")
		l.schemaTops[n.f.name+"#"+top] = true
	}
	m := n.obj()
	if m == nil {
		if _, ok := n.v.(bool); !ok || l.oas30 {
			l.schemaProblem(where, "a schema must be an object")
		}
		return
	}
	l.noExtensions(where, m)
	if _, ok := m["$id"]; ok && !l.oas30 {
		// References below resolve against the $id, which names no file
		// of the document: the compiler resolves them, or refuses them.
		return
	}
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
			l.refTargets[t.id()] = true
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
	if err := schemacheck.LintNodePatterns(m); err != nil {
		l.schemaProblem(where, "%v", err)
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

// schemaProblem records a problem found walking a schema.
func (l *loader) schemaProblem(where, format string, args ...any) {
	l.schemaProblems = true
	l.probs.doc(where, format, args...)
}
