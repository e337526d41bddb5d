package main

import (
	"bytes"
	"strings"
	"testing"
)

// TestWalkthrough runs the example: every answer the API gives the client
// and the thief is the expected one, and the output says which.
func TestWalkthrough(t *testing.T) {
	var out bytes.Buffer
	if err := run(&out); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	for _, want := range []string{"401 use_dpop_nonce", "200 subject alice, binding dpop", "401 invalid_token",
		"401 invalid_dpop_proof", "Every answer as expected"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String(), "WANT") {
		t.Errorf("an answer was not the expected one:\n%s", out.String())
	}
}
