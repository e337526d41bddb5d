package openapi

import (
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"path"
	"strconv"
	"strings"

	"github.com/apishield/apishield/internal/jsonpointer"
)

// maxRefChain bounds a chain of references to references.
const maxRefChain = 32

// A node is a value of the document and where it is: its file and its
// JSON pointer in that file.
type node struct {
	f   *file
	ptr string // "" for the file's root, else "/a/b"
	v   any
}

// key returns the node's member k.
func (n node) key(k string) node {
	m, _ := n.v.(map[string]any)
	return node{f: n.f, ptr: n.ptr + "/" + escapeToken(k), v: m[k]}
}

// index returns the node's element i.
func (n node) index(i int) node {
	a, _ := n.v.([]any)
	var v any
	if i < len(a) {
		v = a[i]
	}
	return node{f: n.f, ptr: n.ptr + "/" + strconv.Itoa(i), v: v}
}

// obj returns the node's value as an object, or nil.
func (n node) obj() map[string]any {
	m, _ := n.v.(map[string]any)
	return m
}

// where names the node for messages: its pointer, prefixed by its file
// when that is not the root file.
func (n node) where(root *file) string {
	p := n.ptr
	if p == "" {
		p = "/"
	}
	if n.f == root {
		return p
	}
	return n.f.name + "#" + p
}

// id is the node's location as a string, unique across files.
func (n node) id() string { return n.f.name + "#" + n.ptr }

func escapeToken(s string) string {
	if !strings.ContainsAny(s, "~/") {
		return s
	}
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

// errAnchor is the target of a reference by plain-name fragment
// ("#foo"), which only JSON Schema defines.
var errAnchor = errors.New("the fragment is not a JSON pointer")

// deref follows n's chain of $ref to the value it names; n itself when it
// is not a reference. The error names the chain when it loops.
func (l *loader) deref(n node) (node, error) {
	var chain []string
	for {
		m, ok := n.v.(map[string]any)
		if !ok {
			return n, nil
		}
		r, ok := m["$ref"]
		if !ok {
			return n, nil
		}
		ref, ok := r.(string)
		if !ok {
			return n, errors.New("$ref is not a string")
		}
		id := n.id()
		for _, c := range chain {
			if c == id {
				return n, fmt.Errorf("$ref cycle: %s -> %s", strings.Join(chain, " -> "), id)
			}
		}
		chain = append(chain, id)
		if len(chain) > maxRefChain {
			return n, fmt.Errorf("$ref chain longer than %d: %s", maxRefChain, strings.Join(chain, " -> "))
		}
		t, err := l.target(n.f, ref)
		if err != nil {
			return n, err
		}
		n = t
	}
}

// target returns the value ref names, relative to the file from.
func (l *loader) target(from *file, ref string) (node, error) {
	u, err := url.Parse(ref)
	if err != nil {
		return node{}, fmt.Errorf("$ref %q: %w", ref, err)
	}
	if u.Scheme != "" || u.Host != "" || strings.HasPrefix(ref, "//") {
		return node{}, fmt.Errorf("$ref %q is remote: references may only name this document or files beside it", ref)
	}
	f := from
	if u.Path != "" {
		if l.fsys == nil {
			return node{}, fmt.Errorf("$ref %q names a file: a document parsed from bytes may reference only itself", ref)
		}
		if strings.HasPrefix(u.Path, "/") {
			return node{}, fmt.Errorf("$ref %q: an absolute path cannot be resolved in the document's file system", ref)
		}
		name := path.Join(path.Dir(from.name), u.Path)
		if !fs.ValidPath(name) {
			return node{}, fmt.Errorf("$ref %q leaves the document's file system", ref)
		}
		f = l.open(name)
		if f.err != nil {
			return node{}, fmt.Errorf("$ref %q: %s: %w", ref, name, f.err)
		}
	}
	frag := u.Fragment
	if frag == "" {
		return node{f: f, v: f.value}, nil
	}
	if frag[0] != '/' {
		return node{f: f}, fmt.Errorf("$ref %q: %w", ref, errAnchor)
	}
	p, err := jsonpointer.Parse(frag)
	if err != nil {
		return node{}, fmt.Errorf("$ref %q: %w", ref, err)
	}
	root, _ := f.value.(map[string]any)
	v, ok := p.Lookup(root)
	if !ok {
		return node{}, fmt.Errorf("$ref %q: %s has nothing at %s", ref, f.name, frag)
	}
	return node{f: f, ptr: frag, v: v}, nil
}
