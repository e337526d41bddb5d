package authz

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/apishield/apishield/internal/jsonpointer"
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
// rule: parsing, walking (see internal/jsonpointer's FuzzLookup) and
// matching must not panic.
func FuzzClaimLookup(f *testing.F) {
	f.Add("/a/b/0", `{"a":{"b":["x"]}}`)
	f.Add("/a~1b", `{"a/b":1}`)
	f.Add("/0", `{"0":true}`)
	f.Add("/a/01", `{"a":[1,2]}`)
	f.Fuzz(func(t *testing.T, pointer, claims string) {
		ptr, err := jsonpointer.Parse(pointer)
		if err != nil {
			return
		}
		var m map[string]any
		if json.Unmarshal([]byte(claims), &m) != nil {
			return
		}
		v, _ := ptr.Lookup(m)
		_ = (&claimRule{ptr: ptr}).matches(v)
	})
}
