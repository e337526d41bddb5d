package openapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apishield/apishield/internal/oasparam"
)

// inventoryDoc is a hand-built document with one operation of each kind
// the inventory tells apart.
func inventoryDoc(t *testing.T) *document {
	oauth := &securityScheme{name: "oauth", kind: "oauth2"}
	key := &securityScheme{name: "key", kind: "apiKey", in: oasparam.InHeader, paramName: "X-API-Key"}
	bearer := &securityScheme{name: "jwt", kind: "http", httpScheme: "bearer"}
	item := compileSchema(t, `{"$defs":{"item":{"type":"object","additionalProperties":false,"properties":{"name":{"type":"string","maxLength":50}}},
		"open":{"type":"object","properties":{"note":{"type":"string"}}},
		"id":{"type":"integer"}}}`, "/$defs/item", false)
	open := compileSchema(t, `{"type":"object","properties":{"note":{"type":"string"}}}`, "", false)
	id := compileSchema(t, `{"type":"integer"}`, "", false)
	since := time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)
	return &document{
		version: "3.1.0", title: "Items | API", apiVer: "1.2.0", bases: []string{"/v1"},
		schemes: map[string]*securityScheme{"oauth": oauth, "key": key, "jwt": bearer},
		ops: []*operation{
			{
				method: "GET", path: "/items", id: "listItems", pointer: "/paths/~1items/get",
				security: []requirement{{{scheme: oauth, scopes: []string{"items:read"}}}, {{scheme: key}}}, securityDeclared: true,
				params: []*parameter{
					{name: "limit", in: oasparam.InQuery, schema: id},
					{name: "raw", in: oasparam.InHeader, required: true},
				},
				responses: map[string]*response{
					"200":     {status: "200", content: map[string]*mediaType{"application/json": {schema: item}}},
					"default": {status: "default", content: map[string]*mediaType{"text/plain": {}}},
					"204":     {status: "204"},
				},
				rateLimit: "per-user", cost: 3,
			},
			{
				method: "POST", path: "/items", id: "createItem", pointer: "/paths/~1items/post",
				security: []requirement{{}}, securityDeclared: true,
				body: &requestBody{required: true, content: map[string]*mediaType{
					"application/json":         {schema: open},
					"application/octet-stream": {},
					"application/merge+json":   {},
				}},
			},
			{
				method: "DELETE", path: "/items/{id}", pointer: "/paths/~1items~1{id}/delete",
				params:     []*parameter{{name: "id", in: oasparam.InPath, required: true, schema: id}},
				deprecated: true, deprecation: &deprecationInfo{since: since, docs: "https://example.com/d"},
				owner: "item-owner",
			},
			{
				method: "PUT", path: "/items/{id}", id: "replaceItem", pointer: "/paths/~1items~1{id}/put",
				security: []requirement{{{scheme: bearer}}, {}}, securityDeclared: true,
				params: []*parameter{{name: "id", in: oasparam.InPath, required: true, schema: id}},
				body:   &requestBody{content: map[string]*mediaType{"application/json": {schema: item}}},
			},
		},
	}
}

func TestInventory(t *testing.T) {
	t.Parallel()
	c := &Contract{doc: inventoryDoc(t), cfg: Config{Responses: ResponsesReport}}
	inv := c.Inventory()

	// Go through JSON, as a tool would.
	var buf bytes.Buffer
	if err := inv.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	var got Inventory
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got.Title != "Items | API" || got.APIVersion != "1.2.0" || got.OpenAPI != "3.1.0" ||
		got.Undeclared != "authenticated" || got.Responses != "report" || len(got.Operations) != 4 {
		t.Fatalf("header: got %+v", got)
	}

	list := got.Operations[0]
	if list.ID != "listItems" || list.Method != "GET" || list.Path != "/items" || list.Pointer != "/paths/~1items/get" {
		t.Errorf("listItems: got %+v", list)
	}
	if s := list.Security; s.Mode != SecurityRequired || len(s.Alternatives) != 2 ||
		s.Alternatives[0][0].Scheme != "oauth" || !slices.Equal(s.Alternatives[0][0].Scopes, []string{"items:read"}) ||
		s.Alternatives[1][0].Type != "apiKey header X-API-Key" {
		t.Errorf("listItems security: got %+v", s)
	}
	if want := []ParameterReport{{Name: "limit", In: "query", HasSchema: true}, {Name: "raw", In: "header", Required: true}}; !slices.Equal(list.Parameters, want) {
		t.Errorf("listItems parameters: got %+v, want %+v", list.Parameters, want)
	}
	if list.Body != nil {
		t.Errorf("listItems body: got %+v, want null", list.Body)
	}
	wantResp := []ResponseReport{
		{Status: "200", MediaTypes: []MediaReport{{Type: "application/json", HasSchema: true, Validated: true}}},
		{Status: "204", MediaTypes: []MediaReport{}},
		{Status: "default", MediaTypes: []MediaReport{{Type: "text/plain"}}},
	}
	if !slices.EqualFunc(list.Responses, wantResp, func(a, b ResponseReport) bool {
		return a.Status == b.Status && slices.Equal(a.MediaTypes, b.MediaTypes)
	}) {
		t.Errorf("listItems responses: got %+v, want %+v", list.Responses, wantResp)
	}
	if list.RateLimit != "per-user" || list.Cost != 3 || list.Owner != "" || list.Deprecated {
		t.Errorf("listItems extensions: got %+v", list)
	}
	if want := []string{"no-parameter-schema /paths/~1items/get"}; !slices.Equal(warned(list.Warnings), want) {
		t.Errorf("listItems warnings: got %q, want %q", warned(list.Warnings), want)
	}

	create := got.Operations[1]
	if create.Security.Mode != SecurityPublic || create.Cost != 1 {
		t.Errorf("createItem: got %+v", create)
	}
	if b := create.Body; b == nil || !b.Required || !slices.Equal(b.MediaTypes, []MediaReport{
		{Type: "application/json", HasSchema: true, Validated: true},
		{Type: "application/merge+json"},
		{Type: "application/octet-stream"},
	}) {
		t.Errorf("createItem body: got %+v", create.Body)
	}
	if want := []string{
		"no-body-schema /paths/~1items/post/requestBody/content/application~1merge+json",
		"open-object openapi.json#",
		"public-write /paths/~1items/post",
		"unbounded-string openapi.json#/properties/note",
		"unknown-media-type /paths/~1items/post/requestBody/content/application~1octet-stream",
	}; !slices.Equal(warned(create.Warnings), want) {
		t.Errorf("createItem warnings: got %q\nwant %q", warned(create.Warnings), want)
	}

	del := got.Operations[2]
	if del.ID != "" || del.Security.Mode != SecurityUndeclared || del.Security.Undeclared != "authenticated" ||
		!del.Deprecated || del.Deprecation == nil || del.Deprecation.Since != "2026-01-02T00:00:00Z" ||
		del.Deprecation.Sunset != "" || del.Owner != "item-owner" {
		t.Errorf("DELETE /items/{id}: got %+v (deprecation %+v)", del, del.Deprecation)
	}
	// Undeclared under the default Config is not public: no public-write.
	if want := []string{"undeclared-security /paths/~1items~1{id}/delete"}; !slices.Equal(warned(del.Warnings), want) {
		t.Errorf("DELETE warnings: got %q, want %q", warned(del.Warnings), want)
	}

	replace := got.Operations[3]
	// An alternative that is empty makes authentication optional: public.
	if replace.Security.Mode != SecurityPublic || len(replace.Security.Alternatives) != 2 ||
		replace.Security.Alternatives[0][0].Type != "http bearer" || len(replace.Security.Alternatives[1]) != 0 {
		t.Errorf("replaceItem security: got %+v", replace.Security)
	}
	if want := []string{"public-write /paths/~1items~1{id}/put"}; !slices.Equal(warned(replace.Warnings), want) {
		t.Errorf("replaceItem warnings: got %q, want %q", warned(replace.Warnings), want)
	}

	wantTotals := Totals{Operations: 4, Public: 2, Undeclared: 1, Deprecated: 1, RateLimited: 1, OwnerRules: 1, Warnings: 8,
		ByCode: map[string]int{"no-body-schema": 1, "no-parameter-schema": 1, "open-object": 1, "public-write": 2,
			"unbounded-string": 1, "undeclared-security": 1, "unknown-media-type": 1}}
	if fmtTotals(got.Totals) != fmtTotals(wantTotals) {
		t.Errorf("totals: got %s, want %s", fmtTotals(got.Totals), fmtTotals(wantTotals))
	}
	if inv.Findings() != 8 {
		t.Errorf("Findings() = %d, want 8", inv.Findings())
	}
}

func fmtTotals(t Totals) string {
	b, _ := json.Marshal(t)
	return string(b)
}

func TestInventoryUndeclaredPublic(t *testing.T) {
	t.Parallel()
	doc := inventoryDoc(t)
	for _, c := range []struct {
		u           Undeclared
		name        string
		publicWrite bool
	}{
		{UndeclaredAuthenticated, "authenticated", false},
		{UndeclaredDeny, "deny", false},
		{UndeclaredPublic, "public", true},
	} {
		inv := (&Contract{doc: doc, cfg: Config{Undeclared: c.u}}).Inventory()
		del := inv.Operations[2]
		if del.Security.Undeclared != c.name || inv.Undeclared != c.name {
			t.Errorf("%v: got %q", c.u, del.Security.Undeclared)
		}
		if got := slices.ContainsFunc(del.Warnings, func(w Warning) bool { return w.Code == WarnPublicWrite }); got != c.publicWrite {
			t.Errorf("%v: public-write warned %v, want %v", c.u, got, c.publicWrite)
		}
		if got := inv.Totals.Public; got != 2+map[bool]int{true: 1}[c.publicWrite] {
			t.Errorf("%v: public total %d", c.u, got)
		}
		// Responses are validated only when the contract checks them.
		if inv.Operations[0].Responses[0].MediaTypes[0].Validated {
			t.Errorf("%v: a response counted as validated with Responses off", c.u)
		}
	}
}

func TestInventoryEmptyJSON(t *testing.T) {
	t.Parallel()
	inv := (&Contract{doc: &document{version: "3.0.3"}}).Inventory()
	var buf bytes.Buffer
	if err := inv.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	// Lists are [] and never null, so tools need not tell them apart.
	if !strings.Contains(buf.String(), `"operations": []`) || strings.Contains(buf.String(), "null") {
		t.Errorf("got %s", buf.String())
	}
	if inv.Findings() != 0 || (*Inventory)(nil).Findings() != 0 {
		t.Error("an empty inventory has findings")
	}
	buf.Reset()
	if err := inv.WriteMarkdown(&buf); err != nil || !strings.Contains(buf.String(), "declares no operation") {
		t.Errorf("got %v, %s", err, buf.String())
	}
}

func TestInventoryMarkdown(t *testing.T) {
	t.Parallel()
	inv := (&Contract{doc: inventoryDoc(t)}).Inventory()
	var buf bytes.Buffer
	if err := inv.WriteMarkdown(&buf); err != nil {
		t.Fatal(err)
	}
	md := buf.String()
	for _, want := range []string{
		"# API inventory: Items \\| API 1.2.0\n",
		"| operations | 4 |\n",
		"| warnings | 8 |\n",
		"| warnings: `public-write` | 2 |\n",
		"| `GET /items` listItems | oauth (items:read) or key | limit (query), raw (header, required, no schema) | – | 200, 204, default (no schema) | per-user × 3 | – | – | 1 |\n",
		"| `POST /items` createItem | public | – | application/json, application/merge+json (not validated), application/octet-stream (not validated); required |",
		"| `DELETE /items/{id}` | undeclared → authenticated | id (path, required) |",
		"| item-owner | since 2026-01-02T00:00:00Z | 1 |\n",
		"| `PUT /items/{id}` replaceItem | jwt or public |",
		"| `POST /items` createItem | `public-write` | `/paths/~1items/post` | POST is open to anyone",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("the Markdown lacks %q:\n%s", want, md)
		}
	}
	// Every table row has as many cells as its header: no text from the
	// document breaks a table.
	var cols int
	for _, line := range strings.Split(md, "\n") {
		if !strings.HasPrefix(line, "|") {
			cols = 0
			continue
		}
		n := strings.Count(strings.ReplaceAll(line, `\|`, ""), "|")
		if cols == 0 {
			cols = n
		} else if n != cols {
			t.Errorf("row has %d separators, header %d: %s", n, cols, line)
		}
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestInventoryWriteErrors(t *testing.T) {
	t.Parallel()
	inv := (&Contract{doc: inventoryDoc(t)}).Inventory()
	if err := inv.WriteJSON(failWriter{}); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("WriteJSON: got %v", err)
	}
	if err := inv.WriteMarkdown(failWriter{}); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("WriteMarkdown: got %v", err)
	}
}

func TestMediaKind(t *testing.T) {
	t.Parallel()
	for mt, want := range map[string]int{
		"application/json":                  mediaJSON,
		"Application/JSON; charset=utf-8":   mediaJSON,
		"application/problem+json":          mediaJSON,
		"application/*+json":                mediaJSON,
		"application/x-www-form-urlencoded": mediaForm,
		"multipart/form-data":               mediaOther,
		"*/*":                               mediaOther,
		"application/*":                     mediaOther,
		"text/plain":                        mediaOther,
	} {
		if got := mediaKind(mt); got != want {
			t.Errorf("mediaKind(%q) = %d, want %d", mt, got, want)
		}
	}
}
