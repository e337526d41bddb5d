package oasgen

import (
	"fmt"
	"path"
	"strconv"
	"strings"
)

// A Resolver returns the decoded JSON tree of the document file name, a
// slash-separated path relative to the root document's directory. A
// generator without one resolves only local references.
type Resolver func(name string) (any, error)

// node is a value of the document together with the file it was read
// from, so that relative references inside it resolve against that file.
type node struct {
	v    any
	file string // slash path of the file, "" for the root document
}

// refs resolves $ref chains across files.
type refs struct {
	root    any
	resolve Resolver
	files   map[string]any
}

// maxRefChain bounds a chain of references ($ref to a $ref …), so that a
// cycle is an error instead of a loop.
const maxRefChain = 64

// deref follows n while it is an object with a $ref, and returns what the
// chain ends on.
func (r *refs) deref(n node) (node, error) {
	for range maxRefChain {
		m, ok := n.v.(map[string]any)
		if !ok {
			return n, nil
		}
		ref, ok := m["$ref"].(string)
		if !ok {
			return n, nil
		}
		next, err := r.lookup(n.file, ref)
		if err != nil {
			return node{}, err
		}
		n = next
	}
	return node{}, fmt.Errorf("oasgen: $ref chain longer than %d", maxRefChain)
}

// lookup resolves ref written in file.
func (r *refs) lookup(file, ref string) (node, error) {
	name, frag, _ := strings.Cut(ref, "#")
	target := file
	doc := r.root
	if name != "" {
		if strings.Contains(name, "://") {
			return node{}, fmt.Errorf("oasgen: remote $ref %q", ref)
		}
		target = path.Join(path.Dir(file), name)
		if file == "" {
			target = path.Clean(name)
		}
		var err error
		if doc, err = r.file(target); err != nil {
			return node{}, err
		}
	} else if file != "" {
		var err error
		if doc, err = r.file(file); err != nil {
			return node{}, err
		}
	}
	v, err := pointer(doc, frag)
	if err != nil {
		return node{}, fmt.Errorf("oasgen: $ref %q in %q: %w", ref, file, err)
	}
	return node{v: v, file: target}, nil
}

func (r *refs) file(name string) (any, error) {
	if v, ok := r.files[name]; ok {
		return v, nil
	}
	if r.resolve == nil {
		return nil, fmt.Errorf("oasgen: $ref to file %q without a resolver", name)
	}
	v, err := r.resolve(name)
	if err != nil {
		return nil, fmt.Errorf("oasgen: reading %q: %w", name, err)
	}
	r.files[name] = v
	return v, nil
}

// pointer evaluates the JSON pointer p (RFC 6901) in doc.
func pointer(doc any, p string) (any, error) {
	if p == "" {
		return doc, nil
	}
	if !strings.HasPrefix(p, "/") {
		return nil, fmt.Errorf("pointer %q does not start with /", p)
	}
	v := doc
	for _, tok := range strings.Split(p[1:], "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		if u, err := unescapePercent(tok); err == nil {
			tok = u
		}
		switch t := v.(type) {
		case map[string]any:
			next, ok := t[tok]
			if !ok {
				return nil, fmt.Errorf("pointer %q: no member %q", p, tok)
			}
			v = next
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(t) {
				return nil, fmt.Errorf("pointer %q: no index %q", p, tok)
			}
			v = t[i]
		default:
			return nil, fmt.Errorf("pointer %q: %q is inside a scalar", p, tok)
		}
	}
	return v, nil
}

// unescapePercent undoes the percent-encoding a URI fragment may carry.
func unescapePercent(s string) (string, error) {
	if !strings.Contains(s, "%") {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			b.WriteByte(s[i])
			continue
		}
		if i+2 >= len(s) {
			return "", fmt.Errorf("bad escape in %q", s)
		}
		n, err := strconv.ParseUint(s[i+1:i+3], 16, 8)
		if err != nil {
			return "", err
		}
		b.WriteByte(byte(n))
		i += 2
	}
	return b.String(), nil
}
