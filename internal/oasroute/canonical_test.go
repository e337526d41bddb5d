package oasroute

import (
	"net/url"
	"testing"
)

func TestCanonical(t *testing.T) {
	t.Parallel()
	cases := []struct{ name, in, want string }{
		{"no escapes", "/items/admin", "/items/admin"},
		{"an unreserved letter", "/items/%61dmin", "/items/admin"},
		{"every unreserved kind", "/%41%7a%30%2D%2E%5F%7E", "/Az0-._~"},
		{"a quote stays encoded", "/%22", "/%22"},
		{"upper and lower hex", "/%61%64%6D%69%6e", "/admin"},
		{"a reserved slash stays", "/a%2Fb", "/a%2Fb"},
		{"lower hex of a slash", "/a%2fb", "/a%2Fb"},
		{"sub-delims, colon and at", "/x%3Acancel%40%21%24%26%27%28%29%2A%2B%2C%3B%3D", "/x:cancel@!$&'()*+,;="},
		{"query and fragment characters stay encoded", "/a%3Fb%23c", "/a%3Fb%23c"},
		{"a percent stays encoded", "/%2561", "/%2561"},
		{"a space stays encoded", "/a%20b", "/a%20b"},
		{"a NUL stays encoded", "/a%00", "/a%00"},
		{"a lone percent", "/%61%", "/%61%"},
		{"a short escape", "/%61%6", "/%61%6"},
		{"not hex", "/a%zz%61", "/a%zz%61"},
		{"a stray percent before an escape", "/%%370", "/%%370"},
		{"non-ASCII stays encoded", "/%C3%A9", "/%C3%A9"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := Canonical(tc.in); got != tc.want {
				t.Errorf("Canonical(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

// FuzzCanonical checks that the canonical form is a fixed point and, for
// a valid escaped path, means the same decoded path.
func FuzzCanonical(f *testing.F) {
	for _, s := range []string{"/items/%61dmin", "/a%2fb", "/%", "/%e9%C3%a9", "/a%2561"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		c := Canonical(p)
		if again := Canonical(c); again != c {
			t.Fatalf("Canonical(%q) = %q, and again %q", p, c, again)
		}
		want, err := url.PathUnescape(p)
		if err != nil {
			return
		}
		if got, err := url.PathUnescape(c); err != nil || got != want {
			t.Fatalf("Canonical(%q) = %q, which decodes to %q (%v), want %q", p, c, got, err, want)
		}
	})
}

func BenchmarkCanonical(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		_ = Canonical("/v1/items/12345/labels")
	}
}
