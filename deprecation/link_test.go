package deprecation

import (
	"strings"
	"testing"
)

// FuzzCheckLinkTarget checks that every accepted target is safe between a
// Link's angle brackets and is https or relative.
func FuzzCheckLinkTarget(f *testing.F) {
	for _, s := range []string{"https://example.com/x", "/v2", "../v2", "#x", "http://x", "//x", "/a>b", "/a\r\nb", "https:/x", "javascript:x", "HTTPS://EXAMPLE.COM"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if checkLinkTarget(s) != nil {
			return
		}
		if strings.ContainsAny(s, "<>\"\\ \t\r\n\x00\x7f") {
			t.Errorf("accepted %q, which can end the reference or the header", s)
		}
		if i := strings.IndexAny(s, ":/?#"); i >= 0 && s[i] == ':' && !strings.HasPrefix(strings.ToLower(s), "https://") {
			t.Errorf("accepted %q, which has a scheme other than https", s)
		}
		if strings.HasPrefix(s, "//") {
			t.Errorf("accepted the scheme-relative %q", s)
		}
	})
}
