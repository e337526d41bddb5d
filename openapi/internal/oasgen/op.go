package oasgen

import (
	"maps"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// A param is one declared parameter of an operation.
type param struct {
	name, in, style string
	explode         bool
	required        bool
	view            *view
	schema          node
}

// an opReq is a request under construction: every part separately, so a
// variant can change one.
type opReq struct {
	path   map[string]string // serialised path parameters by name
	query  []query
	header http.Header
	cookie []query
	body   []byte
	ctype  string
}

type query struct{ name, value string } // value already encoded

func (g *Generator) operation(tmpl, method string, item, op node) ([]Case, error) {
	ps, err := g.params(item, op)
	if err != nil {
		return nil, err
	}
	base := opReq{path: map[string]string{}, header: http.Header{}}
	for _, p := range ps {
		if !p.required && g.rng.IntN(2) == 0 {
			continue
		}
		x, err := g.valueOf(p.view, 1)
		if err != nil {
			if p.required {
				return nil, err
			}
			continue
		}
		if err := base.set(p, x); err != nil {
			if p.required {
				return nil, err
			}
		}
	}
	body, err := g.body(op)
	if err != nil {
		return nil, err
	}
	if body != nil {
		base.body, base.ctype = body.data, body.ctype
	}
	name := method + " " + tmpl
	mk := func(k Kind, detail string, r opReq) Case {
		return g.build(name, method, tmpl, k, detail, r)
	}
	out := []Case{mk(Valid, "", base)}

	// Parameter variants.
	done := map[Kind]bool{}
	for _, p := range ps {
		if p.in != "path" && p.required && !done[MissingParam] {
			done[MissingParam] = true
			out = append(out, mk(MissingParam, p.in+" "+p.name, base.without(p)))
		}
		if p.view.branched || len(p.view.enum) > 0 || p.view.hasConst || !p.view.definite() {
			continue
		}
		switch p.view.kind() {
		case "integer", "number", "boolean":
			if !done[WrongTypeParam] {
				r := base.clone()
				if r.set(p, "zz") == nil {
					done[WrongTypeParam] = true
					out = append(out, mk(WrongTypeParam, p.in+" "+p.name, r))
				}
			}
		}
		if x, ok := p.view.beyond(); ok && !done[ParamBeyondMaximum] {
			r := base.clone()
			if r.set(p, x) == nil {
				done[ParamBeyondMaximum] = true
				out = append(out, mk(ParamBeyondMaximum, p.in+" "+p.name, r))
			}
		}
	}
	for _, p := range ps {
		if done[ParamEnumViolation] || p.view.kind() != "string" || !stringEnum(p.view) {
			continue
		}
		r := base.clone()
		if r.set(p, "zz-not-in-enum") == nil {
			done[ParamEnumViolation] = true
			out = append(out, mk(ParamEnumViolation, p.in+" "+p.name, r))
		}
	}

	// Body variants, for JSON bodies.
	if body == nil {
		return out, nil
	}
	if body.required {
		r := base.clone()
		r.body, r.ctype = nil, ""
		out = append(out, mk(MissingRequiredBody, "", r))
	}
	if !body.json {
		return out, nil
	}
	with := func(k Kind, detail string, v any) {
		r := base.clone()
		r.body = jsonBody(v)
		out = append(out, mk(k, detail, r))
	}
	root := body.view
	if root.definite() && !root.nullable {
		switch root.kind() {
		case "object":
			with(BodyWrongType, "array for object", []any{})
		case "array":
			with(BodyWrongType, "object for array", map[string]any{})
		default:
			with(BodyWrongType, "object for "+root.kind(), map[string]any{})
		}
	}
	obj, ok := body.value.(map[string]any)
	if !ok || root.branched || root.kind() != "object" {
		return out, nil
	}
	for _, k := range root.required {
		if _, present := obj[k]; present {
			m := maps.Clone(obj)
			delete(m, k)
			with(MissingProperty, k, m)
			break
		}
	}
	for _, k := range root.order {
		pv, err := g.view(root.props[k])
		if err != nil || pv.readOnly || !pv.definite() || len(pv.enum) > 0 || pv.hasConst {
			continue
		}
		if x, ok := pv.beyond(); ok {
			m := maps.Clone(obj)
			m[k] = x
			with(BeyondMaximum, k, m)
			break
		}
	}
	for _, k := range root.order {
		pv, err := g.view(root.props[k])
		if err != nil || pv.readOnly || pv.kind() != "string" || !stringEnum(pv) {
			continue
		}
		m := maps.Clone(obj)
		m[k] = "zz-not-in-enum"
		with(EnumViolation, k, m)
		break
	}
	if root.closed {
		m := maps.Clone(obj)
		m["zz_unknown_property"] = 1
		with(UnknownProperty, "zz_unknown_property", m)
	}
	return out, nil
}

// stringEnum reports whether v is a non-branched enum of strings only, so
// that a new string is outside it.
func stringEnum(v *view) bool {
	if v.branched || len(v.enum) == 0 {
		return false
	}
	for _, e := range v.enum {
		if _, ok := e.(string); !ok {
			return false
		}
	}
	return true
}

// beyond returns a value just past the view's maximum, or its maxLength.
func (v *view) beyond() (any, bool) {
	switch v.kind() {
	case "integer", "number":
		if math.IsNaN(v.max) || v.multipleOf > 0 {
			return nil, false
		}
		if v.exclMax {
			return v.max, true
		}
		return math.Floor(v.max) + 1, true
	case "string":
		if v.maxLen < 0 || v.maxLen >= 1<<16 || v.pattern != "" || v.format != "" {
			return nil, false
		}
		return strings.Repeat("a", v.maxLen+1), true
	}
	return nil, false
}

// params merges the path item's parameters with the operation's (the
// operation's replace the path item's of the same name and location).
func (g *Generator) params(item, op node) ([]param, error) {
	var out []param
	index := map[string]int{}
	for _, src := range []node{item, op} {
		list, _ := src.v.(map[string]any)["parameters"].([]any)
		for _, raw := range list {
			n, err := g.refs.deref(node{v: raw, file: src.file})
			if err != nil {
				return nil, err
			}
			m, ok := n.v.(map[string]any)
			if !ok {
				continue
			}
			p := param{}
			p.name, _ = m["name"].(string)
			p.in, _ = m["in"].(string)
			p.required, _ = m["required"].(bool)
			p.style, _ = m["style"].(string)
			if p.style == "" {
				p.style = map[string]string{"query": "form", "cookie": "form"}[p.in]
				if p.style == "" {
					p.style = "simple"
				}
			}
			p.explode = p.style == "form"
			if e, ok := m["explode"].(bool); ok {
				p.explode = e
			}
			s, ok := m["schema"]
			if !ok {
				if p.required {
					return nil, skip("parameter with content")
				}
				continue
			}
			p.schema = node{v: s, file: n.file}
			if p.view, err = g.view(p.schema); err != nil {
				return nil, err
			}
			key := p.in + "\x00" + p.name
			if p.in == "header" {
				key = p.in + "\x00" + http.CanonicalHeaderKey(p.name)
				switch http.CanonicalHeaderKey(p.name) {
				case "Accept", "Content-Type", "Authorization":
					continue // ignored by the specification
				}
			}
			if i, dup := index[key]; dup {
				out[i] = p
				continue
			}
			index[key] = len(out)
			out = append(out, p)
		}
	}
	return out, nil
}

// set serialises x as p's value into the request.
func (r *opReq) set(p param, x any) error {
	switch p.in {
	case "path":
		s, err := pathValue(p, x)
		if err != nil {
			return err
		}
		r.path[p.name] = s
	case "query":
		qs, err := queryValue(p, x)
		if err != nil {
			return err
		}
		r.query = append(r.dropQuery(p.name), qs...)
	case "header":
		s, err := list(x, ",")
		if err != nil {
			return err
		}
		r.header.Set(p.name, s)
	case "cookie":
		s, ok := primitive(x)
		if !ok {
			return skip("cookie that is not a primitive")
		}
		r.cookie = append(r.dropCookie(p.name), query{p.name, url.QueryEscape(s)})
	default:
		return skip("parameter in " + p.in)
	}
	return nil
}

func (r opReq) dropQuery(name string) []query {
	var out []query
	for _, q := range r.query {
		if q.name != name && !strings.HasPrefix(q.name, name+"[") {
			out = append(out, q)
		}
	}
	return out
}

func (r opReq) dropCookie(name string) []query {
	var out []query
	for _, q := range r.cookie {
		if q.name != name {
			out = append(out, q)
		}
	}
	return out
}

func (r opReq) clone() opReq {
	c := r
	c.path = maps.Clone(r.path)
	c.query = append([]query(nil), r.query...)
	c.cookie = append([]query(nil), r.cookie...)
	c.header = r.header.Clone()
	return c
}

// without is the request with p's value removed.
func (r opReq) without(p param) opReq {
	c := r.clone()
	switch p.in {
	case "query":
		c.query = c.dropQuery(p.name)
	case "header":
		c.header.Del(p.name)
	case "cookie":
		c.cookie = c.dropCookie(p.name)
	}
	return c
}

func pathValue(p param, x any) (string, error) {
	s, err := list(x, ",")
	if err != nil {
		return "", err
	}
	s = url.PathEscape(s)
	switch p.style {
	case "simple":
		return s, nil
	case "label":
		return "." + s, nil
	case "matrix":
		return ";" + p.name + "=" + s, nil
	}
	return "", skip("path style " + p.style)
}

func queryValue(p param, x any) ([]query, error) {
	name := url.QueryEscape(p.name)
	if xs, ok := x.([]any); ok {
		var sep string
		switch {
		case p.style == "form" && p.explode:
			out := make([]query, 0, len(xs))
			for _, e := range xs {
				s, ok := primitive(e)
				if !ok {
					return nil, skip("query array of non-primitives")
				}
				out = append(out, query{name, url.QueryEscape(s)})
			}
			return out, nil
		case p.style == "form":
			sep = ","
		case p.style == "spaceDelimited":
			sep = " "
		case p.style == "pipeDelimited":
			sep = "|"
		default:
			return nil, skip("query array style " + p.style)
		}
		s, err := list(xs, sep)
		if err != nil {
			return nil, err
		}
		return []query{{name, url.QueryEscape(s)}}, nil
	}
	if _, ok := x.(map[string]any); ok {
		return nil, skip("query object")
	}
	s, ok := primitive(x)
	if !ok {
		return nil, skip("query value")
	}
	return []query{{name, url.QueryEscape(s)}}, nil
}

// list writes a primitive or an array of primitives joined by sep.
func list(x any, sep string) (string, error) {
	if xs, ok := x.([]any); ok {
		parts := make([]string, 0, len(xs))
		for _, e := range xs {
			s, ok := primitive(e)
			if !ok {
				return "", skip("array of non-primitives in a parameter")
			}
			parts = append(parts, s)
		}
		return strings.Join(parts, sep), nil
	}
	s, ok := primitive(x)
	if !ok {
		return "", skip("object parameter")
	}
	return s, nil
}

// primitive writes a scalar as parameters carry it.
func primitive(x any) (string, bool) {
	switch v := x.(type) {
	case string:
		return v, true
	case bool:
		return strconv.FormatBool(v), true
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64), true
	case int:
		return strconv.Itoa(v), true
	}
	return "", false
}

// build assembles a Case from the parts of r.
func (g *Generator) build(name, method, tmpl string, k Kind, detail string, r opReq) Case {
	path := tmpl
	for n, v := range r.path {
		path = strings.ReplaceAll(path, "{"+n+"}", v)
	}
	u := g.server + path
	if len(r.query) > 0 {
		parts := make([]string, len(r.query))
		for i, q := range r.query {
			parts[i] = q.name + "=" + q.value
		}
		u += "?" + strings.Join(parts, "&")
	}
	h := r.header.Clone()
	if len(r.cookie) > 0 {
		parts := make([]string, len(r.cookie))
		for i, c := range r.cookie {
			parts[i] = c.name + "=" + c.value
		}
		h.Set("Cookie", strings.Join(parts, "; "))
	}
	if r.body != nil {
		h.Set("Content-Type", r.ctype)
	}
	return Case{Op: name, Kind: k, Detail: detail, Method: method, URL: u, Header: h, Body: r.body}
}
