package openapi_test

import (
	"encoding/json"
	"io/fs"
	"strings"
	"testing"
)

// The differential test compares edited copies of two documents; these
// tests pin the edits to what their comments claim, and no more.

func TestComparablePetstore(t *testing.T) {
	t.Parallel()
	rd := readRealDoc(t, "petstore3")
	orig, err := fs.ReadFile(rd.fsys, rd.root)
	if err != nil {
		t.Fatal(err)
	}
	data, err := comparable(orig)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(data), `"security"`) || strings.Contains(string(data), `"securitySchemes"`) {
		t.Error("security left in the comparable document")
	}
	var doc struct {
		Paths map[string]map[string]struct {
			RequestBody struct {
				Content map[string]json.RawMessage `json:"content"`
			} `json:"requestBody"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	for _, m := range []string{"post", "put"} {
		content := doc.Paths["/pet"][m].RequestBody.Content
		if _, ok := content["application/x-www-form-urlencoded"]; ok {
			t.Errorf("%s /pet keeps its nested form body", m)
		}
		if _, ok := content["application/json"]; !ok {
			t.Errorf("%s /pet lost its JSON body", m)
		}
		if _, ok := content["application/xml"]; !ok {
			t.Errorf("%s /pet lost its XML body, which was not to be edited", m)
		}
	}
	// Nothing else goes: every path stays.
	tr, err := tree(orig)
	if err != nil {
		t.Fatal(err)
	}
	origPaths := tr.(map[string]any)["paths"].(map[string]any)
	if len(origPaths) != len(doc.Paths) {
		t.Errorf("%d paths, want the original %d", len(doc.Paths), len(origPaths))
	}
}

func TestWithoutAllowEmptyValue(t *testing.T) {
	t.Parallel()
	rd := readRealDoc(t, "catalyst")
	edited, err := withoutAllowEmptyValue(rd.fsys)
	if err != nil {
		t.Fatal(err)
	}
	origFiles, files := fsFiles(rd.fsys), fsFiles(edited)
	if len(origFiles) != len(files) {
		t.Fatalf("%d files, want the original %d", len(files), len(origFiles))
	}
	removed := 0
	for _, name := range origFiles {
		a, _ := fs.ReadFile(rd.fsys, name)
		b, err := fs.ReadFile(edited, name)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(b), "allowEmptyValue") {
			t.Errorf("%s still has allowEmptyValue", name)
		}
		la, lb := strings.Count(string(a), "\n"), strings.Count(string(b), "\n")
		if la-lb != strings.Count(string(a), "allowEmptyValue: true") {
			t.Errorf("%s: %d lines removed, want one per allowEmptyValue", name, la-lb)
		}
		removed += la - lb
	}
	if removed == 0 {
		t.Error("no allowEmptyValue removed: the edit is not needed any more, or broken")
	}
}
