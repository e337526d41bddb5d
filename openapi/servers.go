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
// variable's enum, else its default. Values are not expanded again.
func expandServer(u string, vars map[string]any) ([]string, string) {
	out := []string{""}
	for rest := u; rest != ""; {
		i := strings.IndexByte(rest, '{')
		if i < 0 {
			i = len(rest)
		}
		for k := range out {
			out[k] += rest[:i]
		}
		rest = rest[i:]
		if rest == "" {
			break
		}
		j := strings.IndexByte(rest, '}')
		if j < 0 {
			return nil, "unbalanced '{'"
		}
		name := rest[1:j]
		rest = rest[j+1:]
		values, err := serverValues(name, vars)
		if err != "" {
			return nil, err
		}
		if len(out)*len(values) > maxBases {
			return nil, "the variables expand to more than " + strconv.Itoa(maxBases) + " URLs"
		}
		next := make([]string, 0, len(out)*len(values))
		for _, o := range out {
			for _, v := range values {
				next = append(next, o+v)
			}
		}
		out = next
	}
	return out, ""
}

// serverValues returns the values of a server variable: its enum, else
// its default.
func serverValues(name string, vars map[string]any) ([]string, string) {
	v, _ := vars[name].(map[string]any)
	if v == nil {
		return nil, "variable {" + name + "} is not declared"
	}
	if enum, ok := v["enum"].([]any); ok && len(enum) > 0 {
		values := make([]string, 0, len(enum))
		for _, e := range enum {
			s, ok := e.(string)
			if !ok {
				return nil, "variable {" + name + "} has a non-string enum value"
			}
			values = append(values, s)
		}
		return values, ""
	}
	if d, ok := v["default"].(string); ok {
		return []string{d}, ""
	}
	return nil, "variable {" + name + "} has neither enum nor default"
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
