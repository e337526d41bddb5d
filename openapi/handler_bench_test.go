package openapi_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/apishield/apishield/openapi"
	"github.com/apishield/apishield/validate"
)

// benchItem is the schema of the benchmark body, as JSON: the same for
// the contract (in the document) and for the floor (validate.Config.Body).
const benchItem = `{"type":"object","additionalProperties":false,"required":["name","lines"],
"properties":{"name":{"type":"string","maxLength":64},"note":{"type":"string","maxLength":512},
"lines":{"type":"array","maxItems":32,"items":{"type":"object","additionalProperties":false,
"required":["sku","qty"],"properties":{"sku":{"type":"string","pattern":"^[A-Z0-9-]+$"},
"qty":{"type":"integer","minimum":1},"price":{"type":"number","minimum":0}}}}}}`

const benchQuery = `{"type":"object","additionalProperties":false,"properties":{"dry":{"type":"boolean"}}}`

var benchDoc = `{"openapi":"3.1.0","info":{"title":"bench","version":"1"},
"paths":{"/orders/{id}":{"post":{"operationId":"addLines","security":[],
"parameters":[{"name":"id","in":"path","required":true,"schema":{"type":"integer","minimum":1}},
{"name":"dry","in":"query","schema":{"type":"boolean"}}],
"requestBody":{"required":true,"content":{"application/json":{"schema":` + benchItem + `}}},
"responses":{"204":{"description":"ok"}}}}}}`

// benchBody returns a body of about 1 KiB that matches benchItem.
func benchBody() []byte {
	var b strings.Builder
	b.WriteString(`{"name":"weekly restock","note":"deliver to the back door","lines":[`)
	for i := 0; b.Len() < 980; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"sku":"SKU-%04d","qty":%d,"price":%d.25}`, i, i+1, i*3)
	}
	b.WriteString(`]}`)
	return []byte(b.String())
}

// BenchmarkHandler is a POST with a path and a query parameter and a 1 KiB
// JSON body through Contract.Handler, beside the floor: the same body and
// query through validate.Validator.Handler with the same schema, compiled
// from JSON. Each middleware installs its own request record, as the first
// apishield middleware of a stack does. "contract" and "floor" report
// each one's time and allocations; "interleaved" runs both in every
// iteration, timing each, so that both see the same machine load, and
// reports their ratio.
func BenchmarkHandler(b *testing.B) {
	body := benchBody()
	c, err := openapi.Parse([]byte(benchDoc), openapi.Config{})
	if err != nil {
		b.Fatal(err)
	}
	v, err := validate.New(validate.Config{Body: []byte(benchItem), Query: []byte(benchQuery)})
	if err != nil {
		b.Fatal(err)
	}
	var seen bool
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, seen = validate.Body(r.Context())
	})
	contract, floor := c.Handler(app), v.Handler(app)
	rd := &bytes.Reader{}
	r := httptest.NewRequest("POST", "/orders/42?dry=true", io.NopCloser(rd))
	r.Header.Set("Content-Type", "application/json")
	r.ContentLength = int64(len(body))
	w := &nopWriter{h: http.Header{}}
	serve := func(b *testing.B, h http.Handler) {
		rd.Reset(body)
		seen = false
		h.ServeHTTP(w, r)
		if !seen {
			b.Fatal("handler not reached")
		}
	}
	b.Run("contract", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			serve(b, contract)
		}
	})
	b.Run("floor", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			serve(b, floor)
		}
	})
	b.Run("interleaved", func(b *testing.B) {
		b.ReportAllocs()
		var tf, tc time.Duration
		for b.Loop() {
			t0 := time.Now()
			serve(b, floor)
			t1 := time.Now()
			serve(b, contract)
			t2 := time.Now()
			tf += t1.Sub(t0)
			tc += t2.Sub(t1)
		}
		b.ReportMetric(float64(tf.Nanoseconds())/float64(b.N), "floor-ns/op")
		b.ReportMetric(float64(tc.Nanoseconds())/float64(b.N), "contract-ns/op")
		b.ReportMetric(float64(tc)/float64(tf), "ratio")
	})
}

// nopWriter is a ResponseWriter that keeps nothing but its header.
type nopWriter struct{ h http.Header }

func (w *nopWriter) Header() http.Header         { return w.h }
func (w *nopWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *nopWriter) WriteHeader(int)             {}
