package openapi_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"go.yaml.in/yaml/v3"
)

// The real public documents in testdata/real (see SOURCES.md there).

// A realDoc is one committed document, ready for both loaders.
type realDoc struct {
	name    string // short name for subtests
	fsys    fs.FS  // the document's files
	root    string // the root file in fsys
	version string // the "openapi" field
	ops     int    // its number of operations, as counted by hand from the source
}

// realDocs are the committed documents, uncompressed into memory.
var realDocs = []struct {
	name, file, root, version string
	ops                       int
}{
	{"petstore3", "petstore3.yaml", "petstore3.yaml", "3.0.4", 19},
	{"museum", "museum.yaml", "museum.yaml", "3.1.0", 8},
	{"github", "github-api.json.gz", "api.github.com.json", "3.0.3", 623},
	{"catalyst", "catalyst.tar.gz", "openapi/catalyst.yaml", "3.0.3", 0},
}

// readRealDoc reads the committed document name into memory.
func readRealDoc(tb testing.TB, name string) realDoc {
	tb.Helper()
	for _, d := range realDocs {
		if d.name != name {
			continue
		}
		fsys, err := openReal(d.file, d.root)
		if err != nil {
			tb.Fatalf("reading testdata/real/%s: %v", d.file, err)
		}
		return realDoc{name: d.name, fsys: fsys, root: d.root, version: d.version, ops: d.ops}
	}
	tb.Fatalf("no real document %q", name)
	return realDoc{}
}

// maxRealBytes bounds what one test document may expand to.
const maxRealBytes = 64 << 20

// openReal returns the files of a committed document: a plain file as
// itself, a .gz as its content under root, a .tar.gz as its tree.
func openReal(file, root string) (fs.FS, error) {
	data, err := os.ReadFile(path.Join("testdata", "real", file))
	if err != nil {
		return nil, err
	}
	if !strings.HasSuffix(file, ".gz") {
		return fstest.MapFS{root: {Data: data}}, nil
	}
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	if !strings.HasSuffix(file, ".tar.gz") {
		b, err := io.ReadAll(io.LimitReader(zr, maxRealBytes))
		if err != nil {
			return nil, err
		}
		return fstest.MapFS{root: {Data: b}}, nil
	}
	out := fstest.MapFS{}
	tr := tar.NewReader(io.LimitReader(zr, maxRealBytes))
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			return nil, err
		}
		out[path.Clean(h.Name)] = &fstest.MapFile{Data: b}
	}
}

// tree decodes a document file, YAML or JSON, into the JSON tree the
// request generator reads: maps, slices, float64, string, bool, nil.
func tree(data []byte) (any, error) {
	var v any
	if err := yaml.Unmarshal(data, &v); err != nil {
		return nil, err
	}
	b, err := json.Marshal(jsonable(v))
	if err != nil {
		return nil, err
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// jsonable turns what YAML decodes (maps with non-string keys) into what
// encoding/json encodes.
func jsonable(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			t[k] = jsonable(e)
		}
		return t
	case map[any]any:
		m := make(map[string]any, len(t))
		for k, e := range t {
			m[fmt.Sprint(k)] = jsonable(e)
		}
		return m
	case []any:
		for i, e := range t {
			t[i] = jsonable(e)
		}
		return t
	}
	return v
}

// fileTree returns a resolver of the files of fsys relative to root's
// directory, decoded as trees.
func fileTree(fsys fs.FS, root string) func(string) (any, error) {
	dir := path.Dir(root)
	return func(name string) (any, error) {
		b, err := fs.ReadFile(fsys, path.Join(dir, name))
		if err != nil {
			return nil, err
		}
		return tree(b)
	}
}

// deprecatedSince is the Deprecation date the tests give the real
// documents' "deprecated: true" operations: the documents carry no
// x-apishield-deprecation, and a deprecation without a date is a load
// error under the zero Config.
var deprecatedSince = time.Date(2020, time.January, 1, 0, 0, 0, 0, time.UTC)

// withoutAllowEmptyValue returns the files of fsys with every
// "allowEmptyValue: true" line of its YAML files removed. The Contract
// refuses the keyword on a parameter whose schema an empty value does not
// meet (it cannot honour it), and the Catalyst document sets it on
// integer query parameters; the request generator never sends an empty
// value, so removing it changes no verdict the differential test compares.
func withoutAllowEmptyValue(fsys fs.FS) (fs.FS, error) {
	out := fstest.MapFS{}
	for _, name := range fsFiles(fsys) {
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		if strings.HasSuffix(name, ".yaml") || strings.HasSuffix(name, ".yml") {
			lines := strings.Split(string(data), "\n")
			kept := lines[:0]
			for _, l := range lines {
				if strings.TrimSpace(l) != "allowEmptyValue: true" {
					kept = append(kept, l)
				}
			}
			data = []byte(strings.Join(kept, "\n"))
		}
		out[name] = &fstest.MapFile{Data: data}
	}
	return out, nil
}

// comparable returns the single-file document data as JSON prepared for
// the differential test:
//
//   - without its security requirements and schemes, so that both
//     validators compare what they validate of the request rather than
//     how they authenticate: security is compared in the handler's own
//     tests;
//   - without the application/x-www-form-urlencoded entry of a request
//     body that also takes JSON, when the form's schema has an object or
//     array property: the Contract refuses to load such an entry (it
//     knows no form encoding for a nested value; see
//     TestLoadRealDocuments), and the generator sends the JSON entry
//     anyway, so no compared verdict changes.
func comparable(data []byte) ([]byte, error) {
	t, err := tree(data)
	if err != nil {
		return nil, err
	}
	root, ok := t.(map[string]any)
	if !ok {
		return nil, errors.New("document is not an object")
	}
	delete(root, "security")
	comps, _ := root["components"].(map[string]any)
	delete(comps, "securitySchemes")
	paths, _ := root["paths"].(map[string]any)
	for _, item := range paths {
		im, _ := item.(map[string]any)
		for _, op := range im {
			om, ok := op.(map[string]any)
			if !ok {
				continue
			}
			delete(om, "security")
			body, _ := om["requestBody"].(map[string]any)
			content, _ := body["content"].(map[string]any)
			if _, ok := content["application/json"]; ok && nestedForm(root, content["application/x-www-form-urlencoded"]) {
				delete(content, "application/x-www-form-urlencoded")
			}
		}
	}
	return json.Marshal(root)
}

// nestedForm reports whether a form media type entry's schema, followed
// through one local $ref, has a property of type object or array.
func nestedForm(root map[string]any, media any) bool {
	mm, _ := media.(map[string]any)
	s := localRef(root, mm["schema"])
	props, _ := s["properties"].(map[string]any)
	for _, p := range props {
		ps := localRef(root, p)
		if ps["type"] == "object" || ps["type"] == "array" || ps["properties"] != nil {
			return true
		}
	}
	return false
}

// localRef follows one "#/..." $ref of v in root, if it has one.
func localRef(root map[string]any, v any) map[string]any {
	m, _ := v.(map[string]any)
	ref, ok := m["$ref"].(string)
	if !ok || !strings.HasPrefix(ref, "#/") {
		return m
	}
	var cur any = root
	for _, tok := range strings.Split(ref[2:], "/") {
		cm, _ := cur.(map[string]any)
		cur = cm[strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")]
	}
	out, _ := cur.(map[string]any)
	return out
}
