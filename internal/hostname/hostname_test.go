package hostname

import (
	"strings"
	"testing"
)

func TestValid(t *testing.T) {
	t.Parallel()
	label63 := strings.Repeat("a", 63)
	long := strings.Repeat(label63+".", 4)[:MaxLen]
	for _, tc := range []struct {
		name      string
		s         string
		lower, up bool // want, without and with upper case allowed
	}{
		{"simple", "api.example.com", true, true},
		{"underscore and hyphen", "_acme-challenge.ex-ample.com", true, true},
		{"digits", "127.0.0.1", true, true},
		{"one label", "localhost", true, true},
		{"upper case", "API.example.com", false, true},
		{"empty", "", false, false},
		{"leading dot", ".example.com", false, false},
		{"trailing dot", "example.com.", false, false},
		{"empty label", "a..b", false, false},
		{"63-byte label", label63 + ".com", true, true},
		{"64-byte label", label63 + "a.com", false, false},
		{"at the length limit", long[:len(long)-1] + "a", true, true},
		{"over the length limit", long + "a", false, false},
		{"space", "a b.com", false, false},
		{"colon", "a.com:80", false, false},
		{"non-ASCII", "exämple.com", false, false},
		{"NUL", "a\x00.com", false, false},
	} {
		if got := Valid(tc.s, false); got != tc.lower {
			t.Errorf("%s: Valid(%q, false) = %v, want %v", tc.name, tc.s, got, tc.lower)
		}
		if got := Valid(tc.s, true); got != tc.up {
			t.Errorf("%s: Valid(%q, true) = %v, want %v", tc.name, tc.s, got, tc.up)
		}
	}
}
