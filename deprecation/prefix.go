package deprecation

import (
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"
)

// A prefix is a version prefix in its cleaned form ("/v1", or "/" for
// every path) with its notice.
type prefix struct {
	path   string
	notice *Notice
}

// newPrefixes checks the configured prefixes and returns them longest
// first, so the first match is the most specific.
func newPrefixes(cfg map[string]Policy) ([]prefix, error) {
	out := make([]prefix, 0, len(cfg))
	seen := make(map[string]string, len(cfg))
	for k, p := range cfg {
		clean, err := cleanPrefix(k)
		if err != nil {
			return nil, fmt.Errorf("prefix %q: %v", k, err)
		}
		if other, dup := seen[clean]; dup {
			return nil, fmt.Errorf("prefixes %q and %q are the same", other, k)
		}
		seen[clean] = k
		n, err := newNotice(clean, p)
		if err != nil {
			return nil, fmt.Errorf("prefix %q: %v", k, err)
		}
		out = append(out, prefix{path: clean, notice: n})
	}
	// Two prefixes of one length never both match a path: the order
	// among them does not matter.
	slices.SortFunc(out, func(a, b prefix) int { return len(b.path) - len(a.path) })
	return out, nil
}

// cleanPrefix checks a configured prefix: an absolute, clean path of URI
// path characters, with or without a trailing slash. It returns the path
// without the trailing slash ("/" stays "/").
func cleanPrefix(k string) (string, error) {
	if k == "" || k[0] != '/' {
		return "", errors.New("a prefix is an absolute path such as /v1/")
	}
	for i := 0; i < len(k); i++ {
		if c := k[i]; !uriChar(c) || c == '?' || c == '#' {
			return "", errors.New("a prefix is a path of URI characters, without query or fragment")
		}
	}
	trimmed := k
	if len(trimmed) > 1 {
		trimmed = strings.TrimSuffix(trimmed, "/")
	}
	if path.Clean(trimmed) != trimmed {
		return "", errors.New("a prefix must be a clean path (no //, . or .. segments)")
	}
	return trimmed, nil
}

// matchPrefix returns the notice of the longest prefix that p's cleaned
// form starts with segment-wise, or nil. It allocates only when p is not
// clean already.
func matchPrefix(prefixes []prefix, p string) *Notice {
	if p == "" || p[0] != '/' {
		// "*" (OPTIONS *) or an authority-form CONNECT target: no path,
		// and nothing a prefix can name except "/".
		p = "/" + p
	}
	if !clean(p) {
		p = path.Clean(p)
	}
	for i := range prefixes {
		if underPrefix(p, prefixes[i].path) {
			return prefixes[i].notice
		}
	}
	return nil
}

// clean reports whether the absolute path p has no empty, "." or ".."
// segment, so that path.Clean would at most drop a trailing slash, which
// underPrefix ignores anyway. It is cheaper than path.Clean on the common,
// clean path.
func clean(p string) bool {
	for i := 0; i < len(p); i++ {
		if p[i] != '/' {
			continue
		}
		rest := p[i+1:]
		switch {
		case len(rest) > 0 && rest[0] == '/':
			return false
		case len(rest) > 0 && rest[0] == '.' && (len(rest) == 1 || rest[1] == '/'):
			return false
		case len(rest) > 1 && rest[0] == '.' && rest[1] == '.' && (len(rest) == 2 || rest[2] == '/'):
			return false
		}
	}
	return true
}

// underPrefix reports whether the clean path p is prefix or lies below it.
func underPrefix(p, prefix string) bool {
	if prefix == "/" {
		return true
	}
	return strings.HasPrefix(p, prefix) && (len(p) == len(prefix) || p[len(prefix)] == '/')
}
