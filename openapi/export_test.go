package openapi

import (
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// ContractSchemas returns the compiled schemas of c, for the fast path's
// differential test: by operation ("POST /pet"), the schemas of its JSON
// request bodies; and every schema of the document (parameters, request
// bodies, responses), once each.
func ContractSchemas(c *Contract) (bodies map[string][]*jsonschema.Schema, all []*jsonschema.Schema) {
	bodies = map[string][]*jsonschema.Schema{}
	seen := map[*jsonschema.Schema]bool{}
	add := func(s *schema) {
		if s != nil && s.compiled != nil && !seen[s.compiled] {
			seen[s.compiled] = true
			all = append(all, s.compiled)
		}
	}
	for _, op := range c.doc.ops {
		for _, p := range op.params {
			add(p.schema)
		}
		if op.body != nil {
			for mt, m := range op.body.content {
				add(m.schema)
				if m.schema != nil && m.schema.compiled != nil && strings.Contains(mt, "json") {
					key := op.method + " " + op.path
					bodies[key] = append(bodies[key], m.schema.compiled)
				}
			}
		}
		for _, r := range op.responses {
			for _, m := range r.content {
				add(m.schema)
			}
		}
	}
	return bodies, all
}
