package main

import (
	"testing"

	"github.com/apishield/apishield/examples/internal/curltest"
	"github.com/apishield/apishield/examples/internal/demotest"
)

// TestIntegerParamsAttack replays the finding that deadlocked the item
// store for every user: GET /v1/items?limit=1e1 (and 5.0, 100e-2) passed
// validation as an integer the handler could not parse, and the handler
// panicked holding the store's lock. Every route must still answer after.
func TestIntegerParamsAttack(t *testing.T) {
	t.Parallel()
	p := curltest.Start(t, run, []string{"-addr", "127.0.0.1:0"})
	demotest.IntegerParams(t, demotest.FromPrinted(p))
}

// TestBodyCapOnEveryRoute replays the second finding, a 5 MB body on a GET
// route with no body schema, on every route: the example's BodyLimit
// refuses it, announced or chunked, before any handler runs.
func TestBodyCapOnEveryRoute(t *testing.T) {
	t.Parallel()
	p := curltest.Start(t, run, []string{"-addr", "127.0.0.1:0"})
	demotest.BodyCap(t, demotest.FromPrinted(p), 64<<10)
}

// TestOneOrderOfChecks: a malformed item ID is the same 422 whether or not
// the route's policy looks up the item's owner (GET /v1/items/abc was a 404,
// DELETE /v1/admin/items/abc a 422).
func TestOneOrderOfChecks(t *testing.T) {
	t.Parallel()
	p := curltest.Start(t, run, []string{"-addr", "127.0.0.1:0"})
	demotest.OrderOfChecks(t, demotest.FromPrinted(p))
}
