package openapi

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/apishield/apishield/internal/oasparam"
)

// parameters reads a list of Parameter Objects.
func (l *loader) parameters(n node, where string) []*parameter {
	if n.v == nil {
		return nil
	}
	list, ok := n.v.([]any)
	if !ok {
		l.probs.doc(where, "parameters is not an array")
		return nil
	}
	var out []*parameter
	for i := range list {
		if p := l.parameter(n.index(i), where, i); p != nil {
			out = append(out, p)
		}
	}
	return out
}

// parameter reads one Parameter Object.
func (l *loader) parameter(n node, where string, i int) *parameter {
	pn, err := l.deref(n)
	if err != nil {
		l.probs.doc(where, "parameter %d: %v", i, err)
		return nil
	}
	m := pn.obj()
	if m == nil {
		l.probs.doc(where, "parameter %d is not an object", i)
		return nil
	}
	name, _ := m["name"].(string)
	inText, _ := m["in"].(string)
	pw := fmt.Sprintf("%s: parameter %q in %s", where, name, inText)
	if name == "" {
		l.probs.doc(where, "parameter %d has no name", i)
		return nil
	}
	l.noExtensions(pw, m)
	p := &parameter{name: name}
	switch inText {
	case "path":
		p.in = oasparam.InPath
	case "query":
		p.in = oasparam.InQuery
	case "header":
		p.in = oasparam.InHeader
	case "cookie":
		p.in = oasparam.InCookie
	default:
		l.probs.doc(fmt.Sprintf("%s: parameter %q", where, name), "\"in\" is %q: it must be path, query, header or cookie", inText)
		return nil
	}
	// A required that is not a boolean ("yes", which YAML 1.2 reads as a
	// string) must not make the parameter optional in silence.
	for _, f := range []struct {
		key string
		to  *bool
	}{{"required", &p.required}, {"deprecated", &p.deprecated}} {
		if v, present := m[f.key]; present {
			b, isBool := v.(bool)
			if !isBool {
				l.probs.doc(pw, "%s is not a boolean", f.key)
			}
			*f.to = b
		}
	}
	if _, ok := m["content"]; ok {
		l.probs.doc(pw, "content instead of schema is not supported: describe the parameter with schema and style")
		return nil
	}
	p.decl = oasparam.Param{Name: name, In: p.in, Required: p.required}
	if s, ok := m["style"]; ok {
		str, _ := s.(string)
		st, ok := styles[str]
		if !ok {
			l.probs.doc(pw, "style %q is unknown", str)
			return nil
		}
		p.decl.Style = st
	}
	if e, ok := m["explode"]; ok {
		b, ok := e.(bool)
		if !ok {
			l.probs.doc(pw, "explode is not a boolean")
			return nil
		}
		p.decl.Explode = &b
	}
	if sn := pn.key("schema"); sn.v != nil {
		before := len(l.probs.list)
		p.schema = l.schemaAt(sn, pw+": schema")
		if len(l.probs.list) > before {
			return nil // the schema's problems are reported; its shape would repeat them
		}
		if !l.paramShape(&p.decl, sn, pw) {
			return nil
		}
	}
	if _, ok := m["schema"]; !ok {
		l.probs.doc(pw, "the parameter has no schema")
		return nil
	}
	if !l.paramFlags(p, m, pw) {
		return nil
	}
	return p
}

var styles = map[string]oasparam.Style{
	"simple":         oasparam.StyleSimple,
	"label":          oasparam.StyleLabel,
	"matrix":         oasparam.StyleMatrix,
	"form":           oasparam.StyleForm,
	"spaceDelimited": oasparam.StyleSpaceDelimited,
	"pipeDelimited":  oasparam.StylePipeDelimited,
	"deepObject":     oasparam.StyleDeepObject,
}

// paramFlags reads allowReserved and allowEmptyValue, refusing the
// settings decoding cannot honour.
func (l *loader) paramFlags(p *parameter, m map[string]any, pw string) bool {
	ok := true
	if v, present := m["allowReserved"]; present {
		b, isBool := v.(bool)
		switch {
		case !isBool:
			l.probs.doc(pw, "allowReserved is not a boolean")
			ok = false
		case b && p.in == oasparam.InQuery && p.decl.Shape != oasparam.ShapePrimitive:
			l.probs.doc(pw, "allowReserved: true cannot be honoured for an %s: a reserved character sent as is would read as a delimiter", p.decl.Shape)
			ok = false
		}
	}
	if v, present := m["allowEmptyValue"]; present {
		b, isBool := v.(bool)
		switch {
		case !isBool:
			l.probs.doc(pw, "allowEmptyValue is not a boolean")
			ok = false
		case b && p.in != oasparam.InQuery:
			l.probs.doc(pw, "allowEmptyValue applies only to query parameters")
			ok = false
		case b && (p.decl.Shape != oasparam.ShapePrimitive || p.decl.Type != oasparam.TypeString):
			l.probs.doc(pw, "allowEmptyValue: true cannot be honoured: an empty value is not of type %s", describeType(p.decl))
			ok = false
		}
	}
	return ok
}

func describeType(d oasparam.Param) string {
	if d.Shape != oasparam.ShapePrimitive {
		return d.Shape.String()
	}
	return d.Type.String()
}

// mergeParams returns the path item's parameters with the operation's:
// an operation's parameter replaces the path item's of the same name and
// location, in its place.
func mergeParams(shared, own []*parameter) []*parameter {
	if len(shared) == 0 {
		return own
	}
	out := make([]*parameter, 0, len(shared)+len(own))
	used := make([]bool, len(own))
	for _, s := range shared {
		replaced := false
		for i, o := range own {
			if !used[i] && o.in == s.in && o.name == s.name {
				out = append(out, o)
				used[i] = true
				replaced = true
				break
			}
		}
		if !replaced {
			out = append(out, s)
		}
	}
	for i, o := range own {
		if !used[i] {
			out = append(out, o)
		}
	}
	return out
}

// checkPathParams checks that path parameters and template variables
// match one to one.
func (l *loader) checkPathParams(op *operation, vars []string, where string) {
	declared := map[string]bool{}
	for _, p := range op.params {
		if p.in != oasparam.InPath {
			continue
		}
		declared[p.name] = true
		found := false
		for _, v := range vars {
			if v == p.name {
				found = true
			}
		}
		if !found {
			l.probs.doc(where, "path parameter %q does not appear in the path template", p.name)
		}
	}
	for _, v := range vars {
		if !declared[v] {
			l.probs.doc(where, "template variable {%s} has no path parameter", v)
		}
	}
}

// compileParams compiles an operation's declarations so that what the
// decoders cannot read is a load error.
func (l *loader) compileParams(op *operation, where string) {
	decls := make([]oasparam.Param, len(op.params))
	for i, p := range op.params {
		decls[i] = p.decl
	}
	if _, err := oasparam.Compile(decls, oasparam.Limits{}); err != nil {
		l.probs.doc(where, "%s", strings.TrimPrefix(err.Error(), oasparam.ErrInvalidConfig.Error()+": "))
	}
}

// paramShape fills d's Shape and types from the schema at n.
func (l *loader) paramShape(d *oasparam.Param, n node, pw string) bool {
	sh, t, sn, err := l.schemaKind(n, 0)
	if err != nil {
		l.probs.doc(pw, "schema: %v", err)
		return false
	}
	d.Shape, d.Type = sh, t
	switch sh {
	case oasparam.ShapeArray:
		if items := sn.key("items"); items.v != nil {
			ish, it, _, err := l.schemaKind(items, 0)
			if err != nil {
				l.probs.doc(pw, "schema: items: %v", err)
				return false
			}
			if ish != oasparam.ShapePrimitive {
				l.probs.doc(pw, "schema: items are %ss: only arrays of primitives can be decoded", ish)
				return false
			}
			d.ItemType = it
		}
	case oasparam.ShapeObject:
		props := sn.key("properties")
		pm := props.obj()
		if len(pm) > 0 {
			d.PropTypes = make(map[string]oasparam.Type, len(pm))
		}
		for _, k := range sortedKeys(pm) {
			psh, pt, _, err := l.schemaKind(props.key(k), 0)
			if err != nil {
				l.probs.doc(pw, "schema: property %q: %v", k, err)
				return false
			}
			if psh != oasparam.ShapePrimitive {
				l.probs.doc(pw, "schema: property %q is an %s: only primitive properties can be decoded", k, psh)
				return false
			}
			d.PropTypes[k] = pt
		}
	}
	return true
}

// schemaKind decides the shape and primitive type of the schema at n,
// following $ref, and returns the schema it decided from. A missing type
// is a string, or an object or array when the keywords say so; a type
// that cannot be decided without guessing is an error.
func (l *loader) schemaKind(n node, depth int) (oasparam.Shape, oasparam.Type, node, error) {
	if depth > 8 {
		return 0, 0, n, fmt.Errorf("nested too deeply in allOf/anyOf/oneOf to decide its type")
	}
	if _, hasID := n.obj()["$id"]; !hasID || l.oas30 { // a $id rebases its $ref: the compiler follows it
		var err error
		if n, err = l.deref(n); err != nil {
			return 0, 0, n, err
		}
	}
	m := n.obj()
	if m == nil {
		return oasparam.ShapePrimitive, oasparam.TypeString, n, nil // true or {}: any value, read as text
	}
	var types []string
	switch t := m["type"].(type) {
	case string:
		types = []string{t}
	case []any:
		for _, e := range t {
			if s, ok := e.(string); ok && s != "null" {
				types = append(types, s)
			}
		}
	}
	if len(types) == 0 {
		// No type of its own: the alternatives or conjuncts may say.
		var found []string
		var from node
		var fromShape oasparam.Shape
		var fromType oasparam.Type
		for _, kw := range []string{"allOf", "anyOf", "oneOf"} {
			list, _ := m[kw].([]any)
			for i := range list {
				c := n.key(kw).index(i)
				sh, t, cn, err := l.schemaKind(c, depth+1)
				if err != nil {
					return 0, 0, n, err
				}
				cm := cn.obj()
				if cm == nil || (cm["type"] == nil && cm["properties"] == nil && cm["items"] == nil && cm["allOf"] == nil && cm["anyOf"] == nil && cm["oneOf"] == nil) {
					continue // says nothing about the type
				}
				k := kindName(sh, t)
				if len(found) == 0 || found[0] != k {
					found = append(found, k)
				}
				from, fromShape, fromType = cn, sh, t
			}
		}
		if len(found) > 1 {
			return 0, 0, n, fmt.Errorf("the type is ambiguous (%s): give the schema one type", joinKinds(found))
		}
		if len(found) == 1 {
			return fromShape, fromType, from, nil // items and properties are read from it
		}
		switch {
		case m["properties"] != nil:
			return oasparam.ShapeObject, 0, n, nil
		case m["items"] != nil:
			return oasparam.ShapeArray, 0, n, nil
		}
		return oasparam.ShapePrimitive, oasparam.TypeString, n, nil
	}
	if len(types) > 1 {
		return 0, 0, n, fmt.Errorf("the type is ambiguous (%s): give the schema one type besides null", joinKinds(types))
	}
	switch types[0] {
	case "string":
		return oasparam.ShapePrimitive, oasparam.TypeString, n, nil
	case "integer":
		return oasparam.ShapePrimitive, oasparam.TypeInteger, n, nil
	case "number":
		return oasparam.ShapePrimitive, oasparam.TypeNumber, n, nil
	case "boolean":
		return oasparam.ShapePrimitive, oasparam.TypeBoolean, n, nil
	case "array":
		return oasparam.ShapeArray, 0, n, nil
	case "object":
		return oasparam.ShapeObject, 0, n, nil
	}
	return 0, 0, n, fmt.Errorf("type %s is unknown", strconv.Quote(types[0]))
}

func kindName(sh oasparam.Shape, t oasparam.Type) string {
	if sh != oasparam.ShapePrimitive {
		return sh.String()
	}
	return t.String()
}

func joinKinds(k []string) string {
	out := ""
	for i, s := range k {
		if i > 0 {
			out += " or "
		}
		out += s
	}
	return out
}
