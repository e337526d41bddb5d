package openapi

import (
	"errors"
	"os"
	"testing"
)

// FuzzLoad feeds parseDocument arbitrary bytes: it must never panic, and
// every failure must wrap one of the package's sentinels.
func FuzzLoad(f *testing.F) {
	for _, name := range []string{"testdata/loader/petstore30.yaml", "testdata/loader/features31.yaml", "testdata/loader/multi/openapi.yaml", "testdata/loader/multi/schemas/item.json"} {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(opDoc(withPathParam("deprecated: true\nx-apishield-deprecation: {since: 2026-01-01}"))))
	f.Add([]byte(bodySchemaDoc("3.0.3", "{type: object, properties: {a: {type: integer, nullable: true, minimum: 1, exclusiveMinimum: true}}}", "")))
	f.Add(genDocument(8, false, true))
	f.Add([]byte(`{"openapi":"3.1.0","paths":{"/a/{b}":{"get":{"parameters":[{"name":"b","in":"path","required":true,"style":"matrix","explode":true,"schema":{"type":"object","properties":{"x":{"type":"integer"}}}}]}}}}`))
	f.Add([]byte("openapi: 3.1.0\nx: &a [1]\ny: *a\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<16 {
			return // bounded: the loader reads a document once, at start-up
		}
		doc, err := parseDocument(data, &Config{MaxDocumentBytes: 1 << 16})
		if err != nil {
			if !errors.Is(err, ErrInvalidDocument) && !errors.Is(err, ErrInvalidConfig) {
				t.Fatalf("error wraps neither sentinel: %v", err)
			}
			return
		}
		for _, op := range doc.ops {
			for _, p := range op.params {
				if p.schema != nil && p.schema.compiled == nil {
					t.Fatalf("operation %s: parameter %s: schema not compiled", op.name(), p.name)
				}
			}
		}
	})
}
