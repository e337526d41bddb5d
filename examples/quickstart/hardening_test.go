package main

import (
	"testing"

	"github.com/apishield/apishield/examples/internal/demo/demotest"
)

// TestIntegerParamsAttack replays the finding that deadlocked the item
// store for every user: GET /v1/items?limit=1e1 (and 5.0, 100e-2) passed
// validation as an integer the handler could not parse, and the handler
// panicked holding the store's lock. Every route must still answer after.
func TestIntegerParamsAttack(t *testing.T) {
	t.Parallel()
	demotest.IntegerParams(t, demotest.FromPrinted(started(t, "-http")))
}
