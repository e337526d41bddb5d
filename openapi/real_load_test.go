package openapi_test

import (
	"errors"
	"io/fs"
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
		edit    func(fs.FS) (fs.FS, error) // applied to the files first, if set
	}{
		// Its addPet and updatePet take a form body with an object
		// property (category), which the request side has no form
		// encoding for: it refuses rather than guess.
		{name: "petstore3", refused: "updatePet"},
		// Its only security scheme is HTTP basic, which apishield does not
		// authenticate: enforcing it would let nobody or everybody in.
		{name: "museum", refused: "MuseumPlaceholderAuth"},
		{name: "github"},
		// allowEmptyValue: true on integer query parameters, which no empty
		// value can meet.
		{name: "catalyst", refused: "allowEmptyValue"},
		{name: "catalyst-without-allowEmptyValue", edit: withoutAllowEmptyValue},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rd := readRealDoc(t, strings.TrimSuffix(tt.name, "-without-allowEmptyValue"))
			if tt.edit != nil {
				var err error
				if rd.fsys, err = tt.edit(rd.fsys); err != nil {
					t.Fatal(err)
				}
			}
			_, err := openapi.Load(rd.fsys, rd.root, openapi.Config{DeprecatedSince: deprecatedSince})
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
