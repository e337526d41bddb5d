package copies

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// shared lists each copied file and the examples that carry it; the first
// example's copy is the one to edit, then copy to the others.
var shared = []struct {
	file     string
	examples []string
}{
	{"items.go", []string{"quickstart", "chi", "gorilla"}},
	{"schemas/item-create.json", []string{"quickstart", "chi", "gorilla", "gateway"}},
	{"schemas/item-id.json", []string{"quickstart", "chi", "gorilla"}},
	{"schemas/items-query.json", []string{"quickstart", "chi", "gorilla"}},
	{"startup.go", []string{"quickstart", "chi", "gorilla", "gateway", "openapi"}},
}

func TestCopiesIdentical(t *testing.T) {
	t.Parallel()
	for _, s := range shared {
		want, err := os.ReadFile(filepath.Join("..", "..", s.examples[0], s.file))
		if err != nil {
			t.Fatal(err)
		}
		for _, ex := range s.examples[1:] {
			got, err := os.ReadFile(filepath.Join("..", "..", ex, s.file))
			if err != nil {
				t.Errorf("examples/%s lacks its copy of %s: %v", ex, s.file, err)
				continue
			}
			if !bytes.Equal(got, want) {
				t.Errorf("examples/%s/%s differs from examples/%s/%s: edit the first, then copy it", ex, s.file, s.examples[0], s.file)
			}
		}
	}
}
