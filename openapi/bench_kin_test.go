package openapi_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/apishield/apishield/internal/oasroute"
	"github.com/apishield/apishield/openapi"
)

// The benchmarks of #15's proofs, in one function so that every figure
// and its floor come from the same run:
//
//	Validate/…  a POST /pet of the Petstore with a 1 KiB JSON body, through
//	            the Contract's handler and through kin-openapi's FindRoute
//	            and ValidateRequest (budget: ours ≤ 0.5× kin-openapi's);
//	Match/…     operation match on GitHub's 623 operations, and on 1 246
//	            (the same paths again under /v2), beside ServeMux with the
//	            same operations (budget ≤ 1 µs);
//	Load/…      loading GitHub's document, and the same with its paths also
//	            under /v2 (1 246 operations; budget ≤ 1 s), beside kin-openapi.
//
// Ratios are read from the ns/op of sibling sub-benchmarks.
func BenchmarkContract(b *testing.B) {
	b.Run("Validate", benchValidate)
	b.Run("Match", benchMatch)
	b.Run("Load", benchLoad)
}

// petBody is a Pet of about 1 KiB that the Petstore's schema accepts.
func petBody(tb testing.TB) []byte {
	tb.Helper()
	pet := map[string]any{
		"id": 10, "name": "doggie", "status": "available",
		"category":  map[string]any{"id": 1, "name": "Dogs"},
		"photoUrls": []string{"https://example.com/photos/doggie-1.jpg", "https://example.com/photos/doggie-2.jpg"},
	}
	var tags []map[string]any
	for i := 0; ; i++ {
		b, err := json.Marshal(pet)
		if err != nil {
			tb.Fatal(err)
		}
		if len(b) >= 1024 {
			return b
		}
		tags = append(tags, map[string]any{"id": i, "name": fmt.Sprintf("tag-number-%d", i)})
		pet["tags"] = tags
	}
}

const petURL = "https://petstore3.swagger.io/api/v3/pet"

func newPetRequest(body []byte) *http.Request {
	r := httptest.NewRequest(http.MethodPost, petURL, bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	return r
}

// petstore returns the Petstore without its security, as the differential
// test compares it.
func petstore(tb testing.TB) []byte {
	tb.Helper()
	rd := readRealDoc(tb, "petstore3")
	data, err := fs.ReadFile(rd.fsys, rd.root)
	if err != nil {
		tb.Fatal(err)
	}
	if data, err = comparable(data); err != nil {
		tb.Fatal(err)
	}
	return data
}

func benchValidate(b *testing.B) {
	body := petBody(b)
	data := petstore(b)
	kin, err := newKin(data)
	if err != nil {
		b.Fatal(err)
	}
	if err := kin.check(newPetRequest(body)); err != nil {
		b.Fatalf("kin-openapi refuses the benchmark's request: %v", err)
	}
	b.Run("kin-openapi", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			if err := kin.check(newPetRequest(body)); err != nil {
				b.Fatal(err)
			}
		}
	})
	// What both sides pay for the request itself, outside validation.
	b.Run("floor=NewRequest", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			newPetRequest(body)
		}
	})
	// The schema library alone on the same body: decoding and validating
	// against the Pet schema, the floor of any validator built on it.
	b.Run("floor=jsonschema", func(b *testing.B) {
		tr, err := tree(data)
		if err != nil {
			b.Fatal(err)
		}
		comp := jsonschema.NewCompiler()
		if err := comp.AddResource("petstore.json", tr); err != nil {
			b.Fatal(err)
		}
		sch, err := comp.Compile("petstore.json#/components/schemas/Pet")
		if err != nil {
			b.Fatal(err)
		}
		b.Run("decode+validate", func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				v, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
				if err != nil {
					b.Fatal(err)
				}
				if err := sch.Validate(v); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("validate", func(b *testing.B) {
			v, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				if err := sch.Validate(v); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
	b.Run("apishield", func(b *testing.B) {
		c, err := openapi.Parse(data, publicConfig)
		if err != nil {
			b.Fatal(err)
		}
		h := c.Handler(next)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, newPetRequest(body))
		if w.Code != http.StatusNoContent {
			b.Fatalf("the Contract refuses the benchmark's request: %d %s", w.Code, w.Body)
		}
		b.ReportAllocs()
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			h.ServeHTTP(discard{}, newPetRequest(body))
		}
	})
	// Both in every iteration, each timed, so that both see the same
	// load of a shared machine; the ratio is the budget's figure.
	b.Run("interleaved", func(b *testing.B) {
		c, err := openapi.Parse(data, publicConfig)
		if err != nil {
			b.Fatal(err)
		}
		h := c.Handler(next)
		var tk, ta time.Duration
		for b.Loop() {
			t0 := time.Now()
			if err := kin.check(newPetRequest(body)); err != nil {
				b.Fatal(err)
			}
			t1 := time.Now()
			h.ServeHTTP(discard{}, newPetRequest(body))
			ta += time.Since(t1)
			tk += t1.Sub(t0)
		}
		b.ReportMetric(float64(tk.Nanoseconds())/float64(b.N), "kin-ns/op")
		b.ReportMetric(float64(ta.Nanoseconds())/float64(b.N), "apishield-ns/op")
		b.ReportMetric(float64(ta)/float64(tk), "apishield/kin")
	})
}

// discard is a ResponseWriter that keeps nothing, so the benchmark does
// not measure a recorder.
type discard struct{}

func (discard) Header() http.Header         { return http.Header{} }
func (discard) Write(p []byte) (int, error) { return len(p), nil }
func (discard) WriteHeader(int)             {}

// githubOps returns the operations of GitHub's document, each with a
// request path that matches only its template: every parameter replaced
// by a value no literal segment spells.
func githubOps(tb testing.TB) (ops []oasroute.Operation, paths []string) {
	tb.Helper()
	rd := readRealDoc(tb, "github")
	data, err := fs.ReadFile(rd.fsys, rd.root)
	if err != nil {
		tb.Fatal(err)
	}
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		tb.Fatal(err)
	}
	for _, p := range sortedKeys(doc.Paths) {
		for _, m := range []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"} {
			if _, ok := doc.Paths[p][m]; ok {
				ops = append(ops, oasroute.Operation{Method: strings.ToUpper(m), Path: p})
				paths = append(paths, concrete(p))
			}
		}
	}
	return ops, paths
}

// concrete fills a template's parameters with "v9".
func concrete(tmpl string) string {
	var b strings.Builder
	for {
		i := strings.IndexByte(tmpl, '{')
		j := strings.IndexByte(tmpl, '}')
		if i < 0 || j < i {
			b.WriteString(tmpl)
			return b.String()
		}
		b.WriteString(tmpl[:i])
		b.WriteString("v9")
		tmpl = tmpl[j+1:]
	}
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func benchMatch(b *testing.B) {
	ops, paths := githubOps(b)
	// 1 246 operations: the same paths under "" and "/v2", the shape of
	// an API that serves two versions from one document.
	var ops2 []oasroute.Operation
	var paths2 []string
	for i, op := range ops {
		ops2 = append(ops2, op, oasroute.Operation{Method: op.Method, Path: "/v2" + op.Path})
		paths2 = append(paths2, paths[i], "/v2"+paths[i])
	}
	for _, set := range []struct {
		name  string
		ops   []oasroute.Operation
		paths []string
	}{
		{fmt.Sprintf("github-%dops", len(ops)), ops, paths},
		{fmt.Sprintf("%dops", len(ops2)), ops2, paths2},
	} {
		rt, err := oasroute.New(nil, set.ops)
		if err != nil {
			b.Fatalf("%s: %v", set.name, err)
		}
		// ServeMux takes every template whose parameters fill whole
		// segments; the few others ("{base}...{head}") are left out of
		// both sides, so both match the same requests.
		mux := http.NewServeMux()
		var reqs []*http.Request
		var methods, escaped []string
		for i, op := range set.ops {
			if registerMux(mux, op.Method+" "+op.Path) {
				methods = append(methods, op.Method)
				escaped = append(escaped, set.paths[i])
				reqs = append(reqs, httptest.NewRequest(op.Method, set.paths[i], nil))
			}
		}
		params := make([]oasroute.Param, 0, rt.MaxParams())
		for i := range methods {
			if got, _, _, ok := rt.Find(methods[i], escaped[i], params); !ok || set.ops[got].Method != methods[i] || concrete(set.ops[got].Path) != escaped[i] {
				b.Fatalf("%s: %s %s matched %v %v", set.name, methods[i], escaped[i], got, ok)
			}
		}
		b.Run(set.name+"/oasroute", func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				rt.Find(methods[i], escaped[i], params)
				if i++; i == len(methods) {
					i = 0
				}
			}
		})
		b.Run(set.name+"/floor=ServeMux", func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				mux.Handler(reqs[i])
				if i++; i == len(reqs) {
					i = 0
				}
			}
		})
		b.Logf("%s: %d of %d operations matched by both", set.name, len(methods), len(set.ops))
	}
	b.Run(fmt.Sprintf("github-%dops/apishield-Handler", len(ops)), benchMatchHandler)
}

// benchMatchHandler sends the generated valid GET requests of GitHub's
// document that carry no query, header or body through the whole
// Contract handler, all operations public: the match plus the path
// parameters' checks and the request record.
func benchMatchHandler(b *testing.B) {
	g := generate(b, "github")
	h := contractHandler(b, g.doc)(next)
	var reqs []*http.Request
	for i := range g.cases {
		c := &g.cases[i]
		if c.Valid() && c.Method == http.MethodGet && !strings.Contains(c.URL, "?") && len(c.Header) == 0 {
			r, err := c.Request()
			if err != nil {
				b.Fatal(err)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != http.StatusNoContent {
				b.Fatalf("%s: %d %s", c.URL, w.Code, w.Body)
			}
			reqs = append(reqs, r)
		}
	}
	b.Logf("%d GET requests without query, header or body", len(reqs))
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		h.ServeHTTP(discard{}, reqs[i])
		if i++; i == len(reqs) {
			i = 0
		}
	}
}

// registerMux adds pattern to mux and reports whether ServeMux took it.
func registerMux(mux *http.ServeMux, pattern string) (ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	mux.Handle(pattern, next)
	return true
}

func benchLoad(b *testing.B) {
	rd := readRealDoc(b, "github")
	data, err := fs.ReadFile(rd.fsys, rd.root)
	if err != nil {
		b.Fatal(err)
	}
	doubled, err := twoVersions(data)
	if err != nil {
		b.Fatal(err)
	}
	cfg := openapi.Config{DeprecatedSince: deprecatedSince}
	for _, doc := range []struct {
		name string
		data []byte
	}{
		{"github-623ops", data},
		{"1246ops", doubled},
	} {
		b.Run(doc.name+"/kin-openapi", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := newKin(doc.data); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(doc.name+"/apishield", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := openapi.Parse(doc.data, cfg); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// twoVersions returns GitHub's document with every path item also served
// under "/v2" (operationIds suffixed "-v2"): 1 246 operations sharing one
// set of components, the shape of an API that serves two versions from
// one document.
func twoVersions(data []byte) ([]byte, error) {
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	paths, _ := doc["paths"].(map[string]any)
	var v2 map[string]any
	for p, item := range paths {
		// A deep copy, so the suffixes do not reach the original items.
		raw, err := json.Marshal(item)
		if err != nil {
			return nil, err
		}
		if err := json.Unmarshal(raw, &v2); err != nil {
			return nil, err
		}
		for _, op := range v2 {
			if om, ok := op.(map[string]any); ok {
				if id, ok := om["operationId"].(string); ok {
					om["operationId"] = id + "-v2"
				}
			}
		}
		paths["/v2"+p] = v2
		v2 = nil
	}
	return json.Marshal(doc)
}

// TestLoadRetainedHeap states what a loaded GitHub document (623
// operations, 3 MB of JSON) keeps on the heap, for the Contract and for
// kin-openapi, as #15 asks.
func TestLoadRetainedHeap(t *testing.T) {
	if testing.Short() {
		t.Skip("loads a 3 MB document twice")
	}
	rd := readRealDoc(t, "github")
	data, err := fs.ReadFile(rd.fsys, rd.root)
	if err != nil {
		t.Fatal(err)
	}
	kin := retained(t, func() (any, error) { return newKin(data) })
	t.Logf("kin-openapi retains %.1f MiB after loading GitHub's document", float64(kin)/(1<<20))
	ours := retained(t, func() (any, error) {
		return openapi.Parse(data, openapi.Config{DeprecatedSince: deprecatedSince})
	})
	t.Logf("the Contract retains %.1f MiB after loading GitHub's document (%.2f× kin-openapi)", float64(ours)/(1<<20), float64(ours)/float64(kin))
	// The document itself is 3 MB; a Contract holding more than 32 times
	// that has kept what it should have dropped.
	if limit := uint64(32 * len(data)); ours > limit {
		t.Errorf("the Contract retains %d bytes, more than %d", ours, limit)
	}
}

// retained is the growth of the live heap across load, measured after
// garbage collection with load's result still reachable.
func retained(t *testing.T, load func() (any, error)) uint64 {
	t.Helper()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	v, err := load()
	if err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(v)
	if after.HeapAlloc < before.HeapAlloc {
		return 0
	}
	return after.HeapAlloc - before.HeapAlloc
}
