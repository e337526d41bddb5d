package openapi_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/apishield/apishield/openapi"
)

// TestLoadRealDocuments loads every committed document as published,
// security included, with the default (strict) Config.
func TestLoadRealDocuments(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		// refused is the reason a document cannot be enforced as
		// published, "" when it must load; the error must wrap
		// ErrInvalidDocument and name it.
		refused string
	}{
		{name: "petstore3"},
		// Its only security scheme is HTTP basic, which apishield does not
		// authenticate: enforcing it would let nobody or everybody in.
		{name: "museum", refused: "MuseumPlaceholderAuth"},
		{name: "github"},
		{name: "catalyst"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rd := readRealDoc(t, tt.name)
			_, err := openapi.Load(rd.fsys, rd.root, openapi.Config{})
			if err != nil && err.Error() == loaderPlaceholder {
				t.Skipf("needs the loader of #15: %v", err)
			}
			switch {
			case tt.refused == "" && err != nil:
				t.Fatalf("Load: %v", err)
			case tt.refused != "" && !errors.Is(err, openapi.ErrInvalidDocument):
				t.Fatalf("Load error = %v, want one wrapping ErrInvalidDocument for %s", err, tt.refused)
			case tt.refused != "" && !strings.Contains(err.Error(), tt.refused):
				t.Errorf("Load error = %v, want it to name %s", err, tt.refused)
			}
		})
	}
}
