package openapi

import (
	"bytes"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// genDocument returns an OAS 3.0 (or, if v31, 3.1) JSON document with ops
// operations (four per path) whose parameters and bodies share 50
// component schemas, as real APIs do. Each operation also has a query
// parameter whose inline schema is its own when distinct, else the same
// text on every operation.
func genDocument(ops int, v31, distinct bool) []byte {
	version, nullable, exclusive := "3.0.3", `"type":"string","nullable":true`, `"minimum":0,"exclusiveMinimum":true`
	if v31 {
		version, nullable, exclusive = "3.1.0", `"type":["string","null"]`, `"exclusiveMinimum":0`
	}
	var b strings.Builder
	b.WriteString(`{"openapi":"` + version + `","info":{"title":"gen","version":"1"},"servers":[{"url":"/api"}],`)
	b.WriteString(`"security":[{"bearer":[]}],"paths":{`)
	methods := []string{"get", "put", "post", "delete"}
	for i := 0; i < ops/4; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		s := i % 50
		fmt.Fprintf(&b, `"/r%d/{id}":{"parameters":[{"name":"id","in":"path","required":true,"schema":{"type":"integer","format":"int64"}}],`, i)
		for j, m := range methods {
			if j > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `"%s":{"operationId":"%s%d","parameters":[{"$ref":"#/components/parameters/limit"},{"name":"q","in":"query","schema":{"type":"string","maxLength":%d,"pattern":"^[a-z]*$"}}],`, m, m, i, maxLen(distinct, i*4+j))
			if m == "put" || m == "post" {
				fmt.Fprintf(&b, `"requestBody":{"required":true,"content":{"application/json":{"schema":{"$ref":"#/components/schemas/S%d"}}}},`, s)
			}
			fmt.Fprintf(&b, `"responses":{"200":{"description":"ok","content":{"application/json":{"schema":{"type":"array","items":{"$ref":"#/components/schemas/S%d"}}}}},"default":{"$ref":"#/components/responses/Problem"}}}`, s)
		}
		b.WriteByte('}')
	}
	b.WriteString(`},"components":{"securitySchemes":{"bearer":{"type":"http","scheme":"bearer"}},`)
	b.WriteString(`"parameters":{"limit":{"name":"limit","in":"query","schema":{"type":"integer","minimum":1,"maximum":100}}},`)
	b.WriteString(`"responses":{"Problem":{"description":"problem","content":{"application/problem+json":{"schema":{"$ref":"#/components/schemas/Problem"}}}}},`)
	b.WriteString(`"schemas":{"Problem":{"type":"object","properties":{"type":{"type":"string"},"status":{"type":"integer"},"detail":{"type":"string"}}},`)
	for s := 0; s < 50; s++ {
		if s > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `"S%d":{"type":"object","additionalProperties":false,"required":["name"],"properties":{"id":{"type":"integer","format":"int64","readOnly":true},"name":{"type":"string","maxLength":100,"example":"x"},"tag":{%s},"price":{"type":"number",%s},"items":{"type":"array","maxItems":10,"items":{"$ref":"#/components/schemas/Problem"}}}}`, s, nullable, exclusive)
	}
	b.WriteString(`}}}`)
	return []byte(b.String())
}

func maxLen(distinct bool, op int) int {
	if distinct {
		return 64 + op
	}
	return 64
}

// BenchmarkLoad loads documents of 1 000 operations, OAS 3.0 (translated)
// and 3.1, and one whose every operation has an inline schema of its own
// (the compiler's worst case: nothing to share). The floor, in the same run, is jsonschema v6 alone on the 3.1
// document: decode the bytes and compile one component schema per
// operation, with nothing of OpenAPI read.
func BenchmarkLoad(b *testing.B) {
	for _, c := range []struct {
		name          string
		v31, distinct bool
	}{{"oas30", false, false}, {"oas31", true, false}, {"oas30-distinct", false, true}} {
		name, data := c.name, genDocument(1000, c.v31, c.distinct)
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				doc, err := parseDocument(data, &Config{})
				if err != nil {
					b.Fatal(err)
				}
				if len(doc.ops) != 1000 {
					b.Fatalf("%d operations", len(doc.ops))
				}
			}
			b.ReportMetric(float64(retained(b, data)), "retained-B")
		})
	}
	data := genDocument(1000, true, false)
	b.Run("floor", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			v, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
			if err != nil {
				b.Fatal(err)
			}
			c := jsonschema.NewCompiler()
			root := v.(map[string]any)
			if err := c.AddResource("floor:///doc", map[string]any{"components": root["components"]}); err != nil {
				b.Fatal(err)
			}
			for i := range 1000 {
				if _, err := c.Compile("floor:///doc#/components/schemas/S" + strconv.Itoa(i%50)); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}

// retained returns the heap a loaded document keeps alive.
func retained(b *testing.B, data []byte) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	doc, err := parseDocument(data, &Config{})
	if err != nil {
		b.Fatal(err)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(doc)
	if after.HeapAlloc < before.HeapAlloc {
		return 0
	}
	return after.HeapAlloc - before.HeapAlloc
}
