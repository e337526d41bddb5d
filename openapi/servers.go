package openapi

import (
	"net/url"
	"strconv"
	"strings"
)

// maxBases bounds the base paths the servers expand to.
const maxBases = 64

// servers returns the base paths of a Servers list (see document.bases)
// and the list as written, to compare path and operation servers with.
// An absent list is the one base "".
func (l *loader) servers(n node, where string) (bases, raw []string) {
	if n.v == nil {
		return []string{""}, []string{""}
	}
	list, ok := n.v.([]any)
	if !ok {
		l.probs.doc(where, "servers is not an array")
		return []string{""}, nil
	}
	if len(list) == 0 {
		return []string{""}, []string{""}
	}
	seen := map[string]bool{}
	for i := range list {
		s := n.index(i)
		sw := where + "[" + strconv.Itoa(i) + "]"
		m := s.obj()
		if m == nil {
			l.probs.doc(sw, "the Server Object is not an object")
			continue
		}
		l.noExtensions(sw, m)
		u, ok := m["url"].(string)
		if !ok {
			l.probs.doc(sw, "url is missing or not a string")
			continue
		}
		urls, err := expandServer(u, s.key("variables").obj())
		if err != "" {
			l.probs.doc(sw, "url %q: %s", u, err)
			continue
		}
		for _, e := range urls {
			base, err := basePath(e)
			if err != "" {
				l.probs.doc(sw, "url %q: %s", u, err)
				break
			}
			raw = append(raw, base)
			if !seen[base] {
				seen[base] = true
				bases = append(bases, base)
			}
			if len(bases) > maxBases {
				l.probs.doc(where, "the servers expand to more than %d base paths", maxBases)
				return bases[:maxBases], raw
			}
		}
	}
	return bases, raw
}

// expandServer expands a server URL's {variables}: each value of a
// variable's enum, else its default.
func expandServer(u string, vars map[string]any) ([]string, string) {
	out := []string{u}
	for {
		i := strings.IndexByte(out[0], '{')
		if i < 0 {
			return out, ""
		}
		j := strings.IndexByte(out[0][i:], '}')
		if j < 0 {
			return nil, "unbalanced '{'"
		}
		name := out[0][i+1 : i+j]
		v, _ := vars[name].(map[string]any)
		if v == nil {
			return nil, "variable {" + name + "} is not declared"
		}
		var values []string
		if enum, ok := v["enum"].([]any); ok && len(enum) > 0 {
			for _, e := range enum {
				s, ok := e.(string)
				if !ok {
					return nil, "variable {" + name + "} has a non-string enum value"
				}
				values = append(values, s)
			}
		} else if d, ok := v["default"].(string); ok {
			values = []string{d}
		} else {
			return nil, "variable {" + name + "} has neither enum nor default"
		}
		var next []string
		for _, o := range out {
			for _, val := range values {
				next = append(next, strings.ReplaceAll(o, "{"+name+"}", val))
				if len(next) > maxBases {
					return nil, "the variables expand to too many URLs"
				}
			}
		}
		out = next
	}
}

// basePath returns the path part of a server URL without its trailing
// slash.
func basePath(u string) (string, string) {
	pu, err := url.Parse(u)
	if err != nil {
		return "", err.Error()
	}
	if pu.Scheme != "" && pu.Host == "" && pu.Opaque != "" {
		return "", "is not a hierarchical URL"
	}
	p := pu.Path
	if pu.Host == "" && pu.Scheme == "" && p != "" && !strings.HasPrefix(p, "/") {
		p = "/" + p // a relative URL: relative to where the document is served, read as rooted
	}
	if strings.ContainsAny(p, "{}") {
		return "", "the path holds an unexpanded variable"
	}
	return strings.TrimRight(p, "/"), ""
}
