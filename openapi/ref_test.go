package openapi

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/apishield/apishield/internal/oasparam"
	"github.com/apishield/apishield/ratelimit"
)

// countingFS counts the opens of each file.
type countingFS struct {
	fs.FS
	mu    sync.Mutex
	opens map[string]int
}

func (c *countingFS) Open(name string) (fs.File, error) {
	c.mu.Lock()
	c.opens[name]++
	c.mu.Unlock()
	return c.FS.Open(name)
}

func TestLoadRelativeRefs(t *testing.T) {
	t.Parallel()
	fsys := &countingFS{FS: os.DirFS("testdata/loader/multi"), opens: map[string]int{}}
	doc, err := loadDocument(fsys, "openapi.yaml", &Config{})
	if err != nil {
		t.Fatal(err)
	}
	for name, n := range fsys.opens {
		if n != 1 {
			t.Errorf("%s opened %d times, want once", name, n)
		}
	}
	if !slices.Equal(doc.bases, []string{"/api/v1", "/api/v2"}) {
		t.Errorf("bases = %q", doc.bases)
	}
	list := opByName(t, doc, "listItems")
	if list.path != "/items" || len(list.params) != 1 || list.params[0].decl.Type != oasparam.TypeInteger {
		t.Fatalf("listItems = %+v", list)
	}
	if list.pointer != "paths/items.yaml#/get" {
		t.Errorf("listItems pointer = %q", list.pointer)
	}
	if len(list.security) != 1 || list.security[0][0].scheme.in != oasparam.InQuery {
		t.Errorf("listItems security = %+v", list.security)
	}
	checkValues(t, list.params[0].schema.compiled, map[string]bool{`5`: true, `51`: false})
	items := list.responses["200"].content["application/json"].schema
	checkValues(t, items.compiled, map[string]bool{`[{"id":"a1"}]`: true, `[{"id":"A"}]`: false, `[{"id":"a","x":1}]`: false})

	get := opByName(t, doc, "getItem")
	if len(get.params) != 1 || get.params[0].in != oasparam.InPath || get.params[0].decl.Type != oasparam.TypeString {
		t.Fatalf("getItem params = %+v", get.params)
	}
	checkValues(t, get.params[0].schema.compiled, map[string]bool{`"abc"`: true, `"a-b"`: false})
}

func TestLoadRefErrors(t *testing.T) {
	t.Parallel()
	root := func(ref string) []byte {
		return []byte(opDoc(withPathParam("requestBody: {$ref: '" + ref + "'}")))
	}
	cases := []struct {
		name string
		fsys fstest.MapFS
		want []string
	}{
		{"leaves the file system", fstest.MapFS{"api/openapi.yaml": {Data: root("../../body.yaml")}}, []string{"requestBody", "leaves the document's file system"}},
		{"sibling directory is inside", fstest.MapFS{"api/openapi.yaml": {Data: root("../body.yaml")}}, []string{"requestBody", `$ref "../body.yaml": body.yaml: open body.yaml: file does not exist`}},
		{"absolute path", fstest.MapFS{"api/openapi.yaml": {Data: root("/etc/body.yaml")}}, []string{"requestBody", "absolute path"}},
		{"file scheme", fstest.MapFS{"api/openapi.yaml": {Data: root("file:///etc/body.yaml")}}, []string{"requestBody", "is remote"}},
		{"missing file", fstest.MapFS{"api/openapi.yaml": {Data: root("body.yaml")}}, []string{"requestBody", `$ref "body.yaml": api/body.yaml`}},
		{"cycle across files", fstest.MapFS{
			"api/openapi.yaml": {Data: root("a.yaml")},
			"api/a.yaml":       {Data: []byte("$ref: 'sub/b.yaml'\n")},
			"api/sub/b.yaml":   {Data: []byte("$ref: '../a.yaml'\n")},
		}, []string{"requestBody", "$ref cycle", "api/a.yaml# -> api/sub/b.yaml# -> api/a.yaml#"}},
		{"bad file", fstest.MapFS{
			"api/openapi.yaml": {Data: root("a.yaml")},
			"api/a.yaml":       {Data: []byte("content: {}\ncontent: {}\n")},
		}, []string{"requestBody", "api/a.yaml", "duplicate key"}},
		{"anchor fragment on an OpenAPI object", fstest.MapFS{"api/openapi.yaml": {Data: root("#body")}}, []string{"requestBody", "not a JSON pointer"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := loadDocument(tc.fsys, "api/openapi.yaml", &Config{})
			if !errors.Is(err, ErrInvalidDocument) {
				t.Fatalf("err = %v, want ErrInvalidDocument", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not contain %q:\n%v", w, err)
				}
			}
		})
	}
}

func TestLoadSchemaCycleIsFine(t *testing.T) {
	t.Parallel()
	// A recursive schema is a tree of any depth, not a loop to refuse.
	doc, err := parseDocument([]byte(bodySchemaDoc("3.0.3", "{$ref: '#/components/schemas/Node'}",
		"Node: {type: object, properties: {next: {$ref: '#/components/schemas/Node'}, v: {type: integer, nullable: true}}}")), &Config{})
	if err != nil {
		t.Fatal(err)
	}
	checkValues(t, bodySchema(t, doc).compiled, map[string]bool{`{"next":{"next":{"v":null}}}`: true, `{"next":{"v":"x"}}`: false})
}

func TestLoadJSONAndYAMLAgree(t *testing.T) {
	t.Parallel()
	y, err := parseDocument([]byte(opDoc(withPathParam("x-apishield-cost: 3\nx-apishield-rate-limit: default\n"))), &Config{RateLimiters: limiters("default")})
	if err != nil {
		t.Fatal(err)
	}
	jsonText := `{"openapi":"3.1.0","info":{"title":"t","version":"1"},"paths":{"/items/{id}":{"get":{
		"operationId":"getItem","responses":{"200":{"description":"ok"}},
		"parameters":[{"name":"id","in":"path","required":true,"schema":{"type":"integer"}}],
		"x-apishield-cost":3,"x-apishield-rate-limit":"default"}}},
		"components":{"securitySchemes":{"bearer":{"type":"http","scheme":"bearer"}}}}`
	j, err := parseDocument([]byte(jsonText), &Config{RateLimiters: limiters("default")})
	if err != nil {
		t.Fatal(err)
	}
	if summary(y) != summary(j) {
		t.Errorf("YAML and JSON differ:\n%s\n%s", summary(y), summary(j))
	}
}

// summary writes what a document's model says, for comparisons.
func summary(doc *document) string {
	var b strings.Builder
	b.WriteString(doc.version + " " + doc.title + " " + doc.apiVer + "\n")
	for _, op := range doc.ops {
		b.WriteString(op.method + " " + op.path + " " + op.id + " " + op.pointer + " " + op.rateLimit + " " + strconv.Itoa(op.cost) + "\n")
		for _, p := range op.params {
			b.WriteString("  " + p.name + " " + p.in.String() + " " + p.decl.Type.String() + " " + p.schema.loc + "\n")
		}
		keys := make([]string, 0, len(op.responses))
		for k := range op.responses {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		b.WriteString("  responses " + strings.Join(keys, ",") + "\n")
	}
	return b.String()
}

// limiters returns RateLimiters with the names; the loader checks names,
// so the limiters are never run.
func limiters(names ...string) map[string]*ratelimit.Limiter {
	m := map[string]*ratelimit.Limiter{}
	for _, n := range names {
		m[n] = new(ratelimit.Limiter)
	}
	return m
}

func TestLoadJSONAndYAMLAgreeOnPetstore(t *testing.T) {
	t.Parallel()
	y, err := os.ReadFile("testdata/loader/petstore30.yaml")
	if err != nil {
		t.Fatal(err)
	}
	dec, err := decode(y)
	if err != nil {
		t.Fatal(err)
	}
	j, err := json.MarshalIndent(dec.value, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	fromYAML, err := parseDocument(y, &Config{})
	if err != nil {
		t.Fatal(err)
	}
	fromJSON, err := parseDocument(j, &Config{})
	if err != nil {
		t.Fatal(err)
	}
	// json.Marshal sorts keys, so paths come in another order: compare
	// operations by name.
	a, b := strings.Split(summary(fromYAML), "\n"), strings.Split(summary(fromJSON), "\n")
	slices.Sort(a)
	slices.Sort(b)
	if !slices.Equal(a, b) {
		t.Errorf("YAML and JSON differ:\n%s\n---\n%s", summary(fromYAML), summary(fromJSON))
	}
}
