package authz

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// muxPatterns are the patterns the differential tests register.
var muxPatterns = []string{
	"GET /a/{x}",
	"GET /a/{x}/b/{y}",
	"GET /files/{rest...}",
	"GET /exact/{x}/{$}",
	"POST host.test/h/{x}",
	"/any/{x}/tail",
}

// muxTruth serves path through a real ServeMux and returns the pattern it
// matched and the path values its handler saw.
func muxTruth(t testing.TB, method, target string) (pattern string, values map[string]string, ok bool) {
	m := http.NewServeMux()
	for _, p := range muxPatterns {
		m.HandleFunc(p, func(w http.ResponseWriter, r *http.Request) {
			values = map[string]string{}
			for _, name := range []string{"x", "y", "rest"} {
				values[name] = r.PathValue(name)
			}
			pattern = r.Pattern
		})
	}
	req, err := http.NewRequest(method, target, nil)
	if err != nil {
		return "", nil, false
	}
	req.Host = req.URL.Host
	req.RequestURI = req.URL.RequestURI()
	m.ServeHTTP(httptest.NewRecorder(), req)
	return pattern, values, pattern != ""
}

// TestMuxPathValues checks that the values the policy reads before the mux
// has run are the ones the mux then gives its handler.
func TestMuxPathValues(t *testing.T) {
	t.Parallel()
	for _, target := range []string{
		"http://x.test/a/1", "http://x.test/a/%2F%20z", "http://x.test/a/1/b/2",
		"http://x.test/files/a/b/c.txt", "http://x.test/files/a%2Fb/c", "http://x.test/files/",
		"http://x.test/exact/q/", "http://host.test/h/7", "http://x.test/any/%41/tail",
	} {
		method := "GET"
		if strings.HasPrefix(target, "http://host.test") {
			method = "POST"
		}
		checkMuxValues(t, method, target)
	}
}

func checkMuxValues(t testing.TB, method, target string) {
	pattern, want, ok := muxTruth(t, method, target)
	if !ok {
		return
	}
	r, err := http.NewRequest(method, target, nil)
	if err != nil {
		return
	}
	pv := pathValues{muxPattern: pattern}
	for name, w := range want {
		if got := pv.get(r, name); got != w {
			t.Errorf("%s %s (pattern %q): path value %s: got %q, want %q", method, target, pattern, name, got, w)
		}
	}
	pv.fill(r)
	for name, w := range want {
		if got := r.PathValue(name); got != w {
			t.Errorf("%s %s: after fill, r.PathValue(%s) = %q, want %q", method, target, name, got, w)
		}
	}
}

// FuzzMuxPathValues compares the policy's path values with the ServeMux's
// on attacker-chosen paths.
func FuzzMuxPathValues(f *testing.F) {
	for _, s := range []string{"/a/1", "/a/%2F", "/a/1/b/2", "/files/x/y", "/exact/q/", "/any/x/tail", "/a/../a/1", "//a/1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, path string) {
		u, err := url.Parse("http://x.test" + path)
		if err != nil || u.Host != "x.test" || u.EscapedPath() != path {
			return // the mux would redirect, or the input is not a plain path
		}
		checkMuxValues(t, "GET", u.String())
	})
}

// FuzzClaimLookup feeds attacker-shaped claims and pointers to the claim
// rule's parser and walker: they must not panic, and a value found must be
// the one encoding/json reaches by hand.
func FuzzClaimLookup(f *testing.F) {
	f.Add("/a/b/0", `{"a":{"b":["x"]}}`)
	f.Add("/a~1b", `{"a/b":1}`)
	f.Add("/0", `{"0":true}`)
	f.Add("/a/01", `{"a":[1,2]}`)
	f.Fuzz(func(t *testing.T, pointer, claims string) {
		ptr, err := parsePointer(pointer)
		if err != nil {
			return
		}
		var m map[string]any
		if json.Unmarshal([]byte(claims), &m) != nil {
			return
		}
		v, ok := lookup(m, ptr)
		// Re-walk naively: a found value must be reachable token by token.
		var cur any = m
		for _, tok := range ptr {
			switch x := cur.(type) {
			case map[string]any:
				cur = x[tok]
			case []any:
				i, iok := arrayIndex(tok)
				if !iok || i >= len(x) {
					if ok {
						t.Fatalf("lookup found %v through a bad index %q", v, tok)
					}
					return
				}
				cur = x[i]
			default:
				if ok {
					t.Fatalf("lookup found %v through a scalar", v)
				}
				return
			}
		}
		if ok {
			a, _ := json.Marshal(v)
			b, _ := json.Marshal(cur)
			if string(a) != string(b) {
				t.Fatalf("lookup found %s, walk found %s", a, b)
			}
		}
		_ = (&claimRule{ptr: ptr}).matches(v)
	})
}

func TestParsePointer(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want []string
		err  bool
	}{
		{in: "/a", want: []string{"a"}},
		{in: "/a/b", want: []string{"a", "b"}},
		{in: "/", want: []string{""}},
		{in: "/a~1b/c~0d", want: []string{"a/b", "c~d"}},
		{in: "/~01", want: []string{"~1"}},
		{in: "", err: true},
		{in: "a", err: true},
		{in: "/a~", err: true},
		{in: "/a~2", err: true},
		{in: strings.Repeat("/a", maxPointerTokens+1), err: true},
	}
	for _, tt := range tests {
		got, err := parsePointer(tt.in)
		if (err != nil) != tt.err || strings.Join(got, "|") != strings.Join(tt.want, "|") {
			t.Errorf("parsePointer(%q) = %q, %v; want %q, error %v", tt.in, got, err, tt.want, tt.err)
		}
	}
}
