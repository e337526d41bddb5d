package oasroute

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"golang.org/x/net/http/httpguts"
)

// ErrInvalid is wrapped by every error New returns.
var ErrInvalid = errors.New("oasroute: invalid routes")

// An Operation is one operation of the document: an HTTP method as the
// request spells it ("GET", not the document's "get") and its path
// template as the Paths Object spells it ("/items/{id}").
type Operation struct {
	Method string
	Path   string
}

// String returns "METHOD /path", the way errors name an operation.
func (op Operation) String() string { return op.Method + " " + op.Path }

// A Param is one path parameter of a match: its name in the template and
// its value as it appears in the escaped request path.
type Param struct {
	Name  string
	Value string
}

// A Router matches requests to the operations it was built with. It is
// read-only after New and safe for concurrent use.
type Router struct {
	bases     []string // longest first; "" if the root is the base
	root      *node
	ops       []Operation
	maxParams int
}

// A node is the position after some leading segments of the templates.
type node struct {
	lit   map[string]*node // children by literal segment
	mixed []*mixedChild    // children by mixed segment, none overlapping
	param *node            // the child for a pure parameter segment
	leaf  *leaf            // the path item that ends here, if any
}

type mixedChild struct {
	seg  *segment // the first template's; others share its shape
	op   int      // the first operation through it, to name it
	next *node
}

// A leaf is one path item: a path template and its operations.
type leaf struct {
	template string
	first    int        // the first operation of the item, to name it
	names    []string   // parameter names, in path order
	methods  []methodOp // sorted by method
	allow    []string   // the methods, sorted; returned for a 405
}

type methodOp struct {
	method string
	op     int
}

// New builds a Router for operations served under the base paths bases.
// A base path is "" (the server URL has no path, or is "/") or starts
// with "/" and has no trailing slash ("/v1"); duplicates are allowed and
// count once; no bases at all means the single base "". New copies its
// arguments; the index of an operation in ops is what Find returns for
// it.
//
// New reports every problem it finds, each wrapping ErrInvalid and naming
// the operations involved: a malformed template, a method that is not an
// HTTP token, an operation listed twice, two templates that differ only in
// their parameter names or whose mixed segments at the same position
// can match the same text (the spec gives no order for them), and a
// malformed base path.
func New(bases []string, ops []Operation) (*Router, error) {
	rt := &Router{root: new(node), ops: slices.Clone(ops)}
	var errs []error
	fail := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, args...)...))
	}

	if len(bases) == 0 {
		bases = []string{""}
	}
	for _, b := range bases {
		if b != "" && (!strings.HasPrefix(b, "/") || strings.HasSuffix(b, "/")) {
			fail(`base path %q neither is "" nor starts with "/" without a trailing slash`, b)
			continue
		}
		if err := checkLiteral(strings.ReplaceAll(b, "/", "")); err != nil {
			fail("base path %q: %v", b, err)
			continue
		}
		if !slices.Contains(rt.bases, b) {
			rt.bases = append(rt.bases, b)
		}
	}
	// Longest first, so the first base a path is under is the one to strip.
	slices.SortFunc(rt.bases, func(a, b string) int { return len(b) - len(a) })

	for i, op := range rt.ops {
		if !isToken(op.Method) {
			fail("operation %d (%s): the method is not an HTTP token", i, op)
			continue
		}
		segs, err := parseTemplate(op.Path)
		if err != nil {
			fail("operation %d (%s): %v", i, op, err)
			continue
		}
		n, err := rt.insert(segs, i)
		if err != nil {
			fail("%v", err)
			continue
		}
		if n.leaf == nil {
			n.leaf = &leaf{template: op.Path, first: i}
			for _, s := range segs {
				n.leaf.names = append(n.leaf.names, s.names...)
			}
			rt.maxParams = max(rt.maxParams, len(n.leaf.names))
		}
		l := n.leaf
		if l.template != op.Path {
			fail("operations %d (%s) and %d (%s): the paths differ only in parameter names, which the spec calls identical and invalid",
				l.first, rt.ops[l.first], i, op)
			continue
		}
		k, found := slices.BinarySearchFunc(l.methods, op.Method, func(m methodOp, s string) int {
			return strings.Compare(m.method, s)
		})
		if found {
			fail("operations %d and %d: %s is listed twice", l.methods[k].op, i, op)
			continue
		}
		l.methods = slices.Insert(l.methods, k, methodOp{op.Method, i})
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	rt.root.finish()
	return rt, nil
}

// insert walks or grows the trie along segs and returns the node where
// the template ends. It refuses a mixed segment that can match the same
// text as another one at the same position.
func (rt *Router) insert(segs []segment, op int) (*node, error) {
	n := rt.root
	for i := range segs {
		s := &segs[i]
		switch s.kind {
		case segLiteral:
			if n.lit == nil {
				n.lit = make(map[string]*node)
			}
			c := n.lit[s.lit]
			if c == nil {
				c = new(node)
				n.lit[s.lit] = c
			}
			n = c
		case segParam:
			if n.param == nil {
				n.param = new(node)
			}
			n = n.param
		case segMixed:
			var c *node
			for _, m := range n.mixed {
				if m.seg.lit == s.lit {
					c = m.next
					break
				}
				if overlap(m.seg, s) {
					return nil, fmt.Errorf("operation %d (%s): segment %d %q can match the same text as %q of %s, and the spec does not order them",
						op, rt.ops[op], i+1, s.lit, m.seg.lit, rt.ops[m.op])
				}
			}
			if c == nil {
				c = new(node)
				n.mixed = append(n.mixed, &mixedChild{seg: s, op: op, next: c})
			}
			n = c
		}
	}
	return n, nil
}

// finish fills in each leaf's Allow list once all operations are in.
func (n *node) finish() {
	if n.leaf != nil {
		for _, m := range n.leaf.methods {
			n.leaf.allow = append(n.leaf.allow, m.method)
		}
	}
	for _, c := range n.lit {
		c.finish()
	}
	for _, m := range n.mixed {
		m.next.finish()
	}
	if n.param != nil {
		n.param.finish()
	}
}

// Operations returns a copy of the operations the Router was built with.
func (rt *Router) Operations() []Operation { return slices.Clone(rt.ops) }

// MaxParams returns the largest number of parameters a match can return:
// a params slice with this capacity makes Find allocate nothing.
func (rt *Router) MaxParams() int { return rt.maxParams }

// Find matches a request's method and escaped path (what
// url.URL.EscapedPath returns) to an operation.
//
// On a match Find returns the index of the operation in the slice given
// to New, the path parameters appended to params[:0] in path order, and
// ok true. If a path item matches but has no operation for method, Find
// returns -1, ok false and the item's methods, sorted, for a 405's Allow
// header; the caller must not modify that slice. If no path matches, allow
// is nil too.
//
// Parameter values are the escaped text of the path; decoding them
// (percent-decoding, then the parameter's style) is the caller's. Find
// allocates nothing when params has capacity for MaxParams values.
func (rt *Router) Find(method, escapedPath string, params []Param) (op int, ps []Param, allow []string, ok bool) {
	ps = params[:0]
	rest, found := rt.strip(escapedPath)
	if !found {
		return -1, ps, nil, false
	}
	l, ps := rt.root.match(rest[1:], ps, strings.IndexByte(rest, '%') >= 0)
	if l == nil {
		return -1, ps[:0], nil, false
	}
	for i := range ps {
		ps[i].Name = l.names[i]
	}
	for _, m := range l.methods {
		if m.method == method {
			return m.op, ps, nil, true
		}
	}
	return -1, ps[:0], l.allow, false
}

// strip removes the longest base path path is under, at a segment
// boundary, and returns what is left, which starts with "/".
func (rt *Router) strip(path string) (string, bool) {
	for _, b := range rt.bases {
		if len(path) > len(b) && path[len(b)] == '/' && path[:len(b)] == b {
			return path[len(b):], true
		}
	}
	return "", false
}

// match matches rest, the request path after the "/" that leads to n,
// against n's subtree: a literal child first, then the mixed children,
// then the parameter child, falling back to the next when the more
// concrete one matches no whole path. esc says the path holds a "%", so
// that its segments need their literal form.
func (n *node) match(rest string, ps []Param, esc bool) (*leaf, []Param) {
	seg, tail, more := strings.Cut(rest, "/")
	// Literals are compared decoded (see literal); a pure parameter takes
	// the segment as it was sent.
	key := seg
	if esc {
		key = literal(seg)
	}
	if c := n.lit[key]; c != nil {
		if l, ps2 := c.next(tail, more, ps, esc); l != nil {
			return l, ps2
		}
	}
	mark := len(ps)
	for _, m := range n.mixed {
		if ps2, ok := m.seg.match(key, ps); ok {
			if key != seg {
				for i := mark; i < len(ps2); i++ {
					ps2[i].Value = escape(ps2[i].Value)
				}
			}
			if l, ps3 := m.next.next(tail, more, ps2, esc); l != nil {
				return l, ps3
			}
		}
		ps = ps[:mark]
	}
	if n.param != nil && seg != "" {
		if l, ps2 := n.param.next(tail, more, append(ps, Param{Value: seg}), esc); l != nil {
			return l, ps2
		}
	}
	return nil, ps[:mark]
}

// next continues a match at n with the rest of the path, if there is more.
func (n *node) next(tail string, more bool, ps []Param, esc bool) (*leaf, []Param) {
	if !more {
		return n.leaf, ps
	}
	return n.match(tail, ps, esc)
}

// isToken reports whether s is an RFC 9110 token, as net/http checks a
// request's method.
func isToken(s string) bool {
	return s != "" && strings.IndexFunc(s, isNotToken) < 0
}

func isNotToken(r rune) bool { return !httpguts.IsTokenRune(r) }
