package audit

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/apishield/apishield/internal/record"
)

// discardWriter is a ResponseWriter that costs nothing, so the benchmarks
// measure the middleware and not httptest.ResponseRecorder.
type discardWriter struct{ h http.Header }

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *discardWriter) WriteHeader(int)             {}

// outer stands in for errors.Recover: it installs the record, as the
// outermost apishield middleware does in every real stack.
func outer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w, r, _ = record.Install(w, r)
		next.ServeHTTP(w, r)
	})
}

// app is a handler the way auth and authz leave a request: a principal and
// two decisions in the record, a small JSON body.
var app = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	rec := record.From(r.Context())
	rec.SetPrincipal(record.Principal{Subject: "alice", Issuer: "https://idp.example", Method: "jwt"})
	rec.AddDecision(record.Decision{Package: "auth", Outcome: record.Allow, Rule: "jwt"})
	rec.AddDecision(record.Decision{Package: "authz", Outcome: record.Allow, Rule: "scope"})
	w.WriteHeader(http.StatusOK)
	w.Write([]byte(`{"ok":true}`))
})

func runStack(b *testing.B, h http.Handler) {
	b.Helper()
	req := httptest.NewRequest("GET", "/v1/items/42?limit=10", nil)
	req.Header.Set("User-Agent", "bench/1.0")
	req.Header.Set("X-Request-ID", "bench-1")
	w := &discardWriter{h: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		clear(w.h)
		h.ServeHTTP(w, req)
	}
}

// BenchmarkStack/floor is the stack without audit; /audit-async adds the
// auditor with the default async writer. The difference is the request
// path's overhead: a pooled entry filled from the record and one channel
// send. Encoding happens on the writer goroutine, which competes for the
// same CPUs; events it cannot keep up with are dropped and reported as
// drops/op.
func BenchmarkStack(b *testing.B) {
	b.Run("floor", func(b *testing.B) {
		runStack(b, outer(app))
	})
	b.Run("audit-async", func(b *testing.B) {
		a, err := New(Config{Handlers: []slog.Handler{NewJSONHandler(io.Discard, nil)}})
		if err != nil {
			b.Fatal(err)
		}
		runStack(b, outer(a.Handler(app)))
		b.StopTimer()
		a.Close(context.Background())
		b.ReportMetric(float64(a.Stats().Dropped)/float64(b.N), "drops/op")
	})
	b.Run("audit-async-request-path-only", func(b *testing.B) {
		// A sink that wants no level: the writer drains the queue without
		// encoding, so what remains is the request path alone (allocation
		// counts are process-wide and would otherwise include the writer).
		a, err := New(Config{Handlers: []slog.Handler{slog.DiscardHandler}})
		if err != nil {
			b.Fatal(err)
		}
		runStack(b, outer(a.Handler(app)))
		b.StopTimer()
		a.Close(context.Background())
		b.ReportMetric(float64(a.Stats().Dropped)/float64(b.N), "drops/op")
	})
	b.Run("audit-async-chain", func(b *testing.B) {
		a, err := New(Config{Handlers: []slog.Handler{NewJSONHandler(io.Discard, nil)}, ChainKey: make32()})
		if err != nil {
			b.Fatal(err)
		}
		runStack(b, outer(a.Handler(app)))
		b.StopTimer()
		a.Close(context.Background())
		b.ReportMetric(float64(a.Stats().Dropped)/float64(b.N), "drops/op")
	})
}

// BenchmarkWriter is the writer's cost per event, off the request path:
// classify, sanitize, build the ECS attributes, (seal the chain,) encode
// JSON.
func BenchmarkWriter(b *testing.B) {
	for _, bc := range []struct {
		name string
		key  []byte
		s    Schema
	}{{"ecs", nil, ECS}, {"ocsf", nil, OCSF}, {"ecs-chain", make32(), ECS}} {
		b.Run(bc.name, func(b *testing.B) {
			a, err := New(Config{Handlers: []slog.Handler{NewJSONHandler(io.Discard, nil)}, ChainKey: bc.key, Schema: bc.s})
			if err != nil {
				b.Fatal(err)
			}
			defer a.Close(context.Background())
			a.wmu.Lock()
			defer a.wmu.Unlock()
			b.ReportAllocs()
			for b.Loop() {
				e := getEntry()
				e.method, e.path, e.rawQuery, e.userAgent, e.id = "GET", "/v1/items/42", "limit=10", "bench/1.0", "bench-1"
				e.status, e.bytesOut = 200, 11
				e.snap.Principal = record.Principal{Subject: "alice", Method: "jwt"}
				e.snap.Decisions = append(e.snap.Decisions, record.Decision{Package: "auth", Outcome: record.Allow})
				classify(e)
				a.w.write(e)
			}
		})
	}
}

// BenchmarkOverhead serves the floor stack and the audited stack
// alternately in one loop and times each request, so both see the same
// machine load (the figures of separate sub-benchmarks drift apart on a
// shared machine). It reports ns per request for each and their
// difference, the request path's overhead. The sink wants no level, so the
// writer encodes nothing and competes for no CPU: what is timed is the
// request path alone.
func BenchmarkOverhead(b *testing.B) {
	a, err := New(Config{Handlers: []slog.Handler{slog.DiscardHandler}})
	if err != nil {
		b.Fatal(err)
	}
	defer a.Close(context.Background())
	floor, audited := outer(app), outer(a.Handler(app))
	req := httptest.NewRequest("GET", "/v1/items/42?limit=10", nil)
	req.Header.Set("User-Agent", "bench/1.0")
	req.Header.Set("X-Request-ID", "bench-1")
	w := &discardWriter{h: http.Header{}}
	var tFloor, tAudit time.Duration
	b.ReportAllocs()
	for b.Loop() {
		clear(w.h)
		t0 := time.Now()
		floor.ServeHTTP(w, req)
		t1 := time.Now()
		clear(w.h)
		audited.ServeHTTP(w, req)
		t2 := time.Now()
		tFloor += t1.Sub(t0)
		tAudit += t2.Sub(t1)
	}
	n := float64(b.N)
	b.ReportMetric(float64(tFloor.Nanoseconds())/n, "floor-ns/req")
	b.ReportMetric(float64(tAudit.Nanoseconds())/n, "audit-ns/req")
	b.ReportMetric(float64((tAudit-tFloor).Nanoseconds())/n, "overhead-ns/req")
}

// BenchmarkFinish is the auditor's own work when a request completes, alone:
// read the record, fill a pooled entry, classify, count, queue. The record
// and request are reused, so memory is warm; BenchmarkOverhead shows the
// cost in a real stack.
func BenchmarkFinish(b *testing.B) {
	a, err := New(Config{Handlers: []slog.Handler{slog.DiscardHandler}})
	if err != nil {
		b.Fatal(err)
	}
	defer a.Close(context.Background())
	req := httptest.NewRequest("GET", "/v1/items/42?limit=10", nil)
	req.Header.Set("User-Agent", "bench/1.0")
	_, req, rec := record.Install(&discardWriter{h: http.Header{}}, req)
	rec.SetPrincipal(record.Principal{Subject: "alice", Method: "jwt"})
	rec.AddDecision(record.Decision{Package: "auth", Outcome: record.Allow})
	rec.AddDecision(record.Decision{Package: "authz", Outcome: record.Allow})
	b.ReportAllocs()
	for b.Loop() {
		a.finish(req, rec, nil, false)
	}
}

// BenchmarkMask is the masking of one value: ordinary values, which most
// are, and 64 KiB values built to make masking slow (a prefix repeated,
// so that every occurrence starts a candidate token). The adversarial
// cases must stay linear: their cost per byte stays within a small factor
// of 64 KiB of ordinary text's (it was quadratic: seconds per value).
func BenchmarkMask(b *testing.B) {
	a, err := New(Config{Handlers: []slog.Handler{slog.DiscardHandler}, SecretPrefixes: []string{"ak_live_"}, MaxValueBytes: 1 << 20})
	if err != nil {
		b.Fatal(err)
	}
	defer a.Close(context.Background())
	for _, bc := range []struct{ name, in string }{
		{"path", "/v1/items/0190b6f6-7a3e-7c4e-9a1b-4f2b8c1d2e3f/children"},
		{"user-agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"},
		{"message-with-token", "rotated key xoxb-123456789012-abcdefghij for the bot"},
		{"64KiB-slack-prefixes", strings.Repeat("xoxb-", 64<<10/5)},
		{"64KiB-pem-headers", strings.Repeat("-----BEGIN PRIVATE KEY----------END-----", 64<<10/40)},
		{"64KiB-configured-prefixes", strings.Repeat("ak_live_1 ", 64<<10/10)},
		{"64KiB-text", strings.Repeat("lorem ipsum dolor sit amet ", 64<<10/27)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(bc.in)))
			b.ReportAllocs()
			for b.Loop() {
				a.clean(bc.in, 0)
			}
		})
	}
}
