package openapi

import (
	"encoding/json"
	"reflect"
	"testing"
)

func TestDecodeYAMLValues(t *testing.T) {
	t.Parallel()
	const doc = `
int: 12
big: 123456789012345678901234567890
hex: 0x1F
octal: 0o17
float: 1.50
exp: 1e3
dot: .5
plus: +2
str: "12"
bool: true
null: ~
date: 2026-01-31
200: ok
list: [1, a, null]
`
	dec, err := decode([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"int": json.Number("12"), "big": json.Number("123456789012345678901234567890"),
		"hex": json.Number("31"), "octal": json.Number("15"),
		"float": json.Number("1.50"), "exp": json.Number("1e3"), "dot": json.Number("0.5"), "plus": json.Number("2"),
		"str": "12", "bool": true, "null": nil, "date": "2026-01-31", "200": "ok",
		"list": []any{json.Number("1"), "a", nil},
	}
	if !reflect.DeepEqual(dec.value, want) {
		t.Errorf("decoded\n%#v\nwant\n%#v", dec.value, want)
	}
}

func TestDecodeJSONValues(t *testing.T) {
	t.Parallel()
	dec, err := decode([]byte(` {"a": 1.50, "b": [true, null, "x"], "paths": {"/b": {}, "/a": {}}}`))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"a": json.Number("1.50"), "b": []any{true, nil, "x"}, "paths": map[string]any{"/b": map[string]any{}, "/a": map[string]any{}}}
	if !reflect.DeepEqual(dec.value, want) {
		t.Errorf("decoded %#v", dec.value)
	}
	if !reflect.DeepEqual(dec.pathsOrder, []string{"/b", "/a"}) {
		t.Errorf("paths order = %q", dec.pathsOrder)
	}
}

func TestDecodeDepthBound(t *testing.T) {
	t.Parallel()
	deep := make([]byte, 0, 2*maxDepth+20)
	deep = append(deep, `{"a":`...)
	for range maxDepth + 1 {
		deep = append(deep, '[')
	}
	for range maxDepth + 1 {
		deep = append(deep, ']')
	}
	deep = append(deep, '}')
	if _, err := decode(deep); err == nil {
		t.Error("JSON nested past maxDepth decoded")
	}
	y := []byte("a: ")
	for range maxDepth + 1 {
		y = append(y, '[')
	}
	for range maxDepth + 1 {
		y = append(y, ']')
	}
	if _, err := decode(y); err == nil {
		t.Error("YAML nested past maxDepth decoded")
	}
}
