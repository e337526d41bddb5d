package main

import (
	"maps"
	"os"
	"slices"
	"strings"
	"testing"
)

// TestDocListsTheRules: the package documentation names every header of
// the allow-lists and of the refusals, so it cannot drift from the code.
func TestDocListsTheRules(t *testing.T) {
	t.Parallel()
	src, err := os.ReadFile("main.go")
	if err != nil {
		t.Fatal(err)
	}
	doc, _, _ := strings.Cut(string(src), "\npackage main")
	doc = strings.ToLower(doc)
	lists := map[string][]string{
		"defaultRequestHeaders":  defaultRequestHeaders,
		"defaultResponseHeaders": defaultResponseHeaders,
		"singletonHeaders":       singletonHeaders,
		"overrideHeaders":        slices.Collect(maps.Keys(overrideHeaders)),
	}
	for list, names := range lists {
		for _, name := range names {
			if !strings.Contains(doc, strings.ToLower(name)) {
				t.Errorf("the package documentation does not name %s, from %s", name, list)
			}
		}
	}
}
