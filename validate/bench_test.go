package validate

import (
	"bytes"
	"encoding/json"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/apishield/apishield/internal/schemacheck"
)

// benchSchema is the 10-property schema of the budget: "for a 1 KiB body
// and a 10-property schema, our overhead over decode+validate ≤ 30%".
const benchSchema = `{
  "type": "object",
  "additionalProperties": false,
  "required": ["id", "name", "price", "quantity"],
  "properties": {
    "id":          {"type": "string", "format": "uuid"},
    "name":        {"type": "string", "minLength": 1, "maxLength": 100},
    "price":       {"type": "number", "minimum": 0},
    "quantity":    {"type": "integer", "minimum": 1, "maximum": 1000},
    "active":      {"type": "boolean"},
    "email":       {"type": "string", "format": "email"},
    "created":     {"type": "string", "format": "date-time"},
    "tags":        {"type": "array", "maxItems": 20, "items": {"type": "string", "maxLength": 32}},
    "description": {"type": "string", "maxLength": 2000},
    "dims":        {"type": "object", "additionalProperties": false,
                    "properties": {"w": {"type": "number"}, "h": {"type": "number"}}}
  }
}`

// benchBody returns a valid body of exactly 1 KiB for benchSchema.
func benchBody(tb testing.TB) []byte {
	head := `{"id":"9b2d3c4e-5f60-4a1b-8c2d-3e4f5a6b7c8d","name":"Fountain pen","price":24.5,"quantity":3,` +
		`"active":true,"email":"buyer@example.com","created":"2026-11-24T08:15:27Z",` +
		`"tags":["office","writing","gift","ink","steel"],"dims":{"w":1.2,"h":14},"description":"`
	tail := `"}`
	pad := 1024 - len(head) - len(tail)
	var b strings.Builder
	b.WriteString(head)
	for b.Len() < len(head)+pad {
		b.WriteString("A smooth nib. ")
	}
	s := b.String()[:len(head)+pad] + tail
	if len(s) != 1024 || !json.Valid([]byte(s)) {
		tb.Fatalf("bench body is %d bytes", len(s))
	}
	return []byte(s)
}

// floorSchema compiles benchSchema with the schema library alone, with the
// same draft and format assertions as a Validator.
func floorSchema(tb testing.TB, src string) *jsonschema.Schema {
	doc, err := jsonschema.UnmarshalJSON(strings.NewReader(src))
	if err != nil {
		tb.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	if err := c.AddResource("floor.json", doc); err != nil {
		tb.Fatal(err)
	}
	return c.MustCompile("floor.json")
}

// BenchmarkFloorDecodeValidate is the floor: the schema library alone
// decoding (its UnmarshalJSON, encoding/json with UseNumber) and validating
// the 1 KiB body.
func BenchmarkFloorDecodeValidate(b *testing.B) {
	body := benchBody(b)
	sch := floorSchema(b, benchSchema)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		if err := sch.Validate(doc); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFloorDecode is the decoding half of the floor: the schema
// library's UnmarshalJSON (encoding/json with UseNumber) on the 1 KiB body.
func BenchmarkFloorDecode(b *testing.B) {
	body := benchBody(b)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := jsonschema.UnmarshalJSON(bytes.NewReader(body)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkScanDecode is what replaces it in the middleware: the pre-schema
// scan, then the one-pass decode of the scanned bytes.
func BenchmarkScanDecode(b *testing.B) {
	body := benchBody(b)
	v := MustNew(Config{Body: []byte(benchSchema)})
	s := schemacheck.NewScanner(v.limits, v.body.Keys())
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if err := s.Scan(body); err != nil {
			b.Fatal(err)
		}
		schemacheck.DecodeScanned(body, v.body.Keys())
	}
}

// resettableBody is a request body the benchmark rewinds without allocating.
type resettableBody struct{ bytes.Reader }

func (*resettableBody) Close() error { return nil }

// nopWriter is a ResponseWriter that costs nothing.
type nopWriter struct{ h http.Header }

func (w *nopWriter) Header() http.Header         { return w.h }
func (w *nopWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *nopWriter) WriteHeader(int)             {}

// BenchmarkHandler is the whole middleware on the same body and schema:
// content type, bounded read, scan, decode, validate, the request record
// (installed here, since no outer middleware did), the decision, and the
// context the handler reads. Budget: ≤ 1.3 × BenchmarkFloorDecodeValidate.
func BenchmarkHandler(b *testing.B) {
	body := benchBody(b)
	v := MustNew(Config{Body: []byte(benchSchema)})
	var seen bool
	h := v.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, seen = Body(r.Context())
	}))
	rb := &resettableBody{}
	req, _ := http.NewRequest("POST", "/v1/items", rb)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Request-ID", "bench-request-0001") // as a proxy would send; no ID to mint
	req.ContentLength = int64(len(body))
	w := &nopWriter{h: http.Header{}}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		rb.Reset(body)
		seen = false
		h.ServeHTTP(w, req)
		if !seen {
			b.Fatal("handler not reached")
		}
	}
}

// BenchmarkOverhead runs the floor and the whole middleware alternately in
// every iteration, timing each, so both see the same machine load (other
// processes on a shared machine swing separate benchmarks by 2× and more).
// It reports each one's ns/op and the middleware's overhead over the floor
// in percent. Budget: overhead-% ≤ 30.
func BenchmarkOverhead(b *testing.B) {
	body := benchBody(b)
	sch := floorSchema(b, benchSchema)
	v := MustNew(Config{Body: []byte(benchSchema)})
	var seen bool
	h := v.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, seen = Body(r.Context())
	}))
	rb := &resettableBody{}
	req, _ := http.NewRequest("POST", "/v1/items", rb)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Request-ID", "bench-request-0001")
	req.ContentLength = int64(len(body))
	w := &nopWriter{h: http.Header{}}
	var floor, ours time.Duration
	b.ReportAllocs()
	for b.Loop() {
		t0 := time.Now()
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		if err := sch.Validate(doc); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		rb.Reset(body)
		seen = false
		h.ServeHTTP(w, req)
		t2 := time.Now()
		if !seen {
			b.Fatal("handler not reached")
		}
		floor += t1.Sub(t0)
		ours += t2.Sub(t1)
	}
	b.ReportMetric(float64(floor.Nanoseconds())/float64(b.N), "floor-ns/op")
	b.ReportMetric(float64(ours.Nanoseconds())/float64(b.N), "middleware-ns/op")
	b.ReportMetric(100*(float64(ours)-float64(floor))/float64(floor), "overhead-%")
}

// BenchmarkFloorJSONValid is the scanner's floor: encoding/json.Valid, a
// syntax-only check, on the 1 KiB body.
func BenchmarkFloorJSONValid(b *testing.B) {
	body := benchBody(b)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if !json.Valid(body) {
			b.Fatal("invalid")
		}
	}
}

// scanBodies returns bodies of growing size for the scanner benchmarks:
// arrays of the 1 KiB object, so every KiB has the same shape.
func scanBodies(b *testing.B) [][]byte {
	one := benchBody(b)
	out := [][]byte{one}
	for _, n := range []int{16, 256, 1000} {
		body := []byte{'['}
		for i := range n {
			if i > 0 {
				body = append(body, ',')
			}
			body = append(body, one...)
		}
		out = append(out, append(body, ']'))
	}
	return out
}

// BenchmarkScan measures the pre-schema scanner, with the bench schema's
// declared names, on bodies of growing size. ns/KiB must stay flat
// (linear) and ≤ 2000. Alternately, in the same iterations, it times
// encoding/json.Valid (a syntax-only check, the floor) on the same bytes,
// so a loaded machine shows in both: it reports scan-ns/KiB, valid-ns/KiB
// and their ratio.
func BenchmarkScan(b *testing.B) {
	v := MustNew(Config{Body: []byte(benchSchema), Limits: Limits{MaxArrayLength: 1 << 20, MaxValues: 1 << 30}})
	for _, body := range scanBodies(b) {
		b.Run(strconv.Itoa(len(body)>>10)+"KiB", func(b *testing.B) {
			s := schemacheck.NewScanner(v.limits, v.body.Keys())
			var scan, valid time.Duration
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				t0 := time.Now()
				if err := s.Scan(body); err != nil {
					b.Fatal(err)
				}
				t1 := time.Now()
				if !json.Valid(body) {
					b.Fatal("invalid")
				}
				scan += t1.Sub(t0)
				valid += time.Since(t1)
			}
			kib := float64(b.N) * float64(len(body)) / 1024
			b.ReportMetric(float64(scan.Nanoseconds())/kib, "scan-ns/KiB")
			b.ReportMetric(float64(valid.Nanoseconds())/kib, "valid-ns/KiB")
			b.ReportMetric(float64(scan)/float64(valid), "scan/valid")
		})
	}
}

// BenchmarkWorstNumbers is the costliest body the default limits accept
// for a numeric schema: an array of 9,999 numbers, each checked against
// minimum and multipleOf, which the schema library does with exact
// rationals. MaxValues is what bounds this cost; it is reported so the
// bound is a figure, not a hope.
func BenchmarkWorstNumbers(b *testing.B) {
	v := MustNew(Config{Body: []byte(`{"type":"array","items":{"type":"number","minimum":0,"multipleOf":0.01}}`)})
	body := []byte("[" + strings.TrimSuffix(strings.Repeat("12345.67,", 9999), ",") + "]")
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.ValidateBody(body); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkHostileCorpus sends every hostile corpus case through the whole
// middleware: none may cost more than a few milliseconds.
func BenchmarkHostileCorpus(b *testing.B) {
	schema, cases := LoadCorpus(b)
	v := MustNew(Config{Body: schema})
	h := v.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	for _, c := range cases {
		b.Run(c.Name, func(b *testing.B) {
			rb := &resettableBody{}
			req, _ := http.NewRequest("POST", "/v1/items", rb)
			req.Header.Set("Content-Type", c.ContentType)
			req.Header.Set("X-Request-ID", "bench-request-0001")
			req.ContentLength = int64(len(c.Body))
			w := &nopWriter{h: http.Header{}}
			b.SetBytes(int64(len(c.Body)))
			b.ReportAllocs()
			for b.Loop() {
				rb.Reset(c.Body)
				clear(w.h)
				h.ServeHTTP(w, req)
			}
		})
	}
}

// BenchmarkBodyLimit is the body limit in front of a route: a request with
// no body (most GETs), a 1 KiB body with Content-Length (passed through,
// bounded), and the same body chunked (read ahead into memory).
func BenchmarkBodyLimit(b *testing.B) {
	body := benchBody(b)
	l, err := NewBodyLimit(BodyLimitConfig{})
	if err != nil {
		b.Fatal(err)
	}
	var n int64
	h := l.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { n = r.ContentLength }))
	w := &nopWriter{h: http.Header{}}
	for _, bc := range []struct {
		name   string
		length int64
	}{{"none", 0}, {"length", int64(len(body))}, {"chunked", -1}} {
		b.Run(bc.name, func(b *testing.B) {
			rb := &resettableBody{}
			req, _ := http.NewRequest("POST", "/v1/items", rb)
			if bc.length == 0 {
				req.Body = http.NoBody
			}
			b.ReportAllocs()
			for b.Loop() {
				rb.Reset(body)
				req.ContentLength = bc.length
				h.ServeHTTP(w, req)
				if bc.length != 0 && n != int64(len(body)) {
					b.Fatalf("handler saw ContentLength %d", n)
				}
			}
		})
	}
}

// benchItem is what a handler reads benchSchema's body into.
type benchItem struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	Price       float64   `json:"price"`
	Quantity    int       `json:"quantity"`
	Active      bool      `json:"active"`
	Email       string    `json:"email"`
	Created     time.Time `json:"created"`
	Tags        []string  `json:"tags"`
	Description string    `json:"description"`
	Dims        *struct {
		W float64 `json:"w"`
		H float64 `json:"h"`
	} `json:"dims"`
}

// BenchmarkTypedBody compares, in alternate iterations under the same
// load, the two ways a handler gets a typed body: today's pattern, the
// middleware then json.Unmarshal of RawBody in the handler (the floor),
// and the middleware with BodyType then Decode. It reports each one's
// ns/op and typed/floor; the benchmark's own ns/op and allocs are the sum.
func BenchmarkTypedBody(b *testing.B) {
	body := benchBody(b)
	newReq := func() (*http.Request, *resettableBody) {
		rb := &resettableBody{}
		req, _ := http.NewRequest("POST", "/v1/items", rb)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Request-ID", "bench-request-0001")
		req.ContentLength = int64(len(body))
		return req, rb
	}
	var item benchItem
	plain := MustNew(Config{Body: []byte(benchSchema)}).Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		item = benchItem{}
		if err := json.Unmarshal(RawBody(r.Context()), &item); err != nil {
			b.Fatal(err)
		}
	}))
	typed := MustNew(Config{Body: []byte(benchSchema), BodyType: reflect.TypeFor[benchItem]()}).Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var err error
		if item, err = Decode[benchItem](r.Context()); err != nil {
			b.Fatal(err)
		}
	}))
	floorReq, floorBody := newReq()
	typedReq, typedBody := newReq()
	w := &nopWriter{h: http.Header{}}
	var floor, ours time.Duration
	b.ReportAllocs()
	for b.Loop() {
		t0 := time.Now()
		floorBody.Reset(body)
		plain.ServeHTTP(w, floorReq)
		t1 := time.Now()
		if item.Quantity != 3 {
			b.Fatal("floor: handler not reached")
		}
		typedBody.Reset(body)
		item = benchItem{}
		typed.ServeHTTP(w, typedReq)
		t2 := time.Now()
		if item.Quantity != 3 || item.Dims == nil {
			b.Fatal("typed: handler not reached")
		}
		floor += t1.Sub(t0)
		ours += t2.Sub(t1)
	}
	b.ReportMetric(float64(floor.Nanoseconds())/float64(b.N), "floor-ns/op")
	b.ReportMetric(float64(ours.Nanoseconds())/float64(b.N), "typed-ns/op")
	b.ReportMetric(float64(ours)/float64(floor), "typed/floor")
}

// BenchmarkBind isolates the halves that differ: json.Unmarshal of the
// 1 KiB body into benchItem (floor), against filling it from the decoded
// tree the schema checked (bind), alternately.
func BenchmarkBind(b *testing.B) {
	body := benchBody(b)
	v := MustNew(Config{Body: []byte(benchSchema)})
	doc, err := v.ValidateBody(body)
	if err != nil {
		b.Fatal(err)
	}
	t := reflect.TypeFor[benchItem]()
	if err := v.body.CheckType(t, checkBodyType); err != nil {
		b.Fatal(err)
	}
	var floor, ours time.Duration
	b.ReportAllocs()
	for b.Loop() {
		t0 := time.Now()
		var a benchItem
		if err := json.Unmarshal(body, &a); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		var c benchItem
		bd := binder{}
		if err := bd.bind(reflect.ValueOf(&c).Elem(), doc); err != nil {
			b.Fatal(err)
		}
		t2 := time.Now()
		floor += t1.Sub(t0)
		ours += t2.Sub(t1)
	}
	b.ReportMetric(float64(floor.Nanoseconds())/float64(b.N), "unmarshal-ns/op")
	b.ReportMetric(float64(ours.Nanoseconds())/float64(b.N), "bind-ns/op")
	b.ReportMetric(float64(ours)/float64(floor), "bind/unmarshal")
}
