package oasparam

import (
	"fmt"
	"net/http"
	"net/textproto"
	"strings"
)

// Params are the compiled parameters of one operation. A Params is
// immutable and safe for concurrent use.
type Params struct {
	lim    Limits
	path   []*decoder
	query  []*decoder
	header []*decoder
	cookie []*decoder
	// queryKeys maps a query key to the parameter (index in query) and,
	// for an exploded form object, the property it carries.
	queryKeys map[string]claim
	// deep maps the name of a deepObject parameter to its index in query.
	deep map[string]int
	// cookieKeys is queryKeys for cookies.
	cookieKeys map[string]claim
}

type claim struct {
	idx  int
	prop string
}

// ignoredHeaders are the header parameters OAS 3.1 §4.8.12.1 says to
// ignore: they are described elsewhere in the document.
var ignoredHeaders = map[string]bool{"Accept": true, "Content-Type": true, "Authorization": true}

// Compile checks each parameter (see [Param.Check]) and returns the
// decoders of one operation. It refuses two parameters with the same
// location and name, and query keys or cookies that two parameters would
// both claim. Header parameters named Accept, Content-Type or
// Authorization are dropped, as the specification says. Every error wraps
// [ErrInvalidConfig].
func Compile(params []Param, lim Limits) (*Params, error) {
	ps := &Params{lim: lim.withDefaults(), queryKeys: map[string]claim{}, deep: map[string]int{}, cookieKeys: map[string]claim{}}
	seen := map[string]bool{}
	for _, p := range params {
		if err := p.Check(); err != nil {
			return nil, err
		}
		p = p.withDefaults()
		key := p.Name
		if p.In == InHeader {
			key = textproto.CanonicalMIMEHeaderKey(p.Name)
			if ignoredHeaders[key] {
				continue
			}
		}
		id := p.In.String() + "\x00" + key
		if seen[id] {
			return nil, fmt.Errorf("%w: %s parameter %q is declared twice", ErrInvalidConfig, p.In, p.Name)
		}
		seen[id] = true
		props := make(map[string]Type, len(p.PropTypes))
		for k, v := range p.PropTypes {
			props[k] = v
		}
		p.PropTypes = props
		d := &decoder{Param: p, key: key, explode: p.explode(), lim: &ps.lim}
		var err error
		switch p.In {
		case InPath:
			ps.path = append(ps.path, d)
		case InHeader:
			ps.header = append(ps.header, d)
		case InQuery:
			ps.query = append(ps.query, d)
			err = ps.claimKeys(ps.queryKeys, ps.query, d)
		case InCookie:
			ps.cookie = append(ps.cookie, d)
			err = ps.claimKeys(ps.cookieKeys, ps.cookie, d)
		}
		if err != nil {
			return nil, err
		}
	}
	for key, c := range ps.queryKeys {
		if i := strings.IndexByte(key, '['); i > 0 {
			if j, ok := ps.deep[key[:i]]; ok {
				return nil, fmt.Errorf("%w: query parameter %q: key %q could also be a property of deepObject parameter %q", ErrInvalidConfig, ps.query[c.idx].Name, key, ps.query[j].Name)
			}
		}
	}
	return ps, nil
}

// claimKeys records the keys (query keys or cookie names) that d, the
// last of list, reads.
func (ps *Params) claimKeys(keys map[string]claim, list []*decoder, d *decoder) error {
	idx := len(list) - 1
	if d.Style == StyleDeepObject {
		ps.deep[d.Name] = idx
		return nil
	}
	add := func(key, prop string) error {
		if c, dup := keys[key]; dup {
			return fmt.Errorf("%w: %s parameter %q: key %q is also claimed by parameter %q", ErrInvalidConfig, d.In, d.Name, key, list[c.idx].Name)
		}
		keys[key] = claim{idx: idx, prop: prop}
		return nil
	}
	if d.Shape == ShapeObject && d.explode {
		for prop := range d.PropTypes {
			if err := add(prop, prop); err != nil {
				return err
			}
		}
		return nil
	}
	return add(d.Name, "")
}

// Path decodes the path parameters. raw returns the raw, still
// percent-encoded, text of a template variable's path segment (or the
// part of it the template gives the variable), and false if the route
// has no such variable. The result has one entry per parameter.
func (ps *Params) Path(raw func(name string) (string, bool)) (map[string]any, error) {
	out := make(map[string]any, len(ps.path))
	for _, d := range ps.path {
		s, ok := raw(d.Name)
		if !ok {
			return nil, d.fail(ErrMissing, "is missing")
		}
		v, err := d.path(s)
		if err != nil {
			return nil, err
		}
		out[d.Name] = v
	}
	return out, nil
}

// Header decodes the header parameters from h. Fields are matched
// case-insensitively; the result is keyed by the names as declared. An
// optional header that is absent has no entry in the result.
func (ps *Params) Header(h http.Header) (map[string]any, error) {
	out := make(map[string]any, len(ps.header))
	for _, d := range ps.header {
		lines := h[d.key]
		if len(lines) == 0 {
			if d.Required {
				return nil, d.fail(ErrMissing, "is missing")
			}
			continue
		}
		v, err := d.header(lines)
		if err != nil {
			return nil, err
		}
		out[d.Name] = v
	}
	return out, nil
}
