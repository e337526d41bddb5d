package openapi

import (
	"os"
	"slices"
	"testing"
)

// TestCheckRoutesLoaded checks a loaded document: two servers' bases and
// a path item in another file.
func TestCheckRoutesLoaded(t *testing.T) {
	t.Parallel()
	c, err := Load(os.DirFS("testdata/inventory"), "shop31.yaml", shopConfig(t))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(c.doc.bases, []string{"/v1", "/v2"}) {
		t.Fatalf("bases: got %q", c.doc.bases)
	}
	routes := []string{"GET /v1/orders", "POST /v2/orders", "/v1/orders/{id}", "PUT /v1/uploads", "GET /v1/health", "GET /v2/health"}
	if err := c.CheckRoutes(routes...); err != nil {
		t.Errorf("got %v", err)
	}
	unserved, undeclared := mismatch(t, c.CheckRoutes(routes[1:]...))
	if !slices.Equal(unserved, []string{"listOrders (GET /orders)"}) || undeclared != nil {
		t.Errorf("got %q, %q", unserved, undeclared)
	}
}
