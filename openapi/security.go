package openapi

import (
	"sort"
	"strings"

	"github.com/apishield/apishield/internal/oasparam"
)

// securitySchemes reads components.securitySchemes.
func (l *loader) securitySchemes(n node) map[string]*securityScheme {
	schemes := map[string]*securityScheme{}
	m := n.obj()
	if n.v != nil && m == nil {
		l.probs.doc("components/securitySchemes", "is not an object")
	}
	for _, name := range sortedKeys(m) {
		if strings.HasPrefix(name, "x-") {
			l.checkExtensionKey("components/securitySchemes", name)
			continue
		}
		where := "components/securitySchemes/" + name
		sn, err := l.deref(n.key(name))
		if err != nil {
			l.probs.doc(where, "%v", err)
			continue
		}
		sm := sn.obj()
		if sm == nil {
			l.probs.doc(where, "the Security Scheme Object is not an object")
			continue
		}
		l.noExtensions(where, sm)
		s := &securityScheme{name: name}
		s.kind, _ = sm["type"].(string)
		switch s.kind {
		case "http":
			hs, _ := sm["scheme"].(string)
			s.httpScheme = strings.ToLower(hs)
			if s.httpScheme != "bearer" {
				l.probs.doc(where, "http scheme %q is not supported: apishield takes bearer tokens, API keys and client certificates", hs)
				continue
			}
		case "apiKey":
			in, _ := sm["in"].(string)
			switch in {
			case "header":
				s.in = oasparam.InHeader
			case "query":
				s.in = oasparam.InQuery
			case "cookie":
				s.in = oasparam.InCookie
			default:
				l.probs.doc(where, "apiKey \"in\" is %q: it must be header, query or cookie", in)
				continue
			}
			s.paramName, _ = sm["name"].(string)
			if s.paramName == "" {
				l.probs.doc(where, "apiKey has no name")
				continue
			}
		case "oauth2", "openIdConnect":
		case "mutualTLS":
			if l.oas30 {
				l.probs.doc(where, "type mutualTLS needs OpenAPI 3.1")
				continue
			}
		case "":
			l.probs.doc(where, "type is missing")
			continue
		default:
			l.probs.doc(where, "type %q is unknown: it must be http, apiKey, oauth2, openIdConnect or mutualTLS", s.kind)
			continue
		}
		schemes[name] = s
	}
	return schemes
}

// security reads a Security Requirement list: an OR of ANDs. declared is
// false when the list is absent.
func (l *loader) security(n node, schemes map[string]*securityScheme, where string) (reqs []requirement, declared bool) {
	if n.v == nil {
		return nil, false
	}
	list, ok := n.v.([]any)
	if !ok {
		l.probs.doc(where, "is not an array")
		return nil, true
	}
	reqs = []requirement{}
	for i := range list {
		m, ok := list[i].(map[string]any)
		if !ok {
			l.probs.doc(where, "requirement %d is not an object", i)
			continue
		}
		req := requirement{}
		for _, name := range sortedKeys(m) {
			s, ok := schemes[name]
			if !ok {
				l.probs.doc(where, "requirement %d names security scheme %q, which components/securitySchemes does not declare", i, name)
				continue
			}
			raw, ok := m[name].([]any)
			if !ok {
				l.probs.doc(where, "requirement %d: the scopes of %q are not an array", i, name)
				continue
			}
			use := schemeUse{scheme: s}
			for _, sc := range raw {
				str, ok := sc.(string)
				if !ok {
					l.probs.doc(where, "requirement %d: a scope of %q is not a string", i, name)
					continue
				}
				use.scopes = append(use.scopes, str)
			}
			req = append(req, use)
		}
		reqs = append(reqs, req)
	}
	return reqs, true
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
