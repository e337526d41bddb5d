package oasgen

import "strings"

// A genBody is the body generated for an operation.
type genBody struct {
	required bool
	json     bool   // a JSON media type; form otherwise
	ctype    string // the Content-Type sent
	view     *view  // the schema's view
	value    any    // the generated value
	data     []byte // value encoded
}

// body generates the operation's request body, or nil when it declares
// none. A required body of a media type generation does not encode skips
// the operation; an optional one is left out.
func (g *Generator) body(op node) (*genBody, error) {
	raw, ok := op.v.(map[string]any)["requestBody"]
	if !ok {
		return nil, nil
	}
	n, err := g.refs.deref(node{v: raw, file: op.file})
	if err != nil {
		return nil, err
	}
	m, _ := n.v.(map[string]any)
	b := &genBody{}
	b.required, _ = m["required"].(bool)
	content, _ := m["content"].(map[string]any)
	var media string
	for _, k := range sortedKeys(content) {
		mt := strings.ToLower(k)
		if mt == "application/json" || (media == "" && isJSON(mt)) {
			media, b.json = k, true
		}
	}
	if media == "" {
		if _, ok := content["application/x-www-form-urlencoded"]; ok {
			media = "application/x-www-form-urlencoded"
		}
	}
	if media == "" {
		if b.required {
			return nil, skip("request body media type")
		}
		return nil, nil
	}
	b.ctype = media
	mt, _ := content[media].(map[string]any)
	s, ok := mt["schema"]
	if !ok {
		s = map[string]any{}
	}
	sn := node{v: s, file: n.file}
	if b.view, err = g.view(sn); err != nil {
		return nil, err
	}
	if b.value, err = g.valueOf(b.view, 0); err != nil {
		return nil, err
	}
	if b.json {
		b.data = jsonBody(b.value)
	} else if b.data, err = formBody(b.value); err != nil {
		return nil, err
	}
	return b, nil
}

// isJSON reports whether a media type is JSON or a +json suffix type.
func isJSON(mt string) bool {
	mt, _, _ = strings.Cut(mt, ";")
	mt = strings.TrimSpace(mt)
	return mt == "application/json" || (strings.HasSuffix(mt, "+json") && !strings.Contains(mt, "*"))
}
