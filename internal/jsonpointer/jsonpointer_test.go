package jsonpointer

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	t.Parallel()
	good := map[string]Pointer{
		"/roles":                             {"roles"},
		"/realm_access/roles":                {"realm_access", "roles"},
		"/https:~1~1example.com~1roles":      {"https://example.com/roles"},
		"/a~01":                              {"a~1"},
		"/":                                  {""},
		"/a//b":                              {"a", "", "b"},
		"/" + strings.Repeat("a/", 15) + "a": slices.Repeat(Pointer{"a"}, 16),
	}
	for in, want := range good {
		got, err := Parse(in)
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("Parse(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "roles", "/a~", "/a~2", "/~", "/" + strings.Repeat("a/", 16) + "a"} {
		if p, err := Parse(in); err == nil {
			t.Errorf("Parse(%q) = %q, want an error", in, p)
		}
	}
}

func TestLookup(t *testing.T) {
	t.Parallel()
	doc := map[string]any{
		"sub":          "alice",
		"realm_access": map[string]any{"roles": []any{"admin", "user"}},
		"groups":       []string{"ops", "dev"},
		"a/b":          1.0,
		"n":            nil,
	}
	tests := []struct {
		ptr  string
		want any
		ok   bool
	}{
		{"/sub", "alice", true},
		{"/realm_access/roles/1", "user", true},
		{"/groups/0", "ops", true},
		{"/a~1b", 1.0, true},
		{"/n", nil, true},
		{"/missing", nil, false},
		{"/realm_access/roles/2", nil, false},
		{"/realm_access/roles/01", nil, false}, // leading zero
		{"/realm_access/roles/-", nil, false},
		{"/realm_access/roles/x", nil, false},
		{"/sub/0", nil, false}, // through a string
		{"/groups/9999999999", nil, false},
	}
	for _, tt := range tests {
		p, err := Parse(tt.ptr)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := p.Lookup(doc)
		if ok != tt.ok || (ok && got != tt.want) {
			t.Errorf("Lookup(%q) = %v, %v; want %v, %v", tt.ptr, got, ok, tt.want, tt.ok)
		}
	}
	if _, ok := (Pointer{"sub"}).Lookup(nil); ok {
		t.Error("Lookup in a nil document found something")
	}
}

// FuzzLookup feeds attacker-shaped documents and pointers to Parse and
// Lookup: they must not panic, and a value found must be the one a naive
// walk token by token reaches.
func FuzzLookup(f *testing.F) {
	f.Add("/a/b/0", `{"a":{"b":["x"]}}`)
	f.Add("/a~1b", `{"a/b":1}`)
	f.Add("/0", `{"0":true}`)
	f.Add("/a/01", `{"a":[1,2]}`)
	f.Fuzz(func(t *testing.T, pointer, doc string) {
		ptr, err := Parse(pointer)
		if err != nil {
			return
		}
		var m map[string]any
		if json.Unmarshal([]byte(doc), &m) != nil {
			return
		}
		v, ok := ptr.Lookup(m)
		var cur any = m
		for _, tok := range ptr {
			switch x := cur.(type) {
			case map[string]any:
				cur = x[tok]
			case []any:
				i, iok := arrayIndex(tok)
				if !iok || i >= len(x) {
					if ok {
						t.Fatalf("Lookup found %v through a bad index %q", v, tok)
					}
					return
				}
				cur = x[i]
			default:
				if ok {
					t.Fatalf("Lookup found %v through a scalar", v)
				}
				return
			}
		}
		if ok {
			a, _ := json.Marshal(v)
			b, _ := json.Marshal(cur)
			if string(a) != string(b) {
				t.Fatalf("Lookup found %s, the walk found %s", a, b)
			}
		}
	})
}
