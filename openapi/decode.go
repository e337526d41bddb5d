package openapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// maxDepth bounds how deeply a document's values may nest. Real documents
// stay far below it; it keeps a hostile one from exhausting the stack.
const maxDepth = 256

// A decoded file is one file's value as JSON values (map[string]any,
// []any, string, json.Number, bool, nil) and, for the root file, the keys
// of its Paths Object in document order: maps forget it.
type decoded struct {
	value      any
	pathsOrder []string
}

// decode decodes a file, JSON when its first non-space byte is '{', YAML
// otherwise.
func decode(data []byte) (decoded, error) {
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	if len(trimmed) > 0 && trimmed[0] == '{' {
		return decodeJSON(data)
	}
	return decodeYAML(data)
}

// jsonDecoder reads JSON token by token so that it can refuse duplicate
// keys, which encoding/json would silently resolve to the last one.
type jsonDecoder struct {
	dec   *json.Decoder
	paths []string
}

func decodeJSON(data []byte) (decoded, error) {
	d := &jsonDecoder{dec: json.NewDecoder(bytes.NewReader(data))}
	d.dec.UseNumber()
	v, err := d.value(0, "")
	if err != nil {
		return decoded{}, fmt.Errorf("JSON: %w", err)
	}
	if _, err := d.dec.Token(); err != io.EOF {
		return decoded{}, fmt.Errorf("JSON: data after the document at offset %d", d.dec.InputOffset())
	}
	return decoded{value: v, pathsOrder: d.paths}, nil
}

// value decodes one value; key is its key when it is a member of the top
// level object.
func (d *jsonDecoder) value(depth int, key string) (any, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("nested more than %d levels deep", maxDepth)
	}
	tok, err := d.dec.Token()
	if err != nil {
		if err == io.EOF {
			return nil, io.ErrUnexpectedEOF
		}
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			m := map[string]any{}
			for d.dec.More() {
				kt, err := d.dec.Token()
				if err != nil {
					return nil, err
				}
				k, _ := kt.(string)
				if _, dup := m[k]; dup {
					return nil, fmt.Errorf("duplicate key %q at offset %d", k, d.dec.InputOffset())
				}
				if depth == 1 && key == "paths" {
					d.paths = append(d.paths, k)
				}
				v, err := d.value(depth+1, k)
				if err != nil {
					return nil, err
				}
				m[k] = v
			}
			if _, err := d.dec.Token(); err != nil {
				return nil, err
			}
			return m, nil
		case '[':
			a := []any{}
			for d.dec.More() {
				v, err := d.value(depth+1, "")
				if err != nil {
					return nil, err
				}
				a = append(a, v)
			}
			if _, err := d.dec.Token(); err != nil {
				return nil, err
			}
			return a, nil
		}
		return nil, fmt.Errorf("unexpected %v at offset %d", t, d.dec.InputOffset())
	default:
		return tok, nil
	}
}

func decodeYAML(data []byte) (decoded, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var n yaml.Node
	if err := dec.Decode(&n); err != nil {
		if err == io.EOF {
			return decoded{}, errors.New("YAML: the file is empty")
		}
		return decoded{}, fmt.Errorf("YAML: %w", err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err != io.EOF {
		return decoded{}, errors.New("YAML: the file holds more than one YAML document")
	}
	c := &yamlConverter{}
	v, err := c.convert(&n, 0, "")
	if err != nil {
		return decoded{}, fmt.Errorf("YAML: %w", err)
	}
	return decoded{value: v, pathsOrder: c.paths}, nil
}

type yamlConverter struct {
	paths []string
}

// convert turns a node into JSON values; key is its key when it is a
// member of the top level mapping.
func (c *yamlConverter) convert(n *yaml.Node, depth int, key string) (any, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("line %d: nested more than %d levels deep", n.Line, maxDepth)
	}
	if n.Tag != "" && !strings.HasPrefix(n.Tag, "!!") {
		return nil, fmt.Errorf("line %d: tag %q is not one of the YAML core schema's", n.Line, n.Tag)
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) != 1 {
			return nil, errors.New("the document is empty")
		}
		return c.convert(n.Content[0], depth, key)
	case yaml.AliasNode:
		return nil, fmt.Errorf("line %d: aliases (*%s) are not supported: write the value out", n.Line, n.Value)
	case yaml.MappingNode:
		if t := n.ShortTag(); t != "!!map" {
			return nil, fmt.Errorf("line %d: tag %s on a mapping", n.Line, t)
		}
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			kn, vn := n.Content[i], n.Content[i+1]
			if kn.Kind != yaml.ScalarNode {
				return nil, fmt.Errorf("line %d: a mapping key must be a scalar", kn.Line)
			}
			if kn.ShortTag() == "!!merge" {
				return nil, fmt.Errorf("line %d: merge keys (<<) are not supported", kn.Line)
			}
			k := kn.Value
			if _, dup := m[k]; dup {
				return nil, fmt.Errorf("line %d: duplicate key %q", kn.Line, k)
			}
			if depth == 1 && key == "paths" {
				c.paths = append(c.paths, k)
			}
			v, err := c.convert(vn, depth+1, k)
			if err != nil {
				return nil, err
			}
			m[k] = v
		}
		return m, nil
	case yaml.SequenceNode:
		if t := n.ShortTag(); t != "!!seq" {
			return nil, fmt.Errorf("line %d: tag %s on a sequence", n.Line, t)
		}
		a := make([]any, 0, len(n.Content))
		for _, e := range n.Content {
			v, err := c.convert(e, depth+1, "")
			if err != nil {
				return nil, err
			}
			a = append(a, v)
		}
		return a, nil
	case yaml.ScalarNode:
		return scalar(n)
	}
	return nil, fmt.Errorf("line %d: unexpected YAML node", n.Line)
}

// scalar converts a scalar by its resolved core-schema tag. Numbers keep
// their text when it is already JSON, so nothing is rounded.
func scalar(n *yaml.Node) (any, error) {
	switch t := n.ShortTag(); t {
	case "!!str", "!!timestamp": // dates stay text, as JSON has them
		return n.Value, nil
	case "!!null":
		return nil, nil
	case "!!bool":
		var b bool
		if err := n.Decode(&b); err != nil {
			return nil, fmt.Errorf("line %d: %w", n.Line, err)
		}
		return b, nil
	case "!!int", "!!float":
		return number(n.Value, t == "!!int", n.Line)
	default:
		return nil, fmt.Errorf("line %d: tag %s is not one of the YAML core schema's", n.Line, t)
	}
}

// number returns text as a json.Number, rewriting the YAML spellings JSON
// does not have (0x1f, 0o17, +1, 1_000, .5).
func number(text string, integer bool, line int) (json.Number, error) {
	if isJSONNumber(text) {
		return json.Number(text), nil
	}
	if integer {
		if i, err := strconv.ParseInt(strings.ReplaceAll(text, "_", ""), 0, 64); err == nil {
			return json.Number(strconv.FormatInt(i, 10)), nil
		}
		if u, err := strconv.ParseUint(strings.ReplaceAll(text, "_", ""), 0, 64); err == nil {
			return json.Number(strconv.FormatUint(u, 10)), nil
		}
	} else {
		f, err := strconv.ParseFloat(strings.ReplaceAll(text, "_", ""), 64)
		if err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
			return json.Number(strconv.FormatFloat(f, 'g', -1, 64)), nil
		}
	}
	return "", fmt.Errorf("line %d: %q is not a number JSON can hold", line, text)
}

// isJSONNumber reports whether s is a number as RFC 8259 writes it.
func isJSONNumber(s string) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	if i == len(s) {
		return false
	}
	if s[i] == '0' {
		i++
	} else if s[i] >= '1' && s[i] <= '9' {
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	} else {
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		j := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == j {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		j := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == j {
			return false
		}
	}
	return i == len(s)
}
