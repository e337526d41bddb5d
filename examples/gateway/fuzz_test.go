package main

import (
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzTarget feeds request targets, parsed as Go's server parses them, to
// checkPath and checkQuery, and checks what an accepted one guarantees: the
// decoded path has every "/", "." and "%" it shows in the clear, no "\",
// ";" or control byte, is UTF-8, and survives the gateway's re-encoding;
// the query parses entirely, without control bytes, access tokens or
// method overrides.
func FuzzTarget(f *testing.F) {
	for _, s := range []string{
		"/v1/items/1", "/v1/items/a%20b", "/v1/items/%2e%2e", "/v1/items/%252e", "/v1/items/a%00",
		"/v1/items/1;x=1", "/v1/items/a%2F..%2Fadmin", "/v1/items/a%5c", "/v1/items/a%c0%ae",
		"/v1/items/caf%C3%A9", "/v1/items?x=1;access_token=a", "/v1/items?q=100%25&a=b",
		"/v1/items?Access.Token=a", "/v1/items?_method[]=DELETE", "/v1/items?q=%0d%0a", "/v1/items?q=%zz",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, target string) {
		u, err := url.ParseRequestURI(target)
		if err != nil {
			return
		}
		if checkPath(u.EscapedPath(), u.Path) == nil {
			escaped, decoded := u.EscapedPath(), u.Path
			for _, c := range "/.%" {
				in, out := strings.Count(escaped, string(c)), strings.Count(decoded, string(c))
				if c == '%' {
					in = 0 // every % in the escaped path is an escape
				}
				if in != out {
					t.Fatalf("checkPath accepted %q: %q in the clear %d times, decoded %d", escaped, c, in, out)
				}
			}
			if strings.ContainsAny(decoded, "\\;") || strings.ContainsFunc(decoded, isControl) || !utf8.ValidString(decoded) {
				t.Fatalf("checkPath accepted %q, decoded %q", escaped, decoded)
			}
			again, err := url.PathUnescape((&url.URL{Path: decoded}).EscapedPath())
			if err != nil || again != decoded {
				t.Fatalf("the re-encoded path of %q decodes to %q, %v", decoded, again, err)
			}
		}
		if checkQuery(u.RawQuery) == nil && u.RawQuery != "" {
			params, err := url.ParseQuery(u.RawQuery)
			if err != nil {
				t.Fatalf("checkQuery accepted %q: %v", u.RawQuery, err)
			}
			for name, values := range params {
				if n := foldParamName(name); n == "access_token" || n == "_method" {
					t.Fatalf("checkQuery accepted %q with %q", u.RawQuery, name)
				}
				for _, s := range append(values, name) {
					if strings.ContainsFunc(s, isControl) {
						t.Fatalf("checkQuery accepted %q with control bytes in %q", u.RawQuery, s)
					}
				}
			}
		}
	})
}

func isControl(c rune) bool { return c < 0x20 || c == 0x7f }
