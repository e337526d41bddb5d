package openapi

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// methods are the Path Item Object's operations in the order the model
// keeps them.
var methods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// build walks the root object and returns the model, recording problems
// as it goes.
func (l *loader) build(obj map[string]any, version string, pathsOrder []string) *document {
	root := node{f: l.root, v: obj}
	doc := &document{version: version}
	l.noExtensions("document", obj)
	if info := root.key("info").obj(); info != nil {
		doc.title, _ = info["title"].(string)
		switch v := info["version"].(type) {
		case string:
			doc.apiVer = v
		case json.Number: // YAML's version: 1.0
			doc.apiVer = v.String()
		}
		l.noExtensions("info", info)
	} else {
		l.probs.doc("info", "the Info Object is missing")
	}
	if !l.oas30 {
		l.checkDialect(obj)
	}
	var rootServers []string
	doc.bases, rootServers = l.servers(root.key("servers"), "servers")
	doc.schemes = l.securitySchemes(root.key("components").key("securitySchemes"))
	l.components(root.key("components"))
	rootSec, rootDeclared := l.security(root.key("security"), doc.schemes, "security")

	paths := root.key("paths")
	if paths.v != nil && paths.obj() == nil {
		l.probs.doc("paths", "the Paths Object is not an object")
	}
	l.noExtensions("paths", paths.obj())
	for _, p := range pathsOrder {
		if strings.HasPrefix(p, "x-") {
			continue
		}
		if !strings.HasPrefix(p, "/") {
			l.probs.doc("paths", "path %q does not start with '/'", p)
			continue
		}
		doc.ops = append(doc.ops, l.pathItem(paths.key(p), p, doc, rootServers, rootSec, rootDeclared)...)
	}
	l.checkUnique(doc.ops)
	l.checkConfigUse()
	l.otherExtensions(root)
	return doc
}

// otherExtensions refuses x-apishield- keys in the parts of the document
// apishield does not enforce: tags, external docs and webhooks, which
// the application sends rather than serves.
func (l *loader) otherExtensions(root node) {
	if tags, ok := root.key("tags").v.([]any); ok {
		for i, t := range tags {
			if m, ok := t.(map[string]any); ok {
				l.noExtensions("tags["+strconv.Itoa(i)+"]", m)
			}
		}
	}
	l.noExtensions("externalDocs", root.key("externalDocs").obj())
	hooks := root.key("webhooks")
	for _, name := range sortedKeys(hooks.obj()) {
		where := "webhook " + name
		item, err := l.deref(hooks.key(name))
		if err != nil {
			l.probs.doc(where, "%v", err)
			continue
		}
		l.noExtensions(where, item.obj())
		for _, method := range methods {
			if om := item.key(method).obj(); om != nil {
				l.noExtensions(where+": "+method, om)
			}
		}
	}
}

// checkUnique refuses two operations with one operationId, and two paths
// that differ only in the names of their variables: no request could
// tell them apart.
func (l *loader) checkUnique(ops []*operation) {
	ids := map[string]*operation{}
	shapes := map[string]string{}
	for _, op := range ops {
		if op.id != "" {
			if prev, ok := ids[op.id]; ok {
				l.probs.doc("operation "+op.method+" "+op.path, "operationId %q is also %s %s's", op.id, prev.method, prev.path)
			} else {
				ids[op.id] = op
			}
		}
		shape := templateShape(op.path)
		if prev, ok := shapes[shape]; ok && prev != op.path {
			l.probs.doc("path "+op.path, "matches the same requests as path %s", prev)
			shapes[shape] = op.path // report each clash once
		} else if !ok {
			shapes[shape] = op.path
		}
	}
}

// templateShape returns p with its variables' names erased.
func templateShape(p string) string {
	var b strings.Builder
	for {
		i := strings.IndexByte(p, '{')
		j := strings.IndexByte(p, '}')
		if i < 0 || j < i {
			b.WriteString(p)
			return b.String()
		}
		b.WriteString(p[:i])
		b.WriteString("{}")
		p = p[j+1:]
	}
}

// checkConfigUse checks the Config's limiters and rules against the
// document: each one present is usable, and limiters the document never
// names are a mistake, as Config.RateLimiters says.
func (l *loader) checkConfigUse() {
	for _, name := range sortedKeys(anyMap(l.cfg.RateLimiters)) {
		if l.cfg.RateLimiters[name] == nil {
			l.probs.config("Config.RateLimiters", "limiter %q is nil", name)
		}
	}
	for _, name := range sortedKeys(anyMap(l.cfg.Rules)) {
		if l.cfg.Rules[name] == nil {
			l.probs.config("Config.Rules", "rule %q is nil", name)
		}
	}
	if len(l.cfg.RateLimiters) > 0 && !l.namesLimiter {
		l.probs.config("Config.RateLimiters", "the document names no limiter: add %s to the operations to limit", extRateLimit)
	}
}

func anyMap[V any](m map[string]V) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// pathItem returns the operations of one path item.
func (l *loader) pathItem(item node, p string, doc *document, rootServers []string, rootSec []requirement, rootDeclared bool) []*operation {
	where := "path " + p
	item, err := l.deref(item)
	if err != nil {
		l.probs.doc(where, "%v", err)
		return nil
	}
	m := item.obj()
	if m == nil {
		l.probs.doc(where, "the Path Item Object is not an object")
		return nil
	}
	l.noExtensions(where, m)
	if _, ok := m["servers"]; ok {
		_, own := l.servers(item.key("servers"), where+": servers")
		if !sameSet(own, rootServers) {
			l.probs.doc(where, "servers differ from the document's: one router cannot enforce per-path servers")
		}
	}
	vars, err := templateVars(p)
	if err != nil {
		l.probs.doc(where, "%v", err)
		return nil
	}
	before := len(l.probs.list)
	shared := l.parameters(item.key("parameters"), where)
	sharedOK := len(l.probs.list) == before
	var ops []*operation
	for _, method := range methods {
		on := item.key(method)
		if on.v == nil {
			continue
		}
		op := &operation{method: strings.ToUpper(method), path: p, pointer: on.ptr}
		if item.f != l.root {
			op.pointer = on.where(l.root)
		}
		om := on.obj()
		if om == nil {
			l.probs.doc(op.method+" "+p, "the Operation Object is not an object")
			continue
		}
		op.id, _ = om["operationId"].(string)
		op.summary, _ = om["summary"].(string)
		opWhere := "operation " + op.method + " " + p
		if op.id != "" {
			opWhere = "operation " + op.id + " (" + op.method + " " + p + ")"
		}
		if _, ok := om["servers"]; ok {
			_, own := l.servers(on.key("servers"), opWhere+": servers")
			if !sameSet(own, rootServers) {
				l.probs.doc(opWhere, "servers differ from the document's: one router cannot enforce per-operation servers")
			}
		}
		before := len(l.probs.list)
		op.params = mergeParams(shared, l.parameters(on.key("parameters"), opWhere))
		if len(l.probs.list) == before && sharedOK {
			// Checked only over parameters that all loaded: a dropped one
			// would be reported again as missing.
			l.checkPathParams(op, vars, opWhere)
			l.compileParams(op, opWhere)
		}
		op.body = l.requestBody(on.key("requestBody"), opWhere)
		op.responses = l.responses(on.key("responses"), opWhere)
		if _, ok := om["security"]; ok {
			op.security, op.securityDeclared = l.security(on.key("security"), doc.schemes, opWhere+": security")
		} else {
			op.security, op.securityDeclared = rootSec, rootDeclared
		}
		if d, ok := om["deprecated"]; ok {
			b, isBool := d.(bool)
			if !isBool {
				l.probs.doc(opWhere, "deprecated is not a boolean")
			}
			op.deprecated = b
		}
		l.operationExtensions(op, om, opWhere)
		ops = append(ops, op)
	}
	return ops
}

// templateVars returns the variables of a path template, refusing a
// template whose braces do not pair up.
func templateVars(p string) ([]string, error) {
	var vars []string
	for rest := p; ; {
		i := strings.IndexAny(rest, "{}")
		if i < 0 {
			return vars, nil
		}
		if rest[i] == '}' {
			return nil, fmt.Errorf("unbalanced '}' in the path template")
		}
		j := strings.IndexAny(rest[i+1:], "{}")
		if j < 0 || rest[i+1+j] != '}' {
			return nil, fmt.Errorf("unbalanced '{' in the path template")
		}
		name := rest[i+1 : i+1+j]
		if name == "" {
			return nil, fmt.Errorf("empty template variable {} in the path template")
		}
		for _, v := range vars {
			if v == name {
				return nil, fmt.Errorf("template variable {%s} appears twice", name)
			}
		}
		vars = append(vars, name)
		rest = rest[i+2+j:]
	}
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	seen := map[string]int{}
	for _, s := range a {
		seen[s]++
	}
	for _, s := range b {
		if seen[s] == 0 {
			return false
		}
		seen[s]--
	}
	return true
}
