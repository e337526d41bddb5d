package limits_test

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/apishield/apishield/internal/record"
	"github.com/apishield/apishield/limits"
)

// nopWriter is a ResponseWriter that keeps nothing.
type nopWriter struct{ h http.Header }

func (w *nopWriter) Header() http.Header         { return w.h }
func (w *nopWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *nopWriter) WriteHeader(int)             {}

// BenchmarkGuard is the allow path of a Guard with per-route rules, beside
// the floor: the same request, with the request record installed by an
// outer middleware as in a full stack, reaching an empty handler. The
// request carries the header fields a browser or API client sends: a
// GET with no body, and a POST with a small JSON body and Content-Length.
func BenchmarkGuard(b *testing.B) {
	g, err := limits.New(limits.Config{
		Default: limits.Rules{ContentTypes: []string{"application/json"}},
		Routes: map[string]limits.Rules{
			"POST /v1/upload":      {MaxBodyBytes: 8 << 20, ContentTypes: []string{"application/octet-stream"}},
			"/v1/items/{id}":       {Methods: []string{"GET", "PUT", "DELETE"}},
			"GET /v1/search":       {BodyOnAnyMethod: true},
			"POST /v1/items":       {MaxBodyBytes: 64 << 10},
			"PATCH /v1/items/{id}": {ContentTypes: []string{"application/merge-patch+json"}},
		},
	})
	if err != nil {
		b.Fatal(err)
	}
	empty := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})
	guarded := g.Handler(empty)
	header := http.Header{
		"Accept":          {"application/json"},
		"Accept-Encoding": {"gzip, deflate, br"},
		"Accept-Language": {"en-GB,en;q=0.9"},
		"Authorization":   {"Bearer " + strings.Repeat("x", 900)},
		"User-Agent":      {"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"},
		"Traceparent":     {"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"},
		"X-Forwarded-For": {"203.0.113.7"},
		"Connection":      {"keep-alive"},
	}
	// A service-to-service client sends few fields.
	few := http.Header{"Accept": header["Accept"], "Authorization": header["Authorization"]}
	body := `{"name":"widget","price":9.99,"tags":["a","b"]}`
	for _, bc := range []struct {
		name, method, target, pattern, body string
		header                              http.Header
		inProcess                           bool
	}{
		{"GET", "GET", "/v1/items/42?fields=name,price&expand=owner", "GET /v1/items/{id}", "", header, false},
		{"POST-length", "POST", "/v1/items", "POST /v1/items", body, header, false},
		{"GET-few-fields", "GET", "/v1/items/42", "GET /v1/items/{id}", "", few, false},
		// Not from net/http's server: the body is capped in place.
		{"POST-length-in-process", "POST", "/v1/items", "POST /v1/items", body, header, true},
	} {
		// As a server hands it on: net/http's own server stops a body at
		// its Content-Length, so the Guard need not wrap it.
		ctx := context.WithValue(context.Background(), http.ServerContextKey, &http.Server{})
		if bc.inProcess {
			ctx = context.Background()
		}
		req, _ := http.NewRequestWithContext(ctx, bc.method, bc.target, nil)
		req.Header = bc.header.Clone()
		var body io.ReadCloser = http.NoBody
		if bc.body != "" {
			req.Header.Set("Content-Type", "application/json")
			body = io.NopCloser(strings.NewReader(bc.body)) // never read by the empty handler
			req.ContentLength = int64(len(bc.body))
		}
		w, req, rec := record.Install(&nopWriter{h: http.Header{}}, req)
		for _, h := range []struct {
			name string
			h    http.Handler
		}{{"floor", empty}, {"guard", guarded}} {
			b.Run(bc.name+"/"+h.name, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					record.ResetDecisions(rec)
					rec.SetRoute(bc.pattern)
					req.Body = body // the Guard caps it in place
					h.h.ServeHTTP(w, req)
				}
			})
		}
	}
}

// sink keeps the floor's sums alive.
var sink int

// BenchmarkHeaderWalk is the floor under the header limits: ranging over
// the request's header map and summing each field's length, the least any
// bound on the number and size of header fields must do. Go's map leaves
// its one-group layout past eight entries, so nine fields cost more per
// field than eight.
func BenchmarkHeaderWalk(b *testing.B) {
	for _, n := range []int{2, 8, 9} {
		h := http.Header{}
		for i := range n {
			h["X-Field-"+strconv.Itoa(i)] = []string{strings.Repeat("v", 40)}
		}
		b.Run(strconv.Itoa(n)+"-fields", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				total := 0
				for k, vs := range h {
					total += len(k)
					for _, v := range vs {
						total += len(v)
					}
				}
				sink = total
			}
		})
	}
}
