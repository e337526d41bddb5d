package audit

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path"
	"regexp"
	"strings"
	"sync"
	"testing"
)

// This file is a test-only OCSF validator: it reads the schema files in
// testdata/ocsf-1.3.0 (copied unchanged from the OCSF repository) and checks
// an event as the OCSF server's validator does. A class's attributes are
// those of its extends chain, of the includes and profiles it pulls in, and
// its own, each completed from the dictionary; an attribute a profile
// brings is allowed only when metadata.profiles names that profile. It
// checks that every attribute exists, that required ones are present, the
// types (strings with their length and pattern, integers, longs, timestamps
// in milliseconds, booleans, objects recursively, arrays), enum values and
// their captions (class_uid, category_uid, activity_id, type_uid,
// severity_id, status_id, …), the objects' and classes' constraints, and
// metadata.version.

const ocsfDir = "testdata/ocsf-1.3.0"

// ocsfAttr is one attribute of a class or object, completed from the
// dictionary.
type ocsfAttr struct {
	typ         string // a dictionary type (string_t, …) or an object name
	object      bool
	array       bool
	requirement string
	profile     string // the profile that brings it, or ""
	enum        map[string]string
	sibling     string
}

// ocsfItem is a compiled class or object.
type ocsfItem struct {
	name, caption string
	uid           int // class_uid; -1 for objects and abstract classes
	category      string
	attrs         map[string]*ocsfAttr
	constraints   map[string][]string
}

type ocsfSchema struct {
	// mu serializes validate: objects are compiled on first use, and
	// parallel tests share one schema.
	mu sync.Mutex

	dict       map[string]map[string]any // the dictionary's attributes
	types      map[string]map[string]any // the dictionary's types
	categories map[string]ocsfCategory
	classes    map[int]*ocsfItem
	objects    map[string]*ocsfItem
	regexps    map[string]*regexp.Regexp
	errs       []string // problems in the schema files themselves
}

type ocsfCategory struct {
	uid     int
	caption string
}

var (
	ocsfOnce   sync.Once
	ocsfLoaded *ocsfSchema
)

// loadOCSF reads the schema files once per test binary.
func loadOCSF(t *testing.T) *ocsfSchema {
	t.Helper()
	ocsfOnce.Do(func() { ocsfLoaded = readOCSF() })
	if len(ocsfLoaded.errs) > 0 {
		t.Fatalf("OCSF schema files: %s", strings.Join(ocsfLoaded.errs, "; "))
	}
	return ocsfLoaded
}

func readJSON(name string) (map[string]any, error) {
	b, err := os.ReadFile(path.Join(ocsfDir, name))
	if err != nil {
		return nil, err
	}
	var m map[string]any
	return m, json.Unmarshal(b, &m)
}

func readOCSF() *ocsfSchema {
	s := &ocsfSchema{classes: map[int]*ocsfItem{}, objects: map[string]*ocsfItem{},
		categories: map[string]ocsfCategory{}, regexps: map[string]*regexp.Regexp{}}
	fail := func(format string, args ...any) { s.errs = append(s.errs, fmt.Sprintf(format, args...)) }
	dict, err := readJSON("dictionary.json")
	if err != nil {
		fail("dictionary.json: %v", err)
		return s
	}
	s.dict = asMaps(dict["attributes"])
	s.types = asMaps(mapOf(dict["types"])["attributes"])
	if v, err := readJSON("version.json"); err != nil || v["version"] != OCSFVersion {
		fail("version.json says %v (%v), want %s", v["version"], err, OCSFVersion)
	}
	cats, err := readJSON("categories.json")
	if err != nil {
		fail("categories.json: %v", err)
		return s
	}
	for name, c := range asMaps(cats["attributes"]) {
		s.categories[name] = ocsfCategory{uid: int(c["uid"].(float64)), caption: c["caption"].(string)}
	}
	s.categories["other"] = ocsfCategory{uid: 0, caption: "Uncategorized"} // Base Event's
	// Every class file under events/: a class with a uid (and Base Event)
	// is concrete; the others are only extended.
	err = fs.WalkDir(os.DirFS(ocsfDir), "events", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".json") {
			return err
		}
		it, err := s.compile(p, "events")
		if err != nil {
			fail("%s: %v", p, err)
			return nil
		}
		if it.uid >= 0 {
			s.classes[it.uid] = it
		}
		return nil
	})
	if err != nil {
		fail("events: %v", err)
	}
	return s
}

// compile reads one class or object file and resolves its extends chain,
// includes and profiles, and the dictionary.
func (s *ocsfSchema) compile(file, kind string) (*ocsfItem, error) {
	raw, err := readJSON(file)
	if err != nil {
		return nil, err
	}
	rc, err := s.rawChain(file, kind)
	if err != nil {
		return nil, err
	}
	it := &ocsfItem{uid: -1, attrs: map[string]*ocsfAttr{}, category: rc.category, constraints: map[string][]string{}}
	it.name, _ = raw["name"].(string)
	it.caption, _ = raw["caption"].(string)
	for k, v := range rc.constraints {
		for _, x := range v.([]any) {
			it.constraints[k] = append(it.constraints[k], x.(string))
		}
	}
	for name, a := range rc.attrs {
		d, ok := s.dict[name]
		if !ok {
			return nil, fmt.Errorf("attribute %q is not in the dictionary", name)
		}
		full := deepMerge(d, a)
		at := &ocsfAttr{enum: map[string]string{}}
		at.typ, _ = full["type"].(string)
		_, prim := s.types[at.typ]
		at.object = !prim
		at.array, _ = full["is_array"].(bool)
		at.requirement, _ = full["requirement"].(string)
		at.profile, _ = full["profile"].(string)
		at.sibling, _ = full["sibling"].(string)
		for k, v := range mapOf(full["enum"]) {
			at.enum[k], _ = mapOf(v)["caption"].(string)
		}
		it.attrs[name] = at
	}
	if kind == "events" {
		if u, ok := raw["uid"].(float64); ok {
			cat, ok := s.categories[it.category]
			if !ok {
				return nil, fmt.Errorf("unknown category %q", it.category)
			}
			it.uid = cat.uid*1000 + int(u)
		} else if it.name == "base_event" {
			it.uid = 0
		}
	}
	return it, nil
}

type rawChain struct {
	attrs       map[string]map[string]any
	constraints map[string]any
	category    string
}

// rawChain returns a file's attributes merged over its parents', before
// the dictionary is applied.
func (s *ocsfSchema) rawChain(file, kind string) (rawChain, error) {
	raw, err := readJSON(file)
	if err != nil {
		return rawChain{}, err
	}
	var rc rawChain
	rc.attrs = map[string]map[string]any{}
	if parent, _ := raw["extends"].(string); parent != "" {
		pfile, err := s.find(kind, parent)
		if err != nil {
			return rc, err
		}
		if rc, err = s.rawChain(pfile, kind); err != nil {
			return rc, err
		}
	}
	own, err := s.ownAttrs(raw)
	if err != nil {
		return rc, err
	}
	for k, v := range own {
		rc.attrs[k] = deepMerge(rc.attrs[k], v)
	}
	if c, ok := raw["constraints"].(map[string]any); ok {
		rc.constraints = c
	}
	if c, _ := raw["category"].(string); c != "" {
		rc.category = c
	}
	return rc, nil
}

// ownAttrs are a file's attributes: its $include files' (a profile's
// marked with the profile's name), then its own over them.
func (s *ocsfSchema) ownAttrs(raw map[string]any) (map[string]map[string]any, error) {
	out := map[string]map[string]any{}
	attrs := mapOf(raw["attributes"])
	if inc, ok := attrs["$include"].([]any); ok {
		for _, f := range inc {
			ir, err := readJSON(f.(string))
			if err != nil {
				return nil, fmt.Errorf("include %v: %w (copy it from the same OCSF tag)", f, err)
			}
			profile := ""
			if ir["meta"] == "profile" {
				profile, _ = ir["name"].(string)
			}
			for k, v := range asMaps(ir["attributes"]) {
				a := deepMerge(nil, v)
				if profile != "" {
					a["profile"] = profile
				}
				out[k] = deepMerge(out[k], a)
			}
		}
	}
	for k, v := range attrs {
		if k == "$include" {
			continue
		}
		out[k] = deepMerge(out[k], mapOf(v))
	}
	return out, nil
}

// find returns the file of a class (kind "events") or object by name.
func (s *ocsfSchema) find(kind, name string) (string, error) {
	if kind == "objects" {
		f := path.Join("objects", name+".json")
		if _, err := os.Stat(path.Join(ocsfDir, f)); err != nil {
			return "", fmt.Errorf("object %q: %s is not in %s: copy it from the same OCSF tag", name, f, ocsfDir)
		}
		return f, nil
	}
	var found string
	fs.WalkDir(os.DirFS(ocsfDir), "events", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && path.Base(p) == name+".json" {
			found = p
		}
		return nil
	})
	if found == "" {
		return "", fmt.Errorf("class %q is not in %s/events: copy it from the same OCSF tag", name, ocsfDir)
	}
	return found, nil
}

func (s *ocsfSchema) object(name string) (*ocsfItem, error) {
	if it, ok := s.objects[name]; ok {
		return it, nil
	}
	f, err := s.find("objects", name)
	if err != nil {
		return nil, err
	}
	it, err := s.compile(f, "objects")
	if err != nil {
		return nil, fmt.Errorf("%s: %w", f, err)
	}
	s.objects[name] = it
	return it, nil
}

// intOf returns an integer JSON number (decoded with UseNumber).
func intOf(v any) (int64, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, false
	}
	i, err := n.Int64()
	return i, err == nil
}

func mapOf(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

func asMaps(v any) map[string]map[string]any {
	out := map[string]map[string]any{}
	for k, x := range mapOf(v) {
		out[k] = mapOf(x)
	}
	return out
}

// deepMerge returns base with over merged into it: objects merge key by
// key, anything else in over replaces (a null too: "profile": null undoes
// a profile). Neither argument is modified.
func deepMerge(base, over map[string]any) map[string]any {
	out := make(map[string]any, len(base)+len(over))
	for k, v := range base {
		out[k] = v
	}
	for k, v := range over {
		if bo, ok := out[k].(map[string]any); ok {
			if oo, ok := v.(map[string]any); ok {
				out[k] = deepMerge(bo, oo)
				continue
			}
		}
		out[k] = v
	}
	return out
}
