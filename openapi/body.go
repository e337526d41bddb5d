package openapi

import (
	"strings"
)

// requestBody reads an operation's Request Body Object.
func (l *loader) requestBody(n node, where string) *requestBody {
	if n.v == nil {
		return nil
	}
	bw := where + ": requestBody"
	n, err := l.deref(n)
	if err != nil {
		l.probs.doc(bw, "%v", err)
		return nil
	}
	m := n.obj()
	if m == nil {
		l.probs.doc(bw, "the Request Body Object is not an object")
		return nil
	}
	l.noExtensions(bw, m)
	b := &requestBody{}
	if r, ok := m["required"]; ok {
		if b.required, ok = r.(bool); !ok {
			l.probs.doc(bw, "required is not a boolean")
		}
	}
	if _, ok := m["content"]; !ok {
		l.probs.doc(bw, "content is missing")
	}
	b.content = l.content(n.key("content"), bw, true)
	return b
}

// responses reads an operation's Responses Object.
func (l *loader) responses(n node, where string) map[string]*response {
	out := map[string]*response{}
	if n.v == nil {
		return out
	}
	rw := where + ": responses"
	m := n.obj()
	if m == nil {
		l.probs.doc(rw, "the Responses Object is not an object")
		return out
	}
	for _, status := range sortedKeys(m) {
		if strings.HasPrefix(status, "x-") {
			l.checkExtensionKey(rw, status)
			continue
		}
		sw := rw + ": " + status
		if !validStatusKey(status) {
			l.probs.doc(sw, "%q is not a status code, a range such as 2XX, or default", status)
			continue
		}
		rn, err := l.deref(n.key(status))
		if err != nil {
			l.probs.doc(sw, "%v", err)
			continue
		}
		rm := rn.obj()
		if rm == nil {
			l.probs.doc(sw, "the Response Object is not an object")
			continue
		}
		l.noExtensions(sw, rm)
		l.headers(rn.key("headers"), sw)
		key := strings.ToUpper(status)
		if status == "default" {
			key = status
		}
		out[key] = &response{status: key, content: l.content(rn.key("content"), sw, false)}
	}
	return out
}

// validStatusKey reports whether k is an HTTP status code, a range
// ("2XX"), or "default".
func validStatusKey(k string) bool {
	if k == "default" {
		return true
	}
	if len(k) != 3 || k[0] < '1' || k[0] > '5' {
		return false
	}
	if (k[1] == 'X' || k[1] == 'x') && (k[2] == 'X' || k[2] == 'x') {
		return true
	}
	return k[1] >= '0' && k[1] <= '9' && k[2] >= '0' && k[2] <= '9'
}

// headers checks a response's Header Objects: their references resolve
// and their schemas load (headers are not enforced yet).
func (l *loader) headers(n node, where string) {
	m := n.obj()
	for _, name := range sortedKeys(m) {
		hw := where + ": header " + name
		hn, err := l.deref(n.key(name))
		if err != nil {
			l.probs.doc(hw, "%v", err)
			continue
		}
		hm := hn.obj()
		if hm == nil {
			l.probs.doc(hw, "the Header Object is not an object")
			continue
		}
		l.noExtensions(hw, hm)
		if s := hn.key("schema"); s.v != nil {
			l.schemaAt(s, hw+": schema")
		}
	}
}

// content reads a content map, keyed by lower-cased media type; request
// says it is a request body's, whose form bodies the contract decodes.
func (l *loader) content(n node, where string, request bool) map[string]*mediaType {
	out := map[string]*mediaType{}
	if n.v == nil {
		return out
	}
	m := n.obj()
	if m == nil {
		l.probs.doc(where, "content is not an object")
		return out
	}
	for _, mt := range sortedKeys(m) {
		mw := where + ": content " + mt
		key := strings.ToLower(mt)
		if _, dup := out[key]; dup {
			l.probs.doc(mw, "media type declared twice (media types are case-insensitive)")
			continue
		}
		mn, err := l.deref(n.key(mt))
		if err != nil {
			l.probs.doc(mw, "%v", err)
			continue
		}
		mm := mn.obj()
		if mm == nil {
			l.probs.doc(mw, "the Media Type Object is not an object")
			continue
		}
		l.noExtensions(mw, mm)
		if enc, ok := mm["encoding"]; ok && request && formDecoded(key) {
			if em, isMap := enc.(map[string]any); !isMap || len(em) > 0 {
				// The contract reads every property as form, exploded: an
				// encoding that says otherwise would be checked more
				// loosely than written ("a,b,c" one item, not three).
				l.probs.doc(mw, "encoding is not supported: a form body's properties are read as style form, exploded")
			}
		}
		media := &mediaType{}
		if s := mn.key("schema"); s.v != nil {
			media.schema = l.schemaAt(s, mw+": schema")
		}
		out[key] = media
	}
	return out
}

// components checks the Components Object: its schemas load, and no
// component carries an extension apishield would ignore.
func (l *loader) components(n node) {
	m := n.obj()
	if m == nil {
		if n.v != nil {
			l.probs.doc("components", "the Components Object is not an object")
		}
		return
	}
	l.noExtensions("components", m)
	for _, section := range sortedKeys(m) {
		sn := n.key(section)
		sm := sn.obj()
		where := "components/" + section
		if section == "schemas" {
			for _, name := range sortedKeys(sm) {
				l.componentSchema(sn.key(name), where+"/"+name)
			}
			continue
		}
		if section == "securitySchemes" {
			continue // read by securitySchemes
		}
		for _, name := range sortedKeys(sm) {
			if cm, ok := sm[name].(map[string]any); ok {
				l.noExtensions(where+"/"+name, cm)
			}
		}
	}
}

// formDecoded reports whether a request body's media type key (lower
// case) takes form bodies the contract decodes: the form type itself, or
// a range it falls under.
func formDecoded(key string) bool {
	key, _, _ = strings.Cut(key, ";")
	switch strings.TrimSpace(key) {
	case formMediaType, "*/*", "application/*":
		return true
	}
	return false
}
