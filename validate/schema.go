package validate

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

// schemaBase is the URL under which schemas live while they compile. It
// never resolves: remote loading is off, and nothing here reaches a client.
const schemaBase = "apishield:///"

// errRemoteRef is what the loader says to any $ref outside the given schemas.
var errRemoteRef = errors.New("remote $ref loading is disabled; put the schema in Config.FS")

type noRemote struct{}

func (noRemote) Load(url string) (any, error) { return nil, errRemoteRef }

// compiler holds the schemas of one Validator while New compiles them.
type compiler struct {
	c      *jsonschema.Compiler
	strict bool
}

func newCompiler(fsys fs.FS, strict bool) (*compiler, error) {
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	c.RegisterFormat(idnHostnameFormat)
	c.RegisterFormat(idnEmailFormat)
	c.UseLoader(noRemote{})
	cc := &compiler{c: c, strict: strict}
	if fsys == nil {
		return cc, nil
	}
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
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
		doc, err := cc.parse(b, p)
		if err != nil {
			return err
		}
		return c.AddResource(schemaBase+p, doc)
	})
	if err != nil {
		return nil, fmt.Errorf("%w: schemas in Config.FS: %w", ErrInvalidConfig, err)
	}
	return cc, nil
}

// parse decodes one schema document. Schemas are trusted configuration, but
// they go through the same scanner as bodies so a duplicate key (which the
// decoder would silently resolve) is an error, not a surprise.
func (cc *compiler) parse(b []byte, name string) (any, error) {
	lim := Limits{MaxDepth: 512, MaxObjectKeys: 1 << 20, MaxArrayLength: 1 << 20,
		MaxStringLength: 1 << 20, MaxNumberLength: 1 << 10, MaxExponent: DefaultMaxExponent, MaxValues: 1 << 30}
	if err := newScanner(lim, nil).scan(b); err != nil {
		return nil, fmt.Errorf("schema %s: %w", name, err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("schema %s: %w", name, err)
	}
	if err := lintPatterns(doc); err != nil {
		return nil, fmt.Errorf("schema %s: %w", name, err)
	}
	return doc, nil
}

// lintPatterns refuses a "pattern" or "patternProperties" regex that Go's
// RE2 engine cannot compile (lookaround, backreferences), with a clearer
// message than the metaschema's. It looks at the raw document, so it also
// sees patterns in $defs that nothing references yet.
func lintPatterns(doc any) error {
	switch d := doc.(type) {
	case map[string]any:
		for k, c := range d {
			switch k {
			case "pattern":
				if p, ok := c.(string); ok {
					if _, err := regexp.Compile(p); err != nil {
						return fmt.Errorf("pattern %q is not an RE2 regular expression: %w", p, err)
					}
				}
			case "patternProperties":
				if m, ok := c.(map[string]any); ok {
					for p := range m {
						if _, err := regexp.Compile(p); err != nil {
							return fmt.Errorf("patternProperties key %q is not an RE2 regular expression: %w", p, err)
						}
					}
				}
			}
			if err := lintPatterns(c); err != nil {
				return err
			}
		}
	case []any:
		for _, c := range d {
			if err := lintPatterns(c); err != nil {
				return err
			}
		}
	}
	return nil
}

// compile compiles the schema src, named for errors, and lints it.
func (cc *compiler) compile(name string, src []byte, strict bool) (*jsonschema.Schema, error) {
	doc, err := cc.parse(src, name)
	if err != nil {
		return nil, err
	}
	url := schemaBase + "(" + name + ")"
	if err := cc.c.AddResource(url, doc); err != nil {
		return nil, fmt.Errorf("schema %s: %w", name, err)
	}
	sch, err := cc.c.Compile(url)
	if err != nil {
		return nil, fmt.Errorf("schema %s: %w", name, err)
	}
	if err := lint(sch, strict && cc.strict); err != nil {
		return nil, fmt.Errorf("schema %s: %w", name, err)
	}
	return sch, nil
}

// lint refuses schemas that compile but would not protect: an empty enum
// (which matches nothing, and which older libraries read as "anything"), and,
// when strict, object schemas that let unknown properties through.
//
// Patterns need no lint of their own: the compiler compiles them with Go's
// regexp, which is RE2, so a pattern outside RE2 (lookaround,
// backreferences) is already a compile error.
func lint(root *jsonschema.Schema, strict bool) error {
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
		if strict && !exempt && isObjectSchema(s) && !closed && s.AdditionalProperties != false {
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
		for _, c := range sortedSchemas(s.DependentSchemas) {
			walk(c, inPlace)
		}
		if s.DynamicRef != nil {
			walk(s.DynamicRef.Ref, inPlace)
		}
		walk(s.RecursiveRef, inPlace)
		// Everything else applies to other instances.
		walk(s.Not, false)
		walk(s.PropertyNames, false)
		for _, c := range sortedSchemas(s.Properties) {
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

func sortedSchemas(m map[string]*jsonschema.Schema) []*jsonschema.Schema {
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

// isObjectSchema reports whether s describes objects: it says type object,
// or, with no type, it names properties.
func isObjectSchema(s *jsonschema.Schema) bool {
	if s.Types != nil {
		return slices.Contains(s.Types.ToStrings(), "object")
	}
	return len(s.Properties) > 0 || len(s.PatternProperties) > 0 || len(s.Required) > 0
}

// declaredNames returns every property name declared anywhere in the schema.
func declaredNames(root *jsonschema.Schema) []string {
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

// resolve follows $ref from a schema that has no type of its own.
func resolve(s *jsonschema.Schema) *jsonschema.Schema {
	for i := 0; s != nil && s.Types == nil && s.Ref != nil && i < 32; i++ {
		s = s.Ref
	}
	return s
}

// typesOf returns the JSON types a schema allows, following $ref.
func typesOf(s *jsonschema.Schema) []string {
	s = resolve(s)
	if s == nil || s.Types == nil {
		return nil
	}
	return s.Types.ToStrings()
}
