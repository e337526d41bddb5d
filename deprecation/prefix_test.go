package deprecation

import (
	"path"
	"strings"
	"testing"
	"time"
)

func testPrefixes(t testing.TB, keys ...string) []prefix {
	t.Helper()
	cfg := make(map[string]Policy, len(keys))
	for _, k := range keys {
		cfg[k] = Policy{Deprecated: time.Unix(0, 0)}
	}
	ps, err := newPrefixes(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return ps
}

func TestMatchPrefix(t *testing.T) {
	t.Parallel()
	ps := testPrefixes(t, "/v1/", "/v1/admin", "/api/v2")
	tests := []struct {
		name string
		path string
		want string // the rule, "" for no match
	}{
		{"the prefix itself", "/v1", "/v1"},
		{"with trailing slash", "/v1/", "/v1"},
		{"below", "/v1/items/7", "/v1"},
		{"/v1 is not /v10", "/v10/items", ""},
		{"/v1 is not /v1.1", "/v1.1/items", ""},
		{"/v1 is not /v1-beta", "/v1-beta", ""},
		{"case matters, as in the routers", "/V1/items", ""},
		{"longest wins", "/v1/admin/users", "/v1/admin"},
		{"longest is segment-wise too", "/v1/administrators", "/v1"},
		{"double slash", "//v1//items", "/v1"},
		{"dot segments", "/./v1/./items", "/v1"},
		{"dot-dot into the prefix", "/v2/../v1/items", "/v1"},
		{"dot-dot out of the prefix", "/v1/../v2/items", ""},
		{"dot-dot above the root", "/../../v1/items", "/v1"},
		{"relative path", "v1/items", "/v1"},
		{"nested prefix", "/api/v2/x", "/api/v2"},
		{"nested prefix parent", "/api/v3", ""},
		{"empty path", "", ""},
		{"asterisk-form", "*", ""},
		{"root", "/", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := ""
			if n := matchPrefix(ps, tt.path); n != nil {
				got = n.Rule
			}
			if got != tt.want {
				t.Errorf("matchPrefix(%q) = %q, want %q", tt.path, got, tt.want)
			}
		})
	}
	root := testPrefixes(t, "/")
	for _, p := range []string{"", "*", "/", "/x/y"} {
		if n := matchPrefix(root, p); n == nil {
			t.Errorf("matchPrefix(%q) with prefix / = nil, want a match", p)
		}
	}
}

// matchSegments is the reference matcher: the cleaned path's segments
// start with the prefix's.
func matchSegments(ps []prefix, p string) *Notice {
	segs := strings.Split(strings.Trim(path.Clean("/"+p), "/"), "/")
	var best *Notice
	bestLen := -1
	for _, pr := range ps {
		want := strings.Split(strings.Trim(pr.path, "/"), "/")
		if pr.path == "/" {
			want = nil
		}
		if len(want) > len(segs) || len(want) <= bestLen {
			continue
		}
		match := true
		for i := range want {
			if segs[i] != want[i] {
				match = false
				break
			}
		}
		if match {
			best, bestLen = pr.notice, len(want)
		}
	}
	return best
}

// FuzzMatchPrefix checks the matcher against a segment-by-segment
// reference on attacker paths: no segment boundary is crossed (/v1 never
// matches /v10) and no unclean spelling escapes a prefix.
func FuzzMatchPrefix(f *testing.F) {
	for _, s := range []string{"/v1", "/v10", "/v1/x", "//v1", "/v2/../v1", "/v1/../v2", "v1", "*", "", "/v1/admin", "/v1/admin/x", "/a/b/../../v1/", "/v1%2fx", "/v1\x00"} {
		f.Add(s)
	}
	ps := testPrefixes(f, "/v1", "/v1/admin", "/api/v2", "/v1.1")
	f.Fuzz(func(t *testing.T, p string) {
		got, want := matchPrefix(ps, p), matchSegments(ps, p)
		if got != want {
			rule := func(n *Notice) string {
				if n == nil {
					return "<nil>"
				}
				return n.Rule
			}
			t.Errorf("matchPrefix(%q) = %s, reference %s", p, rule(got), rule(want))
		}
	})
}
