package validate

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	apierrors "github.com/apishield/apishield/errors"
)

// parsePointer is this test's own RFC 6901 parser: "" is the whole
// document; otherwise each token follows a "/", and "~" must be followed
// by "0" (for "~") or "1" (for "/"), decoded ~1 first as §4 says.
func parsePointer(p string) ([]string, error) {
	if p == "" {
		return nil, nil
	}
	if p[0] != '/' {
		return nil, fmt.Errorf("%q does not start with /", p)
	}
	toks := strings.Split(p[1:], "/")
	for i, t := range toks {
		for j := 0; j < len(t); j++ {
			if t[j] == '~' && (j+1 == len(t) || (t[j+1] != '0' && t[j+1] != '1')) {
				return nil, fmt.Errorf("%q: ~ not followed by 0 or 1", p)
			}
		}
		toks[i] = strings.ReplaceAll(strings.ReplaceAll(t, "~1", "/"), "~0", "~")
	}
	return toks, nil
}

// resolvePointer follows toks from doc: a member of an object, or an
// element of an array by an index without leading zeros.
func resolvePointer(doc any, toks []string) (any, error) {
	for _, t := range toks {
		switch d := doc.(type) {
		case map[string]any:
			v, ok := d[t]
			if !ok {
				return nil, fmt.Errorf("no member %q", t)
			}
			doc = v
		case []any:
			i, err := strconv.Atoi(t)
			if err != nil || i < 0 || i >= len(d) || (len(t) > 1 && t[0] == '0') || t[0] == '+' {
				return nil, fmt.Errorf("no element %q of %d", t, len(d))
			}
			doc = d[i]
		default:
			return nil, fmt.Errorf("%q into a %T", t, doc)
		}
	}
	return doc, nil
}

// checkPointers parses every field error's pointer and resolves it in the
// document its In names. A missing property ("required" and its kin)
// points at where it should be: its parent resolves and lacks it.
func checkPointers(t *testing.T, errs []apierrors.FieldError, docs map[string]any) {
	t.Helper()
	for _, e := range errs {
		doc, ok := docs[e.In]
		if !ok {
			t.Errorf("%+v: in %q, want one of %v", e, e.In, docs)
			continue
		}
		toks, err := parsePointer(e.Pointer)
		if err != nil {
			t.Errorf("%+v: %v", e, err)
			continue
		}
		switch e.Keyword {
		case "required", "dependentRequired", "dependencies":
			if len(toks) == 0 {
				t.Errorf("%+v: a missing property's pointer names no property", e)
				continue
			}
			parent, err := resolvePointer(doc, toks[:len(toks)-1])
			if err != nil {
				t.Errorf("%+v: the parent does not resolve: %v", e, err)
				continue
			}
			if m, ok := parent.(map[string]any); !ok {
				t.Errorf("%+v: the parent is a %T", e, parent)
			} else if _, there := m[toks[len(toks)-1]]; there {
				t.Errorf("%+v: the missing property is there", e)
			}
		default:
			if _, err := resolvePointer(doc, toks); err != nil {
				t.Errorf("%+v: does not resolve in %s: %v", e, e.In, err)
			}
		}
	}
}

// paramDoc is the object a parameter pointer resolves in: one member per
// name, an array for a name declared an array or sent more than once.
func paramDoc(vals map[string][]string, arrays ...string) map[string]any {
	doc := make(map[string]any, len(vals))
	for k, vs := range vals {
		if len(vs) == 1 && !slices.Contains(arrays, k) {
			doc[k] = vs[0]
			continue
		}
		a := make([]any, len(vs))
		for i, s := range vs {
			a[i] = s
		}
		doc[k] = a
	}
	return doc
}

// TestPointersResolve sends requests that fail in every place a Validator
// checks, with names that need escaping, and resolves every pointer of
// every 422 in the input, with a parser that refuses what RFC 6901 does.
func TestPointersResolve(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("k", 300)
	v := MustNew(Config{
		Body: []byte(`{"type":"object","additionalProperties":false,"required":["a/b","m~n"],
		  "properties":{"a/b":{"type":"integer"},"m~n":{"type":"array","items":{"type":"object",
		    "additionalProperties":false,"required":["~1"],"properties":{"~1":{"type":"string"},"x":{"type":"string"}}}},
		    "` + long + `":{"type":"object","additionalProperties":false,"properties":{"y":{"type":"integer"}}},
		    "deps":{"type":"object","additionalProperties":false,"properties":{"p":{},"q":{}},"dependentRequired":{"p":["q"]}}}}`),
		Query: []byte(`{"type":"object","additionalProperties":false,"required":["must/have"],"properties":{
		  "must/have":{"type":"string"},"l~m":{"type":"integer","maximum":5},"ids":{"type":"array","items":{"type":"integer"}}}}`),
		Header: []byte(`{"type":"object","properties":{"X-Count":{"type":"integer","minimum":1}}}`),
		Path:   []byte(`{"type":"object","properties":{"id":{"type":"integer"}}}`),
	})
	tests := []struct {
		name, path, query, header, body string
		want                            []string // the field errors' in:pointer, sorted
	}{
		{name: "body: escapes, arrays, missing, unknown", path: "/items/1", query: "must%2Fhave=1",
			body: `{"a/b":1.5,"m~n":[{"~1":"s"},{"~1":2,"z":0},{"x":"y"}],"other":1}`,
			want: []string{"body:/a~1b", "body:/m~0n/1/z", "body:/m~0n/1/~01", "body:/m~0n/2/~01", "body:/other"}},
		{name: "body: missing at the root", path: "/items/1", query: "must%2Fhave=1", body: `{"m~n":[]}`,
			want: []string{"body:/a~1b"}},
		{name: "body: dependentRequired", path: "/items/1", query: "must%2Fhave=1", body: `{"a/b":1,"m~n":[],"deps":{"p":1}}`,
			want: []string{"body:/deps/q"}},
		{name: "body: a pointer too long falls back to an ancestor", path: "/items/1", query: "must%2Fhave=1",
			body: `{"a/b":1,"m~n":[],"` + long + `":{"y":"not an integer"}}`, want: []string{"body:"}},
		{name: "query: escapes, repetition, missing", path: "/items/1", query: "l~m=9&ids=1&ids=x&bad%2Fname=1",
			want: []string{"query:/bad~1name", "query:/ids/1", "query:/l~0m", "query:/must~1have"}},
		{name: "query: repeated scalar", path: "/items/1", query: "must%2Fhave=1&must%2Fhave=2",
			want: []string{"query:/must~1have"}},
		{name: "header", path: "/items/1", query: "must%2Fhave=1", header: "0", want: []string{"header:/X-Count"}},
		{name: "path", path: "/items/x", query: "must%2Fhave=1", want: []string{"path:/id"}},
	}
	mux := http.NewServeMux()
	mux.Handle("POST /items/{id}", v.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})))
	h := apierrors.Recover(mux)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			body := tc.body
			if body == "" {
				body = `{"a/b":1,"m~n":[]}`
			}
			req := httptest.NewRequest("POST", tc.path+"?"+tc.query, strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			if tc.header != "" {
				req.Header.Set("X-Count", tc.header)
			}
			rr := httptest.NewRecorder()
			h.ServeHTTP(rr, req)
			var p struct{ Errors []apierrors.FieldError }
			if err := json.Unmarshal(rr.Body.Bytes(), &p); rr.Code != 422 || err != nil {
				t.Fatalf("status %d, want 422; %s", rr.Code, rr.Body)
			}
			var got []string
			for _, e := range p.Errors {
				got = append(got, e.In+":"+e.Pointer)
			}
			slices.Sort(got)
			if !slices.Equal(got, tc.want) {
				t.Errorf("errors at %q, want %q", got, tc.want)
			}
			bodyDoc, err := decode([]byte(body))
			if err != nil {
				t.Fatal(err)
			}
			query, _ := url.ParseQuery(tc.query)
			checkPointers(t, p.Errors, map[string]any{
				apierrors.InBody:   bodyDoc,
				apierrors.InQuery:  paramDoc(query, "ids"),
				apierrors.InHeader: paramDoc(map[string][]string{"X-Count": req.Header.Values("X-Count")}),
				apierrors.InPath:   paramDoc(map[string][]string{"id": {strings.TrimPrefix(tc.path, "/items/")}}),
			})
		})
	}
}

// TestPointerParser checks the test's own parser, so that a pointer the
// validator got wrong cannot pass through a lenient one.
func TestPointerParser(t *testing.T) {
	t.Parallel()
	for _, bad := range []string{"a", "query:/limit", "/a~", "/a~2", "/~x"} {
		if _, err := parsePointer(bad); err == nil {
			t.Errorf("parsePointer(%q) accepted it", bad)
		}
	}
	toks, err := parsePointer("/a~1b/~01/m~0n/")
	if want := []string{"a/b", "~1", "m~n", ""}; err != nil || !slices.Equal(toks, want) {
		t.Errorf("parsePointer = %q, %v; want %q", toks, err, want)
	}
	doc := map[string]any{"a": []any{"x", "y"}}
	for _, bad := range [][]string{{"b"}, {"a", "2"}, {"a", "01"}, {"a", "-1"}, {"a", "0", "z"}} {
		if _, err := resolvePointer(doc, bad); err == nil {
			t.Errorf("resolvePointer(%q) resolved", bad)
		}
	}
	if v, err := resolvePointer(doc, []string{"a", "1"}); err != nil || v != "y" {
		t.Errorf("resolvePointer(/a/1) = %v, %v", v, err)
	}
}

// checkBodyPointers is checkPointers for a fuzzed body: it fails t with the
// first pointer that does not parse or resolve in data.
func checkBodyPointers(t *testing.T, data, problem []byte) {
	t.Helper()
	var p struct{ Errors []apierrors.FieldError }
	if err := json.Unmarshal(problem, &p); err != nil {
		t.Fatal(err)
	}
	doc, err := decode(data)
	if err != nil {
		t.Fatalf("a 422 for a body encoding/json cannot decode: %q", data)
	}
	for _, e := range p.Errors {
		if e.In != apierrors.InBody {
			t.Fatalf("%+v: in %q, want body", e, e.In)
		}
	}
	checkPointers(t, p.Errors, map[string]any{apierrors.InBody: doc})
}
