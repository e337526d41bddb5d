package main

import (
	"testing"

	"github.com/apishield/apishield/examples/internal/curltest"
	"github.com/apishield/apishield/examples/internal/demo/demotest"
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
