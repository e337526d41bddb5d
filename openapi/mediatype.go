package openapi

import (
	"mime"
	"slices"
	"strings"

	"github.com/apishield/apishield/internal/schemacheck"
)

// A mediaTable is a content map ready for lookups: the declared media
// types and ranges of a request body or a response, chosen for a
// Content-Type as the specification says, the most specific first.
type mediaTable struct {
	exact    map[string]*mediaEntry // "application/json"
	suffixes []*mediaEntry          // "application/*+json": type "application", suffix "+json"
	ranges   map[string]*mediaEntry // "text/*", keyed by "text"
	any      *mediaEntry            // "*/*"
	declared string                 // the declared keys, sorted, for a 415's detail
}

// A mediaEntry is one declared media type or range.
type mediaEntry struct {
	key    string // as declared, lower-cased
	schema *schema
	// For a suffix range: the type and the subtype's suffix.
	typ, suffix string
	// The checks of the bodies the entry may take: JSON, form. Nil where
	// the entry takes no such body.
	json *schemacheck.Body
	form *formDecoder
	// structured is set for a range ("*/*", "application/*") whose schema
	// only a decoded body can meet: a body of a type the contract cannot
	// decode is refused under it, since its sender chose the type.
	structured bool
}

// newMediaTable indexes a content map. Keys are lower-cased; parameters
// in a key (";charset=utf-8") are dropped: a body is chosen by its type.
func newMediaTable(content map[string]*mediaType) (*mediaTable, error) {
	t := &mediaTable{exact: map[string]*mediaEntry{}, ranges: map[string]*mediaEntry{}}
	keys := make([]string, 0, len(content))
	for k := range content {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		mt := content[k]
		key := strings.ToLower(strings.TrimSpace(k))
		if i := strings.IndexByte(key, ';'); i >= 0 {
			key = strings.TrimSpace(key[:i])
		}
		e := &mediaEntry{key: key}
		if mt != nil {
			e.schema = mt.schema
		}
		typ, sub, ok := strings.Cut(key, "/")
		switch {
		case !ok || typ == "" || sub == "":
			return nil, errorf("media type %q is not type/subtype", k)
		case key == "*/*":
			t.any = e
		case typ == "*":
			return nil, errorf("media type %q: a range with a concrete subtype is not a media range", k)
		case sub == "*":
			t.ranges[typ] = e
		case strings.HasPrefix(sub, "*"):
			e.typ, e.suffix = typ, sub[1:]
			t.suffixes = append(t.suffixes, e)
		default:
			t.exact[key] = e
		}
	}
	t.declared = strings.Join(keys, ", ")
	return t, nil
}

// entries returns every entry of the table.
func (t *mediaTable) entries() []*mediaEntry {
	es := make([]*mediaEntry, 0, len(t.exact)+len(t.suffixes)+len(t.ranges)+1)
	for _, e := range t.exact {
		es = append(es, e)
	}
	es = append(es, t.suffixes...)
	for _, e := range t.ranges {
		es = append(es, e)
	}
	if t.any != nil {
		es = append(es, t.any)
	}
	return es
}

// find returns the entry for a request's Content-Type: the exact type,
// then a suffix range ("application/*+json"), then "type/*", then "*/*".
// mt is the media type alone, lower-cased. ok is false for an absent,
// malformed or undeclared type.
func (t *mediaTable) find(contentType string) (e *mediaEntry, mt string, ok bool) {
	mt, ok = mediaTypeOf(contentType)
	if !ok {
		return nil, "", false
	}
	if e := t.exact[mt]; e != nil {
		return e, mt, true
	}
	typ, sub, _ := strings.Cut(mt, "/")
	for _, e := range t.suffixes {
		if e.typ == typ && strings.HasSuffix(sub, e.suffix) {
			return e, mt, true
		}
	}
	if e := t.ranges[typ]; e != nil {
		return e, mt, true
	}
	if t.any != nil {
		return t.any, mt, true
	}
	return nil, mt, false
}

// mediaTypeOf returns the media type of a Content-Type value, lower-cased,
// without its parameters. The common spellings are read without parsing.
func mediaTypeOf(ct string) (string, bool) {
	switch ct {
	case "application/json", "application/x-www-form-urlencoded":
		return ct, true
	case "":
		return "", false
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil || strings.IndexByte(mt, '/') <= 0 || strings.Contains(mt, "*") {
		return "", false
	}
	return mt, true
}

// isJSON reports whether a media type is JSON: application/json or a
// +json type.
func isJSON(mt string) bool {
	if mt == "application/json" {
		return true
	}
	_, sub, ok := strings.Cut(mt, "/")
	return ok && strings.HasSuffix(sub, "+json")
}

// formMediaType is the form media type.
const formMediaType = "application/x-www-form-urlencoded"

// anyBytes reports whether every body meets s, read as bytes: no schema,
// true, {}, or a string schema ("format: binary"). A reference, or any
// other type, gives the body a structure only a decoder can check.
func anyBytes(s *schema) bool {
	if s == nil {
		return true
	}
	switch v := s.value.(type) {
	case bool:
		return v
	case map[string]any:
		if len(v) == 0 {
			return true
		}
		if _, ref := v["$ref"]; ref {
			return false
		}
		switch t := v["type"].(type) {
		case string:
			return t == "string"
		case []any:
			return slices.Contains(t, any("string"))
		}
	}
	return false
}
