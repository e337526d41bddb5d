package headers

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/apishield/apishield/internal/record"
)

// discard is a ResponseWriter whose header map is reused, so the benchmark
// measures the middleware, not the writer.
type discard struct{ h http.Header }

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) Write(p []byte) (int, error) { return len(p), nil }
func (d *discard) WriteHeader(int)             {}

// written is the empty handler: it only writes the header, so the
// write-time part of the middleware runs.
var written = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) })

// run serves r with h in a loop. The request record is installed once,
// as errors.Recover or audit does in a full stack, and reset between
// requests, so the figures are the middleware's own; the floor does the
// same.
func run(b *testing.B, h http.Handler, r *http.Request) {
	b.Helper()
	// As net/http's: no size hint, so a small map until it holds 9 headers.
	d := &discard{h: make(http.Header)}
	w, r, rec := record.Install(d, r)
	id := d.h["X-Request-Id"]
	b.ReportAllocs()
	for b.Loop() {
		clear(d.h)
		d.h["X-Request-Id"] = id // as record.Install sets it on every request
		record.ResetResponse(rec)
		record.ResetDecisions(rec)
		h.ServeHTTP(w, r)
	}
}

// benchRequest is a GET with the headers a typical client sends.
func benchRequest() *http.Request {
	r := httptest.NewRequest("GET", "/v1/items", nil)
	r.Header.Set("Accept", "application/json")
	r.Header.Set("Accept-Encoding", "gzip, deflate, br")
	r.Header.Set("User-Agent", "client/1.0")
	return r
}

// BenchmarkFloor is the empty handler behind the record, without headers.
func BenchmarkFloor(b *testing.B) {
	b.Run("empty", func(b *testing.B) {
		run(b, written, benchRequest())
	})
	// profile_inserts is what any header middleware must do: put the
	// profile's five headers in the map. The gap between it and
	// BenchmarkHeaders/anonymous is this package's own logic.
	b.Run("profile_inserts", func(b *testing.B) {
		v := []string{"x"}
		run(b, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h := w.Header()
			h["X-Content-Type-Options"] = v
			h["Content-Security-Policy"] = v
			h["Referrer-Policy"] = v
			h["Cross-Origin-Resource-Policy"] = v
			h["X-Frame-Options"] = v
			w.WriteHeader(http.StatusOK)
		}), benchRequest())
	})
	b.Run("route_recorded", func(b *testing.B) {
		run(b, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			record.From(r.Context()).SetRoute("GET /v1/items")
			w.WriteHeader(http.StatusOK)
		}), benchRequest())
	})
}

func BenchmarkHeaders(b *testing.B) {
	m := MustNew(Config{})
	b.Run("anonymous", func(b *testing.B) {
		run(b, m.Handler(written), benchRequest())
	})
	b.Run("authenticated", func(b *testing.B) {
		r := benchRequest()
		r.Header.Set("Authorization", "Bearer x")
		run(b, m.Handler(written), r)
	})
	b.Run("route_override", func(b *testing.B) {
		m := MustNew(Config{Routes: map[string]Policy{"GET /v1/items": {CacheControl: "private"}}})
		// The route is recorded as route.Mux would, before headers runs.
		setRoute := func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				record.From(r.Context()).SetRoute("GET /v1/items")
				next.ServeHTTP(w, r)
			})
		}
		r := benchRequest()
		r.Header.Set("Authorization", "Bearer x")
		run(b, setRoute(m.Handler(written)), r)
	})
}

func BenchmarkHosts(b *testing.B) {
	hs := testHosts(b)
	b.Run("handler", func(b *testing.B) {
		r := benchRequest()
		r.Host = "EU.tenants.example.com:443"
		run(b, hs.Handler(written), r)
	})
	b.Run("allowed", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if !hs.Allowed("api.example.com") {
				b.Fatal("refused")
			}
		}
	})
}

// BenchmarkOverhead serves the floor and the middleware alternately in one
// loop and times each request, so both see the same machine load (separate
// benchmarks drift apart on a shared machine); overhead-ns/req is the
// middleware's cost over the empty handler. The record is installed once
// per stack and reset, as in run.
func BenchmarkOverhead(b *testing.B) {
	for _, bc := range []struct {
		name string
		m    *Middleware
		auth bool
	}{
		{"headers_anonymous", MustNew(Config{}), false},
		{"headers_authenticated", MustNew(Config{}), true},
	} {
		b.Run(bc.name, func(b *testing.B) {
			req := benchRequest()
			if bc.auth {
				req.Header.Set("Authorization", "Bearer x")
			}
			overhead(b, written, bc.m.Handler(written), req)
		})
	}
	b.Run("hosts", func(b *testing.B) {
		req := benchRequest()
		req.Host = "EU.tenants.example.com:443"
		overhead(b, written, testHosts(b).Handler(written), req)
	})
	// floor_map_work is the map work the headers rows cannot shed, done
	// inline with no logic around it: the profile's five inserts before
	// the handler, the credential-header lookups in the request
	// (Config.CredentialHeaders' defaults: all three miss on an anonymous
	// request, Authorization hits first on an authenticated one), and,
	// when the header is written, the deletes of Server and X-Powered-By
	// and, if authenticated, the Cache-Control lookup and insert. What a
	// headers row costs beyond its floor is the write-time hook: its call
	// and the record's lock around setting it, reading the principal
	// (anonymous only) and clearing it.
	for _, fc := range []struct {
		name string
		auth bool
	}{{"floor_map_work", false}, {"floor_map_work_authenticated", true}} {
		b.Run(fc.name, func(b *testing.B) {
			m := MustNew(Config{})
			req := benchRequest()
			if fc.auth {
				req.Header.Set("Authorization", "Bearer x")
			}
			overhead(b, written, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				h := w.Header()
				for _, f := range m.base.set {
					h[f.name] = f.value
				}
				cred := len(r.Header["Authorization"]) > 0 || len(r.Header["Cookie"]) > 0 ||
					len(r.Header["X-Api-Key"]) > 0
				delete(h, "Server")
				delete(h, "X-Powered-By")
				if cred != fc.auth {
					b.Fatal("credential lookup disagrees with the request")
				}
				if cred && len(h["Cache-Control"]) == 0 {
					h["Cache-Control"] = m.base.cacheControl
				}
				w.WriteHeader(http.StatusOK)
			}), req)
		})
	}
}

func overhead(b *testing.B, floor, h http.Handler, req *http.Request) {
	b.Helper()
	type stack struct {
		d   *discard
		w   http.ResponseWriter
		r   *http.Request
		rec *record.Record
		id  []string
		h   http.Handler
	}
	mk := func(h http.Handler) *stack {
		s := &stack{d: &discard{h: make(http.Header)}, h: h}
		s.w, s.r, s.rec = record.Install(s.d, req)
		s.id = s.d.h["X-Request-Id"]
		return s
	}
	serve := func(s *stack) time.Duration {
		clear(s.d.h)
		s.d.h["X-Request-Id"] = s.id
		record.ResetResponse(s.rec)
		record.ResetDecisions(s.rec)
		t0 := time.Now()
		s.h.ServeHTTP(s.w, s.r)
		return time.Since(t0)
	}
	f, m := mk(floor), mk(h)
	var tFloor, tMw time.Duration
	b.ReportAllocs()
	for b.Loop() {
		tFloor += serve(f)
		tMw += serve(m)
	}
	n := float64(b.N)
	b.ReportMetric(float64(tFloor.Nanoseconds())/n, "floor-ns/req")
	b.ReportMetric(float64(tMw.Nanoseconds())/n, "mw-ns/req")
	b.ReportMetric(float64((tMw-tFloor).Nanoseconds())/n, "overhead-ns/req")
}
