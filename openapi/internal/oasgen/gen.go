package oasgen

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"sort"
	"strings"
)

// Kind labels a generated request with what it tests.
type Kind string

// The kinds of request a generator makes. Valid requests should be
// accepted; every other kind should be refused.
const (
	Valid               Kind = "valid"
	MissingParam        Kind = "missing_required_param"
	WrongTypeParam      Kind = "wrong_type_param"
	BodyWrongType       Kind = "body_wrong_type"
	MissingProperty     Kind = "missing_required_property"
	BeyondMaximum       Kind = "beyond_maximum"
	EnumViolation       Kind = "enum_violation"
	UnknownProperty     Kind = "unknown_property"
	ParamBeyondMaximum  Kind = "param_beyond_maximum"
	ParamEnumViolation  Kind = "param_enum_violation"
	MissingRequiredBody Kind = "missing_required_body"
)

// A Case is one generated request and what it is expected to meet.
type Case struct {
	Op     string // "GET /items/{id}": the operation's method and path template
	Kind   Kind
	Detail string // what was changed, for invalid kinds: "query limit"
	Method string
	URL    string // absolute: the first server's URL, the path, the query
	Header http.Header
	Body   []byte // nil when none
}

// Valid reports whether the request is one the document allows.
func (c *Case) Valid() bool { return c.Kind == Valid }

// Request returns the case as a new request.
func (c *Case) Request() (*http.Request, error) {
	body := http.NoBody
	r, err := http.NewRequest(c.Method, c.URL, body)
	if err != nil {
		return nil, fmt.Errorf("oasgen: case %s %s: %w", c.Op, c.Kind, err)
	}
	if c.Body != nil {
		r, err = http.NewRequest(c.Method, c.URL, bytes.NewReader(c.Body))
		if err != nil {
			return nil, fmt.Errorf("oasgen: case %s %s: %w", c.Op, c.Kind, err)
		}
	}
	r.Header = c.Header.Clone()
	return r, nil
}

// Stats counts what a generator made and what it skipped.
type Stats struct {
	Operations int
	Cases      map[Kind]int
	// Skipped counts operations without a valid request, by reason.
	Skipped map[string]int
}

// A Generator makes requests from one document. It is not safe for
// concurrent use.
type Generator struct {
	refs   *refs
	rng    *rand.Rand
	server string // base URL, no trailing slash
}

// New returns a generator for the document tree root. resolve reads the
// files relative references name; nil allows only local ones. seed fixes
// every choice the generator makes.
func New(root any, resolve Resolver, seed uint64) (*Generator, error) {
	m, ok := root.(map[string]any)
	if !ok {
		return nil, errors.New("oasgen: the document is not an object")
	}
	if _, ok := m["paths"].(map[string]any); !ok {
		return nil, errors.New("oasgen: the document has no paths")
	}
	g := &Generator{
		refs:   &refs{root: root, resolve: resolve, files: map[string]any{}},
		rng:    rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		server: "http://localhost",
	}
	if ss, ok := m["servers"].([]any); ok && len(ss) > 0 {
		if s, ok := ss[0].(map[string]any); ok {
			g.server = serverURL(s)
		}
	}
	return g, nil
}

// serverURL is a Server Object's URL with its variables at their defaults,
// made absolute on localhost when it is relative.
func serverURL(s map[string]any) string {
	u, _ := s["url"].(string)
	if vars, ok := s["variables"].(map[string]any); ok {
		for name, v := range vars {
			if vm, ok := v.(map[string]any); ok {
				d, _ := vm["default"].(string)
				u = strings.ReplaceAll(u, "{"+name+"}", d)
			}
		}
	}
	if !strings.Contains(u, "://") {
		u = "http://localhost" + "/" + strings.TrimPrefix(u, "/")
	}
	return strings.TrimSuffix(u, "/")
}

// methods are the operation keys of a Path Item in the order the
// specification lists them.
var methods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// Cases generates, for every operation in path order, a valid request
// and every invalid variant the operation lends itself to.
func (g *Generator) Cases() ([]Case, Stats) {
	st := Stats{Cases: map[Kind]int{}, Skipped: map[string]int{}}
	paths := g.refs.root.(map[string]any)["paths"].(map[string]any)
	var out []Case
	for _, p := range sortedKeys(paths) {
		item, err := g.refs.deref(node{v: paths[p]})
		if err != nil {
			st.Skipped[err.Error()]++
			continue
		}
		im, ok := item.v.(map[string]any)
		if !ok {
			continue
		}
		for _, m := range methods {
			raw, ok := im[m]
			if !ok {
				continue
			}
			st.Operations++
			op, err := g.refs.deref(node{v: raw, file: item.file})
			if err != nil {
				st.Skipped[err.Error()]++
				continue
			}
			cs, err := g.operation(p, strings.ToUpper(m), item, op)
			if err != nil {
				var s skipError
				if errors.As(err, &s) {
					st.Skipped[string(s)]++
				} else {
					st.Skipped["error: "+err.Error()]++
				}
				continue
			}
			for _, c := range cs {
				st.Cases[c.Kind]++
			}
			out = append(out, cs...)
		}
	}
	return out, st
}

// sortedKeys returns m's keys in order, for determinism.
func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// jsonBody encodes a generated body.
func jsonBody(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("oasgen: encoding a generated value: %v", err)) // values are JSON trees
	}
	return b
}

// formBody encodes a flat object as application/x-www-form-urlencoded.
func formBody(v any) ([]byte, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, skip("form body that is not an object")
	}
	q := url.Values{}
	for _, k := range sortedKeys(m) {
		s, ok := primitive(m[k])
		if !ok {
			return nil, skip("form body with a nested value")
		}
		q.Set(k, s)
	}
	return []byte(q.Encode()), nil
}
