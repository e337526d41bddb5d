package openapi

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"

	"github.com/apishield/apishield/internal/schemacheck"
)

// defaultMaxDocumentBytes is Config.MaxDocumentBytes when zero.
const defaultMaxDocumentBytes = 32 << 20

// bytesName is the name a document parsed from bytes has in messages and
// in its schemas' locations.
const bytesName = "document"

// A loader loads one document: it reads and decodes each file once,
// resolves references, translates and compiles schemas, and builds the
// model, collecting every problem it finds.
type loader struct {
	fsys  fs.FS // nil when parsing bytes: only local references then
	cfg   *Config
	max   int64
	files map[string]*file
	root  *file
	oas30 bool // the document is OAS 3.0: its schemas are translated
	probs problems

	comp    *schemacheck.Compiler
	schemas map[string]*schema // compiled, by location
	walked  map[string]bool    // schema locations walked (translated, checked)
	// schemaTops holds, for each file, the top-level members that hold
	// walked schemas ("name#member").
	schemaTops map[string]bool
	// refTargets holds the schema locations some $ref names.
	refTargets map[string]bool
	pending    []pendingSchema // schemas to compile once every file is walked
	// schemaProblems is set when walking a schema found a problem.
	schemaProblems bool
	// namesLimiter is set when an operation names a rate limiter.
	namesLimiter bool
}

// A file is one loaded file of the document.
type file struct {
	name  string // its path in fsys
	value any
	err   error // why it could not be loaded
}

// loadDocument loads the document name of fsys and the files it
// references (see Load).
func loadDocument(fsys fs.FS, name string, cfg *Config) (*document, error) {
	l, err := newLoader(fsys, cfg)
	if err != nil {
		return nil, err
	}
	if !fs.ValidPath(name) {
		return nil, fmt.Errorf("%w: %q is not a valid path in the file system", ErrInvalidDocument, name)
	}
	data, err := l.read(name)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrInvalidDocument, name, err)
	}
	return l.load(name, data)
}

// parseDocument loads a document held in memory, which may reference only
// itself (see Parse).
func parseDocument(data []byte, cfg *Config) (*document, error) {
	l, err := newLoader(nil, cfg)
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > l.max {
		return nil, fmt.Errorf("%w: the document is larger than %d bytes (Config.MaxDocumentBytes)", ErrInvalidDocument, l.max)
	}
	return l.load(bytesName, data)
}

func newLoader(fsys fs.FS, cfg *Config) (*loader, error) {
	if cfg == nil {
		cfg = &Config{}
	}
	max := cfg.MaxDocumentBytes
	switch {
	case max < 0:
		return nil, fmt.Errorf("%w: MaxDocumentBytes is negative (%d)", ErrInvalidConfig, max)
	case max == 0:
		max = defaultMaxDocumentBytes
	}
	return &loader{
		fsys:       fsys,
		cfg:        cfg,
		max:        max,
		files:      map[string]*file{},
		schemas:    map[string]*schema{},
		walked:     map[string]bool{},
		schemaTops: map[string]bool{},
		refTargets: map[string]bool{},
	}, nil
}

// load decodes the root file and builds the document.
func (l *loader) load(name string, data []byte) (*document, error) {
	dec, err := decode(data)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrInvalidDocument, name, err)
	}
	root := &file{name: name, value: dec.value}
	l.files[name] = root
	l.root = root
	obj, ok := dec.value.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%w: %s: the document is not an object", ErrInvalidDocument, name)
	}
	version, err := checkVersion(obj)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrInvalidDocument, name, err)
	}
	l.oas30 = strings.HasPrefix(version, "3.0.")
	l.comp = newSchemaCompiler()
	doc := l.build(obj, version, dec.pathsOrder)
	l.compileSchemas()
	if err := l.probs.err(); err != nil {
		return nil, err
	}
	return doc, nil
}

// checkVersion returns the "openapi" field if it is a version this
// package enforces.
func checkVersion(obj map[string]any) (string, error) {
	const supported = "supported versions are 3.0.x and 3.1.x"
	v, ok := obj["openapi"].(string)
	if !ok {
		if _, swagger := obj["swagger"]; swagger {
			return "", errors.New("a Swagger 2.0 document is not supported: " + supported + "; convert the document to OpenAPI 3")
		}
		return "", errors.New(`the "openapi" field is missing or not a string: ` + supported)
	}
	if !validVersion(v) {
		return "", fmt.Errorf("OpenAPI version %q is not supported: %s", v, supported)
	}
	return v, nil
}

// validVersion reports whether v is 3.0.N or 3.1.N (with an optional
// pre-release suffix such as "3.1.0-rc1").
func validVersion(v string) bool {
	rest, ok := strings.CutPrefix(v, "3.0.")
	if !ok {
		rest, ok = strings.CutPrefix(v, "3.1.")
	}
	if !ok || rest == "" {
		return false
	}
	if i := strings.IndexByte(rest, '-'); i > 0 {
		rest = rest[:i]
	}
	for i := 0; i < len(rest); i++ {
		if rest[i] < '0' || rest[i] > '9' {
			return false
		}
	}
	return rest != ""
}

// read reads one file of fsys, refusing one larger than the limit before
// holding it.
func (l *loader) read(name string) ([]byte, error) {
	f, err := l.fsys.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, l.max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > l.max {
		return nil, fmt.Errorf("the file is larger than %d bytes (Config.MaxDocumentBytes)", l.max)
	}
	return data, nil
}

// open returns the file name, reading and decoding it the first time.
func (l *loader) open(name string) *file {
	if f, ok := l.files[name]; ok {
		return f
	}
	f := &file{name: name}
	l.files[name] = f
	data, err := l.read(name)
	if err == nil {
		var dec decoded
		dec, err = decode(data)
		f.value = dec.value
	}
	f.err = err
	return f
}
