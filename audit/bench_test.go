package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
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

// realisticEntry fills e as a full stack fills it for one request:
// errors.Recover, audit, ratelimit by IP, auth (JWT), ratelimit by subject,
// authz and validate recorded their decisions; the route, the principal, the
// rate limit, the client IP and the client's own request ID are known. With
// unprocessable set it is the same request refused by validate with a 422
// and two field errors.
func realisticEntry(e *entry, unprocessable bool) {
	e.end = time.Date(2026, 3, 1, 12, 0, 0, 250_000_000, time.UTC)
	e.start = e.end.Add(-1840 * time.Microsecond)
	e.id, e.clientID = "01JN2Q7ZK3X8V5RB4MTF6YHCWD", "checkout-7f3a9c"
	e.method, e.path, e.rawQuery = "GET", "/v1/items/42", "limit=10&cursor=abc"
	e.route, e.routeNeedsMethod = "/v1/items/{id}", true
	e.userAgent = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"
	e.clientIP = netip.MustParseAddr("203.0.113.7")
	e.bytesIn, e.bytesOut, e.status = 0, 412, http.StatusOK
	e.snap.Principal = record.Principal{Subject: "user_2NNEqL4pGb7rT1", Issuer: "https://idp.example.com/", ClientID: "web-app", Method: "jwt"}
	e.snap.Decisions = append(e.snap.Decisions,
		record.Decision{Package: "ratelimit", Outcome: record.Allow, Reason: "per-ip", Rule: "edge"},
		record.Decision{Package: "auth", Outcome: record.Allow, Reason: "jwt", Rule: "bearer"},
		record.Decision{Package: "ratelimit", Outcome: record.Allow, Reason: "per-subject", Rule: "users"},
		record.Decision{Package: "authz", Outcome: record.Allow, Reason: "AllScopes(items:read items:write)", Rule: "check"})
	e.snap.HasRateLimit = true
	e.snap.RateLimit = record.RateLimit{Policy: "per-subject", Key: "subject", Limit: 100, Remaining: 97, Allowed: true}
	if !unprocessable {
		e.snap.Decisions = append(e.snap.Decisions, record.Decision{Package: "validate", Outcome: record.Allow})
		return
	}
	e.method, e.rawQuery, e.bytesIn = "POST", "", 96
	e.path, e.route = "/v1/items", "/v1/items"
	e.status, e.bytesOut = http.StatusUnprocessableEntity, 301
	e.snap.Problem = record.Problem{Status: http.StatusUnprocessableEntity, Reason: "validation_failed"}
	e.snap.Decisions = append(e.snap.Decisions, record.Decision{Package: "validate", Outcome: record.Deny, Reason: "validation_failed", Rule: "body"})
	e.fieldErrors = append(e.fieldErrors,
		record.FieldError{In: "body", Pointer: "/price", Keyword: "minimum", Detail: "must be >= 0 but found -5"},
		record.FieldError{In: "body", Pointer: "/name", Keyword: "maxLength", Detail: "length must be <= 64, but got 80"})
}

// BenchmarkWriter is the writer's cost per event, off the request path:
// classify, sanitize, build the schema's fields, (seal the chain,) encode
// JSON, for the event a full stack fills (realisticEntry); /ecs-new-user-agent
// with a user agent the writer has not seen lately. /floor is
// encoding/json marshalling a struct with the same fields, measured in the
// same run: the cost of producing such a line at all.
func BenchmarkWriter(b *testing.B) {
	// Browsers' user agents, each seen once per 1024 events: more than
	// the writer remembers (cleanUserAgent), so each costs a full clean.
	var uas []string
	for i := range 1024 {
		uas = append(uas, fmt.Sprintf("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.%d.%d Safari/537.36", i/32, i%32))
	}
	for _, bc := range []struct {
		name  string
		key   []byte
		s     Schema
		unpro bool
		newUA bool
	}{
		{"ecs", nil, ECS, false, false}, {"ocsf", nil, OCSF, false, false}, {"ecs-chain", make32(), ECS, false, false},
		{"ecs-422", nil, ECS, true, false}, {"ocsf-422", nil, OCSF, true, false},
		{"ecs-new-user-agent", nil, ECS, false, true},
	} {
		b.Run(bc.name, func(b *testing.B) {
			a, err := New(Config{Handlers: []slog.Handler{NewJSONHandler(io.Discard, nil)}, ChainKey: bc.key, Schema: bc.s})
			if err != nil {
				b.Fatal(err)
			}
			defer a.Close(context.Background())
			a.wmu.Lock()
			defer a.wmu.Unlock()
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				e := getEntry()
				realisticEntry(e, bc.unpro)
				if bc.newUA {
					e.userAgent = uas[i%len(uas)]
					i++
				}
				classify(e)
				a.w.write(e)
			}
		})
	}
	// interleaved writes the ECS event and marshals the floor in turn,
	// each timed, so that both see the same machine: on a shared one the
	// ratio is the figure to compare.
	b.Run("interleaved", func(b *testing.B) {
		a, err := New(Config{Handlers: []slog.Handler{NewJSONHandler(io.Discard, nil)}})
		if err != nil {
			b.Fatal(err)
		}
		defer a.Close(context.Background())
		a.wmu.Lock()
		defer a.wmu.Unlock()
		ev := floorEvent()
		var writer, floor time.Duration
		b.ReportAllocs()
		for b.Loop() {
			t0 := time.Now()
			e := getEntry()
			realisticEntry(e, false)
			classify(e)
			a.w.write(e)
			t1 := time.Now()
			line, err := json.Marshal(&ev)
			if err != nil {
				b.Fatal(err)
			}
			io.Discard.Write(line)
			writer, floor = writer+t1.Sub(t0), floor+time.Since(t1)
		}
		b.ReportMetric(float64(writer.Nanoseconds())/float64(b.N), "writer-ns")
		b.ReportMetric(float64(floor.Nanoseconds())/float64(b.N), "floor-ns")
		b.ReportMetric(float64(writer)/float64(floor), "writer/floor")
	})
	b.Run("floor", func(b *testing.B) {
		ev := floorEvent()
		b.ReportAllocs()
		for b.Loop() {
			line, err := json.Marshal(&ev)
			if err != nil {
				b.Fatal(err)
			}
			io.Discard.Write(line)
		}
	})
}

// floorECS is the ECS line of realisticEntry as a plain struct: what
// encoding/json costs for the same fields without any sanitizing.
type floorECS struct {
	Timestamp string `json:"@timestamp"`
	Level     string `json:"log.level"`
	Message   string `json:"message"`
	ECS       struct {
		Version string `json:"version"`
	} `json:"ecs"`
	Event struct {
		Kind, Action, Outcome, Dataset, Start string
		Category, Type                        []string
		Duration                              int64
	} `json:"event"`
	HTTP struct {
		Request struct {
			Method, ID string
			Body       struct{ Bytes int64 }
		}
		Response struct {
			StatusCode int `json:"status_code"`
			Body       struct{ Bytes int64 }
		}
	} `json:"http"`
	URL       struct{ Path, Query string } `json:"url"`
	Source    struct{ IP string }          `json:"source"`
	UserAgent struct{ Original string }    `json:"user_agent"`
	User      struct{ ID string }          `json:"user"`
	Apishield struct {
		Route           string `json:"route"`
		ClientRequestID string `json:"client_request_id"`
		Principal       struct{ Subject, Issuer, ClientID, Method string }
		Decisions       []decisionJSON `json:"decisions"`
		RateLimit       struct {
			Policy, Key      string
			Limit, Remaining int
			RetryAfterMS     int64
			Allowed, Shadow  bool
		} `json:"rate_limit"`
	} `json:"apishield"`
}

func floorEvent() floorECS {
	e := getEntry()
	defer putEntry(e)
	realisticEntry(e, false)
	var f floorECS
	f.Timestamp, f.Level, f.Message = e.end.Format(time.RFC3339Nano), "info", ActionRequest
	f.ECS.Version = ECSVersion
	f.Event.Kind, f.Event.Action, f.Event.Outcome, f.Event.Dataset = "event", ActionRequest, "success", "apishield.audit"
	f.Event.Start, f.Event.Duration = e.start.Format(time.RFC3339Nano), int64(e.end.Sub(e.start))
	f.Event.Category, f.Event.Type = []string{"api", "web"}, []string{"access", "allowed"}
	f.HTTP.Request.Method, f.HTTP.Request.ID = e.method, e.id
	f.HTTP.Response.StatusCode, f.HTTP.Response.Body.Bytes = e.status, e.bytesOut
	f.URL.Path, f.URL.Query = e.path, e.rawQuery
	f.Source.IP, f.UserAgent.Original, f.User.ID = e.clientIP.String(), e.userAgent, e.snap.Principal.Subject
	f.Apishield.Route, f.Apishield.ClientRequestID = e.method+" "+e.route, e.clientID
	p := e.snap.Principal
	f.Apishield.Principal.Subject, f.Apishield.Principal.Issuer, f.Apishield.Principal.ClientID, f.Apishield.Principal.Method = p.Subject, p.Issuer, p.ClientID, p.Method
	for _, d := range e.snap.Decisions {
		f.Apishield.Decisions = append(f.Apishield.Decisions, decisionJSON{d.Package, string(d.Outcome), d.Reason, d.Rule})
	}
	rl := e.snap.RateLimit
	f.Apishield.RateLimit.Policy, f.Apishield.RateLimit.Key = rl.Policy, rl.Key
	f.Apishield.RateLimit.Limit, f.Apishield.RateLimit.Remaining, f.Apishield.RateLimit.Allowed = rl.Limit, rl.Remaining, rl.Allowed
	return f
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
