// Package routetable is the per-route settings table the perimeter
// packages share: keys are route patterns as package route reports them.
package routetable

import (
	"fmt"
	"strings"
)

// A Table maps route keys to settings. A key is "METHOD /pattern" (one
// method of a route) or "/pattern" (every method of it), spelled as the
// router spells the pattern. The zero Table is empty. It is read-only
// after New and safe for concurrent use.
type Table[T any] struct {
	m map[string]T
}

// New checks the keys of entries and returns the table. It copies
// entries.
func New[T any](entries map[string]T) (Table[T], error) {
	t := Table[T]{m: make(map[string]T, len(entries))}
	for k, v := range entries {
		key, err := canonical(k)
		if err != nil {
			return Table[T]{}, err
		}
		if _, dup := t.m[key]; dup {
			return Table[T]{}, fmt.Errorf("route %q is listed twice", k)
		}
		t.m[key] = v
	}
	return t, nil
}

// Len returns the number of entries.
func (t Table[T]) Len() int { return len(t.m) }

// Lookup returns the settings for a request whose route pattern is
// pattern ("GET /v1/items/{id}", or "/v1/items/{id}" for a route
// registered without a method): the entry for its method first, then
// the entry for every method. ok is false for "" and for a pattern
// without an entry.
func (t Table[T]) Lookup(pattern string) (v T, ok bool) {
	if pattern == "" || len(t.m) == 0 {
		return v, false
	}
	if v, ok = t.m[pattern]; ok {
		return v, true
	}
	if _, path, found := strings.Cut(pattern, " "); found {
		v, ok = t.m[strings.TrimLeft(path, " ")]
	}
	return v, ok
}

// canonical checks a key and folds the blanks between method and path to
// one space, as routers report patterns.
func canonical(k string) (string, error) {
	k = strings.TrimSpace(k)
	method, path, hasMethod := strings.Cut(k, " ")
	if !hasMethod {
		path, method = method, ""
	}
	path = strings.TrimLeft(path, " \t")
	if path == "" || !strings.Contains(path, "/") || strings.ContainsAny(path, " \t\r\n") {
		return "", fmt.Errorf("route %q: want \"METHOD /path\" or \"/path\"", k)
	}
	if method == "" {
		return path, nil
	}
	for i := 0; i < len(method); i++ {
		if c := method[i]; c < 'A' || c > 'Z' {
			return "", fmt.Errorf("route %q: the method must be upper-case letters", k)
		}
	}
	return method + " " + path, nil
}
