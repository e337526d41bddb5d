package auth

import (
	"strings"
	"testing"
)

// FuzzScopeTokens: the scope claim parser never panics, and a string it
// accepts is exactly its tokens joined by single spaces, each a non-empty
// run of NQCHAR: nothing is dropped, merged or split anywhere else.
func FuzzScopeTokens(f *testing.F) {
	for _, s := range []string{"items:read items:write", "", " ", "a  b", " a", "a ", "a\u00a0b", "a\tb", "a\x00b", `a"b`, `a\b`, "é", "a\u2028b", "https://api.example/x?y=1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		toks, bad := scopeTokens(s)
		if bad != "" {
			if toks != nil {
				t.Fatalf("scopeTokens(%q) = %q with %q", s, toks, bad)
			}
			return
		}
		if got := strings.Join(toks, " "); got != s {
			t.Fatalf("scopeTokens(%q) = %q, which joins to %q", s, toks, got)
		}
		for _, tok := range toks {
			if tok == "" || strings.ContainsFunc(tok, func(r rune) bool { return r < 0x21 || r > 0x7e || r == '"' || r == '\\' }) {
				t.Fatalf("scopeTokens(%q) accepted %q", s, tok)
			}
		}
		// The array form agrees with the string form.
		arr := make([]any, len(toks))
		for i, tok := range toks {
			arr[i] = tok
		}
		if again, bad := scopeTokens(arr); bad != "" || strings.Join(again, " ") != s {
			t.Fatalf("array form of %q: %q, %q", s, again, bad)
		}
	})
}
