package schemacheck

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// BaseURL is the URL under which schemas live while they compile. It
// never resolves: remote loading is off, and nothing here reaches a client.
const BaseURL = "apishield:///"

// errRemoteRef is what the default loader says to any $ref outside the
// given schemas.
var errRemoteRef = errors.New("remote $ref loading is disabled; put the schema in Config.FS")

type noRemote struct{}

func (noRemote) Load(url string) (any, error) { return nil, errRemoteRef }

// A Compiler compiles the schemas of one middleware (a validate.Validator,
// an openapi.Contract) once, at start-up. It is not safe for concurrent
// use; the schemas it returns are.
type Compiler struct {
	c      *jsonschema.Compiler
	strict bool
}

// NewCompiler returns a Compiler set up as every apishield schema is
// compiled: draft 2020-12 unless a schema says otherwise with $schema,
// formats asserted (with idn-hostname and idn-email checked by IDNA2008),
// and no remote loading. loader loads any URL that is neither added with
// [Compiler.AddResource] or [Compiler.AddFS] nor compiled from bytes; if
// nil, every such $ref is an error. strict turns the strict lint on (see
// [Lint]); each Compile call may only narrow it.
func NewCompiler(loader jsonschema.URLLoader, strict bool) *Compiler {
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	c.RegisterFormat(idnHostnameFormat)
	c.RegisterFormat(idnEmailFormat)
	if loader == nil {
		loader = noRemote{}
	}
	c.UseLoader(loader)
	return &Compiler{c: c, strict: strict}
}

// RegisterFormat adds a format the schemas may assert (OpenAPI's int32
// and int64, say), beside the standard ones. Call it before compiling.
func (cc *Compiler) RegisterFormat(f *jsonschema.Format) { cc.c.RegisterFormat(f) }

// AddFS adds every *.json file in fsys, parsed with [ParseSchema], as a
// resource at BaseURL followed by its path, so schemas may $ref it as
// {"$ref": "item.json#/$defs/new"}.
func (cc *Compiler) AddFS(fsys fs.FS) error {
	return fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || path.Ext(p) != ".json" {
			return nil
		}
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		doc, err := ParseSchema(b, p)
		if err != nil {
			return err
		}
		return cc.c.AddResource(BaseURL+p, doc)
	})
}

// AddResource adds doc, a schema document decoded as
// jsonschema.UnmarshalJSON decodes (numbers as json.Number), at url,
// after [LintPatterns]. Callers that decode documents themselves (YAML)
// add them here.
func (cc *Compiler) AddResource(url string, doc any) error {
	if err := LintPatterns(doc); err != nil {
		return fmt.Errorf("schema %s: %w", url, err)
	}
	if err := cc.c.AddResource(url, doc); err != nil {
		return fmt.Errorf("schema %s: %w", url, err)
	}
	return nil
}

// ParseSchema decodes one JSON schema document, named for errors.
// Schemas are trusted configuration, but they go through the same scanner
// as bodies so a duplicate key (which the decoder would silently resolve)
// is an error, not a surprise.
func ParseSchema(b []byte, name string) (any, error) {
	lim := Limits{MaxDepth: 512, MaxObjectKeys: 1 << 20, MaxArrayLength: 1 << 20,
		MaxStringLength: 1 << 20, MaxNumberLength: 1 << 10, MaxExponent: DefaultMaxExponent, MaxValues: 1 << 30}
	if err := NewScanner(lim, nil).Scan(b); err != nil {
		return nil, fmt.Errorf("schema %s: %w", name, err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("schema %s: %w", name, err)
	}
	if err := LintPatterns(doc); err != nil {
		return nil, fmt.Errorf("schema %s: %w", name, err)
	}
	return doc, nil
}

// LintPatterns refuses a "pattern" or "patternProperties" regex that Go's
// RE2 engine cannot compile (lookaround, backreferences), with a clearer
// message than the metaschema's. It looks at the raw document, so it also
// sees patterns in $defs that nothing references yet.
func LintPatterns(doc any) error {
	switch d := doc.(type) {
	case map[string]any:
		if err := LintNodePatterns(d); err != nil {
			return err
		}
		for _, c := range d {
			if err := LintPatterns(c); err != nil {
				return err
			}
		}
	case []any:
		for _, c := range d {
			if err := LintPatterns(c); err != nil {
				return err
			}
		}
	}
	return nil
}

// LintNodePatterns is [LintPatterns] for one schema object alone, not
// what it contains: for a caller that walks schemas itself and names
// where each problem is.
func LintNodePatterns(m map[string]any) error {
	if p, ok := m["pattern"].(string); ok {
		if _, err := regexp.Compile(p); err != nil {
			return fmt.Errorf("pattern %q is not an RE2 regular expression: %w", p, err)
		}
	}
	if pp, ok := m["patternProperties"].(map[string]any); ok {
		for p := range pp {
			if _, err := regexp.Compile(p); err != nil {
				return fmt.Errorf("patternProperties key %q is not an RE2 regular expression: %w", p, err)
			}
		}
	}
	return nil
}

// Compile compiles the JSON schema src, named for errors, and lints it,
// strictly if both strict and the Compiler's strict are set.
func (cc *Compiler) Compile(name string, src []byte, strict bool) (*jsonschema.Schema, error) {
	doc, err := ParseSchema(src, name)
	if err != nil {
		return nil, err
	}
	url := BaseURL + "(" + name + ")"
	if err := cc.c.AddResource(url, doc); err != nil {
		return nil, fmt.Errorf("schema %s: %w", name, err)
	}
	return cc.compileURL(url, name, strict)
}

// CompileURL compiles the schema at url (a resource added before, or
// one of its fragments: BaseURL+"api.yaml#/components/schemas/Item")
// and lints it like Compile.
func (cc *Compiler) CompileURL(url string, strict bool) (*jsonschema.Schema, error) {
	return cc.compileURL(url, url, strict)
}

func (cc *Compiler) compileURL(url, name string, strict bool) (*jsonschema.Schema, error) {
	sch, err := cc.c.Compile(url)
	if err != nil {
		return nil, fmt.Errorf("schema %s: %w", name, err)
	}
	if err := Lint(sch, strict && cc.strict); err != nil {
		return nil, fmt.Errorf("schema %s: %w", name, err)
	}
	return sch, nil
}

// Lint refuses schemas that compile but would not protect: an empty enum
// (which matches nothing, and which older libraries read as "anything"), and,
// when strict, object schemas that let unknown properties through.
//
// Patterns need no lint of their own: the compiler compiles them with Go's
// regexp, which is RE2, so a pattern outside RE2 (lookaround,
// backreferences) is already a compile error.
func Lint(root *jsonschema.Schema, strict bool) error {
	var problems []string
	// seen maps a schema to whether it was visited exempt from the strict
	// rule; a schema seen exempt is visited again if reached non-exempt.
	seen := map[*jsonschema.Schema]bool{}
	var walk func(s *jsonschema.Schema, exempt bool)
	walk = func(s *jsonschema.Schema, exempt bool) {
		if s == nil {
			return
		}
		if was, ok := seen[s]; ok && (was == exempt || !was) {
			return
		}
		seen[s] = exempt
		if s.Enum != nil && len(s.Enum.Values) == 0 {
			problems = append(problems, "an empty enum matches nothing")
		}
		closed := s.UnevaluatedProperties != nil && s.UnevaluatedProperties.Bool != nil && !*s.UnevaluatedProperties.Bool
		if strict && !exempt && IsObjectSchema(s) && !closed && s.AdditionalProperties != false {
			problems = append(problems, "an object schema allows unknown properties; add \"additionalProperties\": false or \"unevaluatedProperties\": false (or turn strict mode off)")
		}
		// In-place applicators are evaluated against the same instance, so an
		// outer unevaluatedProperties: false closes the objects they describe.
		inPlace := exempt || closed
		walk(s.Ref, inPlace)
		for _, l := range [][]*jsonschema.Schema{s.AllOf, s.AnyOf, s.OneOf} {
			for _, c := range l {
				walk(c, inPlace)
			}
		}
		walk(s.If, inPlace)
		walk(s.Then, inPlace)
		walk(s.Else, inPlace)
		for _, c := range SortedSchemas(s.DependentSchemas) {
			walk(c, inPlace)
		}
		if s.DynamicRef != nil {
			walk(s.DynamicRef.Ref, inPlace)
		}
		walk(s.RecursiveRef, inPlace)
		// Everything else applies to other instances.
		walk(s.Not, false)
		walk(s.PropertyNames, false)
		for _, c := range SortedSchemas(s.Properties) {
			walk(c, false)
		}
		for _, c := range s.PatternProperties {
			walk(c, false)
		}
		if c, ok := s.AdditionalProperties.(*jsonschema.Schema); ok {
			walk(c, false)
		}
		walk(s.UnevaluatedProperties, false)
		walk(s.Contains, false)
		walk(s.Items2020, false)
		walk(s.UnevaluatedItems, false)
		walk(s.ContentSchema, false)
		for _, c := range s.PrefixItems {
			walk(c, false)
		}
		switch it := s.Items.(type) {
		case *jsonschema.Schema:
			walk(it, false)
		case []*jsonschema.Schema:
			for _, c := range it {
				walk(c, false)
			}
		}
		if c, ok := s.AdditionalItems.(*jsonschema.Schema); ok {
			walk(c, false)
		}
	}
	walk(root, false)
	if len(problems) == 0 {
		return nil
	}
	slices.Sort(problems)
	problems = slices.Compact(problems)
	return errors.New(strings.Join(problems, "; "))
}

// SortedSchemas returns the schemas of m in the order of their keys, so
// walks over them are deterministic.
func SortedSchemas(m map[string]*jsonschema.Schema) []*jsonschema.Schema {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]*jsonschema.Schema, len(keys))
	for i, k := range keys {
		out[i] = m[k]
	}
	return out
}

// IsObjectSchema reports whether s describes objects: it says type object,
// or, with no type, it names properties.
func IsObjectSchema(s *jsonschema.Schema) bool {
	if s.Types != nil {
		return slices.Contains(s.Types.ToStrings(), "object")
	}
	return len(s.Properties) > 0 || len(s.PatternProperties) > 0 || len(s.Required) > 0
}

// DeclaredNames returns every property name declared anywhere in the schema.
func DeclaredNames(root *jsonschema.Schema) []string {
	var names []string
	seen := map[*jsonschema.Schema]bool{}
	var walk func(s *jsonschema.Schema)
	walk = func(s *jsonschema.Schema) {
		if s == nil || seen[s] {
			return
		}
		seen[s] = true
		for k, c := range s.Properties {
			names = append(names, k)
			walk(c)
		}
		names = append(names, s.Required...)
		for _, c := range s.PatternProperties {
			walk(c)
		}
		for _, l := range [][]*jsonschema.Schema{s.AllOf, s.AnyOf, s.OneOf, s.PrefixItems} {
			for _, c := range l {
				walk(c)
			}
		}
		for _, c := range []*jsonschema.Schema{s.Ref, s.RecursiveRef, s.Not, s.If, s.Then, s.Else,
			s.PropertyNames, s.UnevaluatedProperties, s.Contains, s.Items2020, s.UnevaluatedItems} {
			walk(c)
		}
		for _, c := range s.DependentSchemas {
			walk(c)
		}
		if s.DynamicRef != nil {
			walk(s.DynamicRef.Ref)
		}
		if c, ok := s.AdditionalProperties.(*jsonschema.Schema); ok {
			walk(c)
		}
		switch it := s.Items.(type) {
		case *jsonschema.Schema:
			walk(it)
		case []*jsonschema.Schema:
			for _, c := range it {
				walk(c)
			}
		}
	}
	walk(root)
	slices.Sort(names)
	return slices.Compact(names)
}
