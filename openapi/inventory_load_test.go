package openapi

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/apishield/apishield/auth"
	"github.com/apishield/apishield/authz"
	"github.com/apishield/apishield/ratelimit"
)

// shopConfig is the Config the application behind shop31.yaml would
// have: the limiter and the rule its extensions name.
func shopConfig(t *testing.T) Config {
	t.Helper()
	l, err := ratelimit.New(ratelimit.Config{
		Name:     "user",
		Policies: []ratelimit.Policy{{Name: "minute", Limit: 60, Period: time.Minute}},
		Key:      func(dst []byte, _ *http.Request) ([]byte, error) { return dst, nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	return Config{
		RateLimiters: map[string]*ratelimit.Limiter{"per-user": l},
		Rules: map[string]authz.Rule{"order-owner": authz.Func("order-owner", func(*http.Request, *auth.Principal) error {
			return nil
		})},
	}
}

func loadInventory(t *testing.T, name string, cfg Config) *Inventory {
	t.Helper()
	c, err := Load(os.DirFS("testdata/inventory"), name, cfg)
	if err != nil {
		t.Fatalf("Load(%s): %v", name, err)
	}
	// Through JSON, as a tool reads it.
	var buf bytes.Buffer
	if err := c.Inventory().WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	var inv Inventory
	if err := json.Unmarshal(buf.Bytes(), &inv); err != nil {
		t.Fatal(err)
	}
	return &inv
}

func opReport(t *testing.T, inv *Inventory, id string) OperationReport {
	t.Helper()
	for _, op := range inv.Operations {
		if op.ID == id {
			return op
		}
	}
	t.Fatalf("no operation %s in the inventory", id)
	return OperationReport{}
}

// TestInventoryOfLoaded31 reads the inventory of a 3.1 YAML document that
// spreads over two files, as the loader leaves it.
func TestInventoryOfLoaded31(t *testing.T) {
	t.Parallel()
	inv := loadInventory(t, "shop31.yaml", shopConfig(t))
	if inv.Title != "Shop" || inv.APIVersion != "2.0.0" || inv.OpenAPI != "3.1.0" {
		t.Errorf("header: got %q %q %q", inv.Title, inv.APIVersion, inv.OpenAPI)
	}
	var ids []string
	for _, op := range inv.Operations {
		ids = append(ids, op.ID)
	}
	if want := []string{"listOrders", "createOrder", "getOrder", "cancelOrder", "upload", "health"}; !slices.Equal(ids, want) {
		t.Errorf("operations: got %q, want %q", ids, want)
	}

	list := opReport(t, inv, "listOrders")
	if list.Security.Mode != SecurityRequired || len(list.Security.Alternatives) != 1 ||
		list.Security.Alternatives[0][0].Scheme != "oauth" || !slices.Equal(list.Security.Alternatives[0][0].Scopes, []string{"orders:read"}) {
		t.Errorf("listOrders security (the document's): got %+v", list.Security)
	}
	if list.RateLimit != "per-user" || list.Cost != 1 {
		t.Errorf("listOrders rate limit: got %q × %d", list.RateLimit, list.Cost)
	}
	if want := []string{"unbounded-string shop31.yaml#/paths/~1orders/get/parameters/1/schema"}; !slices.Equal(warned(list.Warnings), want) {
		t.Errorf("listOrders warnings: got %q, want %q", warned(list.Warnings), want)
	}

	create := opReport(t, inv, "createOrder")
	if alt := create.Security.Alternatives; len(alt) != 1 || len(alt[0]) != 2 ||
		!slices.ContainsFunc(alt[0], func(s SchemeReport) bool { return s.Type == "apiKey header X-API-Key" }) ||
		!slices.ContainsFunc(alt[0], func(s SchemeReport) bool { return slices.Equal(s.Scopes, []string{"orders:write"}) }) {
		t.Errorf("createOrder security: got %+v", create.Security)
	}
	if create.Cost != 5 || create.Body == nil || !create.Body.Required ||
		!slices.Equal(create.Body.MediaTypes, []MediaReport{{Type: "application/json", HasSchema: true, Validated: true}}) {
		t.Errorf("createOrder: got cost %d, body %+v", create.Cost, create.Body)
	}
	if want := []string{
		"open-object shop31.yaml#/components/schemas/NewOrder/properties/meta",
		"unbounded-array shop31.yaml#/components/schemas/NewOrder/properties/notes",
	}; !slices.Equal(warned(create.Warnings), want) {
		t.Errorf("createOrder warnings: got %q, want %q", warned(create.Warnings), want)
	}

	get := opReport(t, inv, "getOrder")
	if get.Owner != "order-owner" || len(get.Warnings) != 0 ||
		!slices.Equal(get.Parameters, []ParameterReport{{Name: "id", In: "path", Required: true, HasSchema: true}}) {
		t.Errorf("getOrder: got owner %q, parameters %+v, warnings %q", get.Owner, get.Parameters, warned(get.Warnings))
	}

	cancel := opReport(t, inv, "cancelOrder")
	if d := cancel.Deprecation; !cancel.Deprecated || d == nil || d.Since != "2026-01-01T00:00:00Z" ||
		d.Sunset != "2026-12-31T00:00:00Z" || d.Successor != "/v2/orders/{id}/cancellation" {
		t.Errorf("cancelOrder deprecation: got %v %+v", cancel.Deprecated, cancel.Deprecation)
	}

	upload := opReport(t, inv, "upload")
	if want := []string{
		"public-write /paths/~1uploads/put",
		"unknown-media-type /paths/~1uploads/put/requestBody/content/application~1octet-stream",
	}; upload.Security.Mode != SecurityPublic || !slices.Equal(warned(upload.Warnings), want) {
		t.Errorf("upload: got %s, warnings %q, want %q", upload.Security.Mode, warned(upload.Warnings), want)
	}
	if health := opReport(t, inv, "health"); health.Security.Mode != SecurityPublic || len(health.Warnings) != 0 {
		t.Errorf("health: got %+v", health)
	}

	if inv.Totals.Operations != 6 || inv.Totals.Public != 2 || inv.Totals.Deprecated != 1 || inv.Totals.RateLimited != 2 ||
		inv.Totals.OwnerRules != 2 || inv.Totals.Warnings != 5 {
		t.Errorf("totals: got %+v", inv.Totals)
	}
}

// TestInventoryOfLoaded30 reads a 3.0 JSON document without security,
// whose schemas the loader translated (nullable, boolean
// exclusiveMinimum).
func TestInventoryOfLoaded30(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		undeclared Undeclared
		warnings   []string
	}{
		{UndeclaredAuthenticated, []string{
			"open-object notes30.json#/paths/~1notes/post/requestBody/content/application~1json/schema",
			"unbounded-string notes30.json#/paths/~1notes/post/requestBody/content/application~1json/schema/properties/text",
			"undeclared-security /paths/~1notes/post",
		}},
		{UndeclaredPublic, []string{
			"open-object notes30.json#/paths/~1notes/post/requestBody/content/application~1json/schema",
			"public-write /paths/~1notes/post",
			"unbounded-string notes30.json#/paths/~1notes/post/requestBody/content/application~1json/schema/properties/text",
			"undeclared-security /paths/~1notes/post",
		}},
	} {
		inv := loadInventory(t, "notes30.json", Config{Undeclared: c.undeclared})
		if inv.OpenAPI != "3.0.3" || len(inv.Operations) != 2 {
			t.Fatalf("got %q with %d operations", inv.OpenAPI, len(inv.Operations))
		}
		list := inv.Operations[0]
		if list.Security.Mode != SecurityUndeclared || list.Security.Undeclared != undeclaredName(c.undeclared) ||
			!slices.Equal(warned(list.Warnings), []string{"undeclared-security /paths/~1notes/get"}) {
			t.Errorf("%v: listNotes: got %+v, warnings %q", c.undeclared, list.Security, warned(list.Warnings))
		}
		create := inv.Operations[1]
		if !slices.Equal(warned(create.Warnings), c.warnings) {
			t.Errorf("%v: createNote warnings: got %q\nwant %q", c.undeclared, warned(create.Warnings), c.warnings)
		}
		if b := create.Body; b == nil || !slices.Equal(b.MediaTypes, []MediaReport{
			{Type: "application/json", HasSchema: true, Validated: true},
			{Type: "application/x-www-form-urlencoded", HasSchema: true, Validated: true},
		}) {
			t.Errorf("%v: createNote body: got %+v", c.undeclared, create.Body)
		}
	}
}
