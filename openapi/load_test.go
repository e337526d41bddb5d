package openapi

import (
	"errors"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/apishield/apishield/internal/oasparam"
)

func loadTestdata(t *testing.T, name string, cfg Config) *document {
	t.Helper()
	doc, err := loadDocument(os.DirFS("testdata/loader"), name, &cfg)
	if err != nil {
		t.Fatalf("loadDocument(%s): %v", name, err)
	}
	return doc
}

func opByName(t *testing.T, doc *document, name string) *operation {
	t.Helper()
	for _, op := range doc.ops {
		if op.name() == name {
			return op
		}
	}
	t.Fatalf("no operation %s", name)
	return nil
}

func TestLoadPetstore30(t *testing.T) {
	t.Parallel()
	doc := loadTestdata(t, "petstore30.yaml", Config{})
	if doc.version != "3.0.3" || doc.title != "Petstore" || doc.apiVer != "1.0.0" {
		t.Errorf("version, title, apiVer = %q, %q, %q", doc.version, doc.title, doc.apiVer)
	}
	if !slices.Equal(doc.bases, []string{"/v1"}) {
		t.Errorf("bases = %q, want [/v1]", doc.bases)
	}
	var got []string
	for _, op := range doc.ops {
		got = append(got, op.method+" "+op.path)
	}
	want := []string{"GET /pets", "POST /pets", "GET /pets/{petId}", "DELETE /pets/{petId}"}
	if !slices.Equal(got, want) {
		t.Errorf("operations = %q, want %q", got, want)
	}

	list := opByName(t, doc, "listPets")
	if list.pointer != "/paths/~1pets/get" {
		t.Errorf("listPets pointer = %q", list.pointer)
	}
	if len(list.params) != 2 {
		t.Fatalf("listPets has %d params, want 2", len(list.params))
	}
	limit := list.params[0]
	if limit.name != "limit" || limit.in != oasparam.InQuery || limit.decl.Type != oasparam.TypeInteger || limit.schema == nil || limit.schema.compiled == nil {
		t.Errorf("limit = %+v", limit)
	}
	if tags := list.params[1]; tags.decl.Shape != oasparam.ShapeArray || tags.decl.ItemType != oasparam.TypeString {
		t.Errorf("tags decl = %+v", tags.decl)
	}
	if _, ok := list.responses["200"]; !ok {
		t.Errorf("listPets responses = %v, want 200", list.responses)
	}
	if def := list.responses["default"]; def == nil || def.content["application/problem+json"] == nil {
		t.Errorf("listPets default response = %+v", def)
	}
	if len(list.security) != 1 || len(list.security[0]) != 1 || list.security[0][0].scheme.name != "bearer" || !list.securityDeclared {
		t.Errorf("listPets security = %+v", list.security)
	}

	create := opByName(t, doc, "createPet")
	if create.body == nil || !create.body.required || create.body.content["application/json"].schema.compiled == nil {
		t.Errorf("createPet body = %+v", create.body)
	}
	if len(create.security) != 2 || !slices.Equal(create.security[0][0].scopes, []string{"pets:write"}) || create.security[1][0].scheme.kind != "apiKey" {
		t.Errorf("createPet security = %+v", create.security)
	}
	if show := opByName(t, doc, "showPet"); !show.public() {
		t.Errorf("showPet (security: []) is not public")
	}
	del := opByName(t, doc, "deletePet")
	if len(del.params) != 1 || del.params[0].decl.In != oasparam.InPath || !del.params[0].required {
		t.Errorf("deletePet params = %+v", del.params)
	}
	if _, ok := del.responses["2XX"]; !ok {
		t.Errorf("deletePet responses = %v, want 2XX", del.responses)
	}
	key := doc.schemes["apiKey"]
	if key == nil || key.in != oasparam.InHeader || key.paramName != "X-API-Key" {
		t.Errorf("apiKey scheme = %+v", key)
	}
}

func TestLoadKeepsDocumentOrder(t *testing.T) {
	t.Parallel()
	const doc = `openapi: 3.0.3
info: {title: order, version: "1"}
paths:
  /zebra:
    post: {responses: {201: {description: created}}}
    get: {responses: {200: {description: ok}}}
  /apple:
    delete: {responses: {204: {description: gone}}}
  /mango:
    trace: {responses: {default: {description: any}}}
    head: {responses: {200: {description: ok}}}
`
	d, err := parseDocument([]byte(doc), &Config{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, op := range d.ops {
		got = append(got, op.name())
	}
	want := []string{"GET /zebra", "POST /zebra", "DELETE /apple", "HEAD /mango", "TRACE /mango"}
	if !slices.Equal(got, want) {
		t.Errorf("operations = %q, want %q", got, want)
	}
	if _, ok := d.ops[0].responses["200"]; !ok {
		t.Errorf("unquoted YAML status 200 is not the key \"200\": %v", d.ops[0].responses)
	}
	if d.ops[0].securityDeclared || d.ops[0].public() {
		t.Errorf("an operation without declared security is declared or public")
	}
}

func TestLoadPublicAPI(t *testing.T) {
	t.Parallel()
	if _, err := Load(os.DirFS("testdata/loader/multi"), "openapi.yaml", Config{}); err != nil {
		t.Errorf("Load: %v", err)
	}
	if _, err := LoadFile("testdata/loader/petstore30.yaml", Config{}); err != nil {
		t.Errorf("LoadFile: %v", err)
	}
	if _, err := LoadFile("testdata/loader/missing.yaml", Config{}); !errors.Is(err, ErrInvalidDocument) {
		t.Errorf("LoadFile of a missing file: %v, want ErrInvalidDocument", err)
	}
	if _, err := Load(os.DirFS("testdata/loader"), "../petstore30.yaml", Config{}); !errors.Is(err, ErrInvalidDocument) {
		t.Errorf("Load of a name outside fsys: %v, want ErrInvalidDocument", err)
	}
	if _, err := Parse([]byte("openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths: {}\n"), Config{}); err != nil {
		t.Errorf("Parse: %v", err)
	}
}

func TestLoadFeatures31(t *testing.T) {
	t.Parallel()
	doc := loadTestdata(t, "features31.yaml", Config{})
	if doc.apiVer != "1.0" || !slices.Equal(doc.bases, []string{""}) {
		t.Errorf("apiVer %q, bases %q", doc.apiVer, doc.bases)
	}
	if len(doc.ops) != 2 {
		t.Fatalf("%d operations, want 2 (webhooks are not served)", len(doc.ops))
	}
	report := opByName(t, doc, "getReport")
	if report.path != "/reports/{year}" || report.params[0].decl.Style != oasparam.StyleLabel || report.params[0].decl.Type != oasparam.TypeInteger {
		t.Errorf("getReport = %+v, params %+v", report, report.params)
	}
	search := opByName(t, doc, "search")
	if len(search.security) != 1 || len(search.security[0]) != 2 {
		t.Fatalf("search security = %+v", search.security)
	}
	kinds := []string{search.security[0][0].scheme.kind, search.security[0][1].scheme.kind}
	if !slices.Equal(kinds, []string{"mutualTLS", "openIdConnect"}) || !slices.Equal(search.security[0][1].scopes, []string{"read"}) {
		t.Errorf("search requirement = %+v", search.security[0])
	}
	byName := map[string]*parameter{}
	for _, p := range search.params {
		byName[p.name] = p
	}
	if d := byName["filter"].decl; d.Shape != oasparam.ShapeObject || d.PropTypes["min"] != oasparam.TypeInteger || d.PropTypes["tag"] != oasparam.TypeString {
		t.Errorf("filter decl = %+v", d)
	}
	if d := byName["ids"].decl; d.Style != oasparam.StylePipeDelimited || d.Explode == nil || *d.Explode || d.ItemType != oasparam.TypeInteger {
		t.Errorf("ids decl = %+v", d)
	}
	if d := byName["X-Trace"].decl; d.In != oasparam.InHeader || d.Type != oasparam.TypeString {
		t.Errorf("X-Trace decl = %+v", d)
	}
	if d := byName["session"].decl; d.In != oasparam.InCookie || d.Type != oasparam.TypeBoolean {
		t.Errorf("session decl = %+v", d)
	}
	if _, ok := search.responses["2XX"]; !ok {
		t.Errorf("search responses = %v", search.responses)
	}
}

// TestCompiledLocations shows that a compiled schema's location names
// its place in the document, as the inventory reports it, whether it was
// compiled in its file or from a resource of its own beside it.
func TestCompiledLocations(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"petstore30.yaml", "multi/openapi.yaml"} {
		doc := loadTestdata(t, name, Config{})
		n := 0
		check := func(where string, s *schema) {
			if s == nil {
				return
			}
			n++
			base, frag, _ := strings.Cut(s.compiled.Location, "#")
			base, _, _ = strings.Cut(base, "?")
			if got := base + "#" + frag; got != s.loc {
				t.Errorf("%s: %s: compiled at %s, want %s", name, where, s.compiled.Location, s.loc)
			}
		}
		for _, op := range doc.ops {
			for _, p := range op.params {
				check(op.name()+" "+p.name, p.schema)
			}
			if op.body != nil {
				for mt, m := range op.body.content {
					check(op.name()+" body "+mt, m.schema)
				}
			}
			for st, r := range op.responses {
				for mt, m := range r.content {
					check(op.name()+" "+st+" "+mt, m.schema)
				}
			}
		}
		if n < 4 {
			t.Errorf("%s: only %d schemas checked", name, n)
		}
	}
}
