package openapi

import (
	"io/fs"
	"os"
	"path/filepath"
)

// A Contract is a loaded OpenAPI document ready to enforce. It is
// immutable and safe for concurrent use.
type Contract struct {
	doc *document
	cfg Config
	enf *enforcer // the request side (handler.go)
}

// Load reads the document name from fsys, with every file it references
// by a relative $ref, and checks that it can be enforced with cfg. No
// reference leaves fsys: a remote one is an error. The error lists every
// problem found, each naming its operation, and wraps
// [ErrInvalidDocument] or [ErrInvalidConfig].
func Load(fsys fs.FS, name string, cfg Config) (*Contract, error) {
	doc, err := loadDocument(fsys, name, &cfg)
	if err != nil {
		return nil, err
	}
	return newContract(doc, cfg)
}

// LoadFile is [Load] of the file at path, with the files beside it.
func LoadFile(path string, cfg Config) (*Contract, error) {
	dir, name := filepath.Split(filepath.Clean(path))
	if dir == "" {
		dir = "."
	}
	return Load(os.DirFS(dir), name, cfg)
}

// Parse is [Load] of a document held in memory, YAML or JSON. It may
// reference only itself.
func Parse(data []byte, cfg Config) (*Contract, error) {
	doc, err := parseDocument(data, &cfg)
	if err != nil {
		return nil, err
	}
	return newContract(doc, cfg)
}

func newContract(doc *document, cfg Config) (*Contract, error) {
	enf, err := newEnforcer(doc, &cfg)
	if err != nil {
		return nil, err
	}
	return &Contract{doc: doc, cfg: cfg, enf: enf}, nil
}
