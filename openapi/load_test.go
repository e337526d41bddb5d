package openapi

import (
	"os"
	"slices"
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
