package limits_test

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	apierrors "github.com/apishield/apishield/errors"
	"github.com/apishield/apishield/internal/record"
	"github.com/apishield/apishield/limits"
	"github.com/apishield/apishield/route"
)

type problemBody struct {
	Status int    `json:"status"`
	Reason string `json:"reason"`
	Detail string `json:"detail"`
}

// countingReader counts the bytes read from r.
type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// zeros is an endless body.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// failingReader fails every read, as a broken connection does.
type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("connection reset") }

// req describes one request of a table test.
type req struct {
	method string
	target string
	header http.Header
	body   io.Reader // nil: none
	length int64     // Content-Length when body is set; -1 for unknown (chunked)
}

func (q req) build() (*http.Request, *countingReader) {
	method := q.method
	if method == "" {
		method = "GET"
	}
	target := q.target
	if target == "" {
		target = "/v1/items"
	}
	r := httptest.NewRequest(method, target, nil)
	for k, vs := range q.header {
		r.Header[k] = vs
	}
	var src *countingReader
	if q.body != nil {
		src = &countingReader{r: q.body}
		r.Body = io.NopCloser(src)
		r.ContentLength = q.length
	}
	return r, src
}

// want is the outcome of a table case: 200 and what the handler read, or a
// problem's status and reason.
type want struct {
	status int
	reason string
	body   string // on 200: what the handler reads
	allow  string // on 405: the Allow header
	read   bool   // on 413: the handler may have read the body
}

// echo reads the body and answers 200, or writes the read error as a
// problem (a streamed body over its limit becomes a 413).
var echo = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		apierrors.Write(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/plain")
	w.Write(b)
})

// run sends q to h and checks the outcome against w.
func run(t *testing.T, h http.Handler, q req, w want) {
	t.Helper()
	r, src := q.build()
	rr := httptest.NewRecorder()
	h.ServeHTTP(rr, r)
	if rr.Code != w.status {
		t.Fatalf("status %d, want %d; %.200s", rr.Code, w.status, rr.Body)
	}
	if w.status == 200 {
		if got := rr.Body.String(); got != w.body {
			t.Errorf("handler read %.40q (%d bytes), want %.40q (%d bytes)", got, len(got), w.body, len(w.body))
		}
		return
	}
	if src != nil && q.length >= 0 && w.status == 413 && !w.read && src.n.Load() > 0 {
		t.Errorf("read %d bytes of a body whose Content-Length is over the limit, want 0", src.n.Load())
	}
	if w.allow != "" && rr.Header().Get("Allow") != w.allow {
		t.Errorf("Allow %q, want %q", rr.Header().Get("Allow"), w.allow)
	}
	if q.method == "HEAD" {
		return // a HEAD response has no body to hold the problem
	}
	var p problemBody
	if err := json.Unmarshal(rr.Body.Bytes(), &p); err != nil {
		t.Fatalf("problem %q: %v", rr.Body, err)
	}
	if p.Reason != w.reason || p.Status != w.status || rr.Header().Get("Content-Type") != "application/problem+json" {
		t.Errorf("reason %q status %d Content-Type %q; want a %d %s problem", p.Reason, p.Status, rr.Header().Get("Content-Type"), w.status, w.reason)
	}
}

func headers(n int, size int) http.Header {
	h := http.Header{}
	for i := range n {
		h["X-Test-"+strconv.Itoa(i)] = []string{strings.Repeat("v", size)}
	}
	return h
}

func params(n int, sep string) string {
	s := make([]string, n)
	for i := range s {
		s[i] = "p" + strconv.Itoa(i) + "=1"
	}
	return strings.Join(s, sep)
}

// TestDefaults: the zero Config bounds every request: methods, path,
// query, header fields, bodies on GET/HEAD/DELETE, and body size.
func TestDefaults(t *testing.T) {
	t.Parallel()
	g, err := limits.New(limits.Config{})
	if err != nil {
		t.Fatal(err)
	}
	h := g.Handler(echo)
	const mib = 1 << 20
	allMethods := "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS"
	tests := []struct {
		name string
		req  req
		want want
	}{
		{"GET", req{}, want{status: 200}},
		{"POST with a length", req{method: "POST", body: strings.NewReader("hello"), length: 5}, want{status: 200, body: "hello"}},
		{"POST chunked", req{method: "POST", body: strings.NewReader("hello"), length: -1}, want{status: 200, body: "hello"}},
		{"POST without Content-Type", req{method: "POST", body: strings.NewReader("x"), length: 1}, want{status: 200, body: "x"}},
		{"OPTIONS", req{method: "OPTIONS"}, want{status: 200}},

		{"TRACE", req{method: "TRACE"}, want{status: 405, reason: "method_not_allowed", allow: allMethods}},
		{"CONNECT", req{method: "CONNECT", target: "/"}, want{status: 405, reason: "method_not_allowed", allow: allMethods}},
		{"PROPFIND", req{method: "PROPFIND"}, want{status: 405, reason: "method_not_allowed", allow: allMethods}},
		{"lower-case get", req{method: "get"}, want{status: 405, reason: "method_not_allowed", allow: allMethods}},

		{"path at the limit", req{target: "/" + strings.Repeat("a", limits.DefaultMaxPathBytes-1)}, want{status: 200}},
		{"path over", req{target: "/" + strings.Repeat("a", limits.DefaultMaxPathBytes)}, want{status: 414, reason: "uri_too_long"}},
		{"escaped path over as received", req{target: "/" + strings.Repeat("%61", limits.DefaultMaxPathBytes/3+1)}, want{status: 414, reason: "uri_too_long"}},
		{"query at the limit", req{target: "/v1/items?q=" + strings.Repeat("a", limits.DefaultMaxQueryBytes-2)}, want{status: 200}},
		{"query over", req{target: "/v1/items?q=" + strings.Repeat("a", limits.DefaultMaxQueryBytes-1)}, want{status: 414, reason: "uri_too_long"}},
		{"100 parameters", req{target: "/v1/items?" + params(100, "&")}, want{status: 200}},
		{"101 parameters", req{target: "/v1/items?" + params(101, "&")}, want{status: 414, reason: "uri_too_long"}},
		{"101 parameters split on ;", req{target: "/v1/items?" + params(101, ";")}, want{status: 414, reason: "uri_too_long"}},
		{"101 repeats of one name", req{target: "/v1/items?" + strings.Repeat("id=1&", 101)}, want{status: 414, reason: "uri_too_long"}},

		{"100 header fields", req{header: headers(100, 1)}, want{status: 200}},
		{"101 header fields", req{header: headers(101, 1)}, want{status: 431, reason: "headers_too_large"}},
		{"101 values of one field", req{header: http.Header{"X-A": make([]string, 101)}}, want{status: 431, reason: "headers_too_large"}},
		{"value at the limit", req{header: headers(1, limits.DefaultMaxHeaderValueBytes)}, want{status: 200}},
		{"value over", req{header: headers(1, limits.DefaultMaxHeaderValueBytes+1)}, want{status: 431, reason: "headers_too_large"}},
		{"fields over in total", req{header: headers(3, 12<<10)}, want{status: 431, reason: "headers_too_large"}},

		{"GET with a body", req{body: strings.NewReader("x"), length: 1}, want{status: 400, reason: "malformed_request"}},
		{"GET chunked", req{body: strings.NewReader("x"), length: -1}, want{status: 400, reason: "malformed_request"}},
		{"GET with Content-Length 0", req{body: strings.NewReader(""), length: 0}, want{status: 200}},
		{"HEAD with a body", req{method: "HEAD", body: strings.NewReader("x"), length: 1}, want{status: 400}},
		{"DELETE with a body", req{method: "DELETE", body: strings.NewReader("x"), length: 1}, want{status: 400, reason: "malformed_request"}},
		{"5 MB GET", req{body: zeros{}, length: 5 * mib}, want{status: 400, reason: "malformed_request"}},

		{"POST at the limit", req{method: "POST", body: strings.NewReader(strings.Repeat("a", mib)), length: mib}, want{status: 200, body: strings.Repeat("a", mib)}},
		{"POST over, with a length", req{method: "POST", body: zeros{}, length: mib + 1}, want{status: 413, reason: "payload_too_large"}},
		{"PUT over, chunked", req{method: "PUT", body: io.LimitReader(zeros{}, mib+1), length: -1}, want{status: 413, reason: "payload_too_large"}},
		{"PATCH endless, chunked", req{method: "PATCH", body: zeros{}, length: -1}, want{status: 413, reason: "payload_too_large"}},
		{"POST unreadable", req{method: "POST", body: failingReader{}, length: -1}, want{status: 400, reason: "malformed_request"}},
		{"POST longer than its length, not from a server", req{method: "POST", body: io.LimitReader(zeros{}, 2*mib), length: 10}, want{status: 413, reason: "payload_too_large", read: true}},

		{"gzip body", req{method: "POST", header: http.Header{"Content-Encoding": {"gzip"}}, body: strings.NewReader("x"), length: 1}, want{status: 415, reason: "unsupported_media_type"}},
		{"gzip after identity", req{method: "POST", header: http.Header{"Content-Encoding": {"identity, gzip"}}, body: strings.NewReader("x"), length: 1}, want{status: 415, reason: "unsupported_media_type"}},
		{"gzip in a second field", req{method: "POST", header: http.Header{"Content-Encoding": {"identity", "gzip"}}, body: strings.NewReader("x"), length: 1}, want{status: 415, reason: "unsupported_media_type"}},
		{"identity body", req{method: "POST", header: http.Header{"Content-Encoding": {"Identity"}}, body: strings.NewReader("x"), length: 1}, want{status: 200, body: "x"}},
		{"gzip without a body", req{header: http.Header{"Content-Encoding": {"gzip"}}}, want{status: 200}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			run(t, h, tc.req, tc.want)
		})
	}
}

// TestRoutes: per-route rules, looked up by the route's pattern before the
// router runs, raise or lower the defaults; a route that states one field
// keeps Default's others; a request no route matches gets Default's.
func TestRoutes(t *testing.T) {
	t.Parallel()
	g, err := limits.New(limits.Config{
		Default: limits.Rules{ContentTypes: []string{"application/json"}},
		Routes: map[string]limits.Rules{
			"POST /v1/upload": {MaxBodyBytes: 8 << 20, ContentTypes: []string{"application/octet-stream"}, ContentEncodings: []string{"gzip"}},
			"POST /v1/stream": {MaxBodyBytes: 100, Stream: true},
			"/v1/tiny":        {MaxBodyBytes: 10, MaxQueryParams: 2, MaxHeaders: 3},
			"GET /v1/search":  {BodyOnAnyMethod: true, MaxQueryBytes: 16 << 10},
			"/v1/things/{id}": {Methods: []string{"GET", "PUT"}},
			"POST /v1/wide":   {MaxHeaderValueBytes: 64 << 10, MaxHeaderBytes: 128 << 10},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	for _, p := range []string{"POST /v1/upload", "POST /v1/stream", "/v1/tiny", "GET /v1/search", "/v1/things/{id}", "POST /v1/wide", "POST /v1/items"} {
		mux.Handle(p, echo)
	}
	h := route.Mux(mux)(g.Handler(mux))
	json := http.Header{"Content-Type": {"application/json"}}
	octets := http.Header{"Content-Type": {"application/octet-stream"}}
	big := strings.Repeat("a", 2<<20)
	tests := []struct {
		name string
		req  req
		want want
	}{
		{"raised body limit", req{method: "POST", target: "/v1/upload", header: octets, body: strings.NewReader(big), length: int64(len(big))}, want{status: 200, body: big}},
		{"raised body limit, chunked", req{method: "POST", target: "/v1/upload", header: octets, body: strings.NewReader(big), length: -1}, want{status: 200, body: big}},
		{"raised, still bounded", req{method: "POST", target: "/v1/upload", header: octets, body: zeros{}, length: 8<<20 + 1}, want{status: 413, reason: "payload_too_large"}},
		{"listed coding", req{method: "POST", target: "/v1/upload", header: http.Header{"Content-Type": {"application/octet-stream"}, "Content-Encoding": {"GZIP"}}, body: strings.NewReader("x"), length: 1}, want{status: 200, body: "x"}},
		{"listed coding, then another", req{method: "POST", target: "/v1/upload", header: http.Header{"Content-Type": {"application/octet-stream"}, "Content-Encoding": {"gzip, br"}}, body: strings.NewReader("x"), length: 1}, want{status: 415, reason: "unsupported_media_type"}},
		{"coding listed elsewhere", req{method: "POST", target: "/v1/items", header: http.Header{"Content-Type": {"application/json"}, "Content-Encoding": {"gzip"}}, body: strings.NewReader("x"), length: 1}, want{status: 415, reason: "unsupported_media_type"}},
		{"route's own content types", req{method: "POST", target: "/v1/upload", header: json, body: strings.NewReader("{}"), length: 2}, want{status: 415, reason: "unsupported_media_type"}},
		{"default route keeps 1 MiB", req{method: "POST", target: "/v1/items", header: json, body: strings.NewReader(big), length: int64(len(big))}, want{status: 413, reason: "payload_too_large"}},
		{"unknown route keeps 1 MiB", req{method: "POST", target: "/nowhere", header: json, body: strings.NewReader(big), length: -1}, want{status: 413, reason: "payload_too_large"}},
		{"unknown route keeps content types", req{method: "POST", target: "/nowhere", body: strings.NewReader("x"), length: 1}, want{status: 415, reason: "unsupported_media_type"}},

		{"lowered body limit", req{method: "POST", target: "/v1/tiny", header: json, body: strings.NewReader(strings.Repeat("1", 11)), length: 11}, want{status: 413, reason: "payload_too_large"}},
		{"lowered, within", req{method: "POST", target: "/v1/tiny", header: json, body: strings.NewReader("1234567890"), length: 10}, want{status: 200, body: "1234567890"}},
		{"lowered, keeps default content types", req{method: "POST", target: "/v1/tiny", body: strings.NewReader("1"), length: 1}, want{status: 415, reason: "unsupported_media_type"}},
		{"lowered parameters", req{target: "/v1/tiny?a=1&b=2&c=3"}, want{status: 414, reason: "uri_too_long"}},
		{"lowered header fields", req{target: "/v1/tiny", header: headers(4, 1)}, want{status: 431, reason: "headers_too_large"}},

		{"streamed within", req{method: "POST", target: "/v1/stream", header: json, body: strings.NewReader("{}"), length: -1}, want{status: 200, body: "{}"}},
		{"streamed over, read by the handler", req{method: "POST", target: "/v1/stream", header: json, body: zeros{}, length: -1}, want{status: 413, reason: "payload_too_large"}},
		{"streamed, over its length", req{method: "POST", target: "/v1/stream", header: json, body: zeros{}, length: 101}, want{status: 413, reason: "payload_too_large"}},
		{"streamed, longer than its length", req{method: "POST", target: "/v1/stream", header: json, body: zeros{}, length: 50}, want{status: 413, reason: "payload_too_large", read: true}},

		{"GET body allowed on its route", req{target: "/v1/search", header: json, body: strings.NewReader("{}"), length: 2}, want{status: 200, body: "{}"}},
		{"raised query", req{target: "/v1/search?q=" + strings.Repeat("a", 8<<10)}, want{status: 200}},
		{"GET body elsewhere", req{target: "/v1/things/1", header: json, body: strings.NewReader("{}"), length: 2}, want{status: 400, reason: "malformed_request"}},

		{"listed method", req{method: "PUT", target: "/v1/things/1", header: json, body: strings.NewReader("{}"), length: 2}, want{status: 200, body: "{}"}},
		{"HEAD with GET", req{method: "HEAD", target: "/v1/things/1"}, want{status: 200}},
		{"unlisted method", req{method: "DELETE", target: "/v1/things/1"}, want{status: 405, reason: "method_not_allowed", allow: "GET, PUT, HEAD"}},

		{"raised header value", req{method: "POST", target: "/v1/wide", header: headers(1, 40<<10)}, want{status: 200}},
		{"header value elsewhere", req{method: "POST", target: "/v1/items", header: headers(1, 40<<10)}, want{status: 431, reason: "headers_too_large"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			run(t, h, tc.req, tc.want)
		})
	}
}

// TestRecord: every request's decision is in the request record, the
// refusal with its reason and the Rules field that refused it.
func TestRecord(t *testing.T) {
	t.Parallel()
	g, err := limits.New(limits.Config{Routes: map[string]limits.Rules{"POST /v1/tiny": {MaxBodyBytes: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		method  string
		target  string
		body    string
		pattern string
		want    record.Decision
	}{
		{"allowed by default", "GET", "/v1/items", "", "", record.Decision{Package: "limits", Outcome: record.Allow, Rule: "default"}},
		{"allowed by a route", "POST", "/v1/tiny", "x", "POST /v1/tiny", record.Decision{Package: "limits", Outcome: record.Allow, Rule: "POST /v1/tiny"}},
		{"body too large", "POST", "/v1/tiny", "xx", "POST /v1/tiny", record.Decision{Package: "limits", Outcome: record.Deny, Reason: "payload_too_large", Rule: "MaxBodyBytes"}},
		{"body on GET", "GET", "/v1/items", "x", "", record.Decision{Package: "limits", Outcome: record.Deny, Reason: "malformed_request", Rule: "BodyOnAnyMethod"}},
		{"method", "TRACE", "/v1/items", "", "", record.Decision{Package: "limits", Outcome: record.Deny, Reason: "method_not_allowed", Rule: "Methods"}},
		{"query", "GET", "/v1/items?" + params(101, "&"), "", "", record.Decision{Package: "limits", Outcome: record.Deny, Reason: "uri_too_long", Rule: "MaxQueryParams"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var rec *record.Record
			outer := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w, r, rec = record.Install(w, r)
				if tc.pattern != "" {
					rec.SetRoute(tc.pattern)
				}
				g.Handler(echo).ServeHTTP(w, r)
			})
			r := httptest.NewRequest(tc.method, tc.target, strings.NewReader(tc.body))
			outer.ServeHTTP(httptest.NewRecorder(), r)
			got := rec.Decisions()
			if len(got) != 1 || got[0] != tc.want {
				t.Errorf("decisions %+v, want [%+v]", got, tc.want)
			}
		})
	}
}

// TestCheck: the decision outside HTTP, with the sentinel as the cause.
func TestCheck(t *testing.T) {
	t.Parallel()
	g, err := limits.New(limits.Config{Default: limits.Rules{ContentTypes: []string{"application/json"}}})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		method string
		target string
		header http.Header
		length int64
		want   error
	}{
		{"allowed", "GET", "/", nil, 0, nil},
		{"method", "TRACE", "/", nil, 0, limits.ErrMethodNotAllowed},
		{"path", "GET", "/" + strings.Repeat("a", 4096), nil, 0, limits.ErrPathTooLong},
		{"query", "GET", "/?" + strings.Repeat("a", 8192), nil, 0, limits.ErrQueryTooLong},
		{"params", "GET", "/?" + params(200, "&"), nil, 0, limits.ErrTooManyParams},
		{"header count", "GET", "/", headers(101, 1), 0, limits.ErrTooManyHeaders},
		{"header bytes", "GET", "/", headers(3, 12<<10), 0, limits.ErrHeadersTooLarge},
		{"header value", "GET", "/", headers(1, 20<<10), 0, limits.ErrHeaderValueTooLong},
		{"body on GET", "GET", "/", nil, 1, limits.ErrBodyNotAllowed},
		{"content type", "POST", "/", http.Header{"Content-Type": {"text/plain"}}, 1, limits.ErrUnsupportedMediaType},
		{"content coding", "POST", "/", http.Header{"Content-Type": {"application/json"}, "Content-Encoding": {"br"}}, 1, limits.ErrContentEncoding},
		{"body size", "POST", "/", http.Header{"Content-Type": {"application/json"}}, 2 << 20, limits.ErrBodyTooLarge},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest(tc.method, tc.target, nil)
			r.Header = tc.header
			if r.Header == nil {
				r.Header = http.Header{}
			}
			if tc.length > 0 {
				r.Body = io.NopCloser(zeros{})
				r.ContentLength = tc.length
			}
			err := g.Check(r)
			if tc.want == nil {
				if err != nil {
					t.Fatalf("err %v, want nil", err)
				}
				return
			}
			var p *apierrors.Problem
			if !errors.Is(err, tc.want) || !errors.As(err, &p) {
				t.Errorf("err %v, want a problem caused by %v", err, tc.want)
			}
		})
	}
}

// TestConfig: zero is valid; negative numbers, empty lists, bad methods,
// content types and route keys are refused with ErrInvalidConfig.
func TestConfig(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  limits.Config
		ok   bool
	}{
		{"zero", limits.Config{}, true},
		{"full", limits.Config{Default: limits.Rules{MaxBodyBytes: 1, ContentTypes: []string{"application/json", "text/*", "application/*+json", "*/*"}, Methods: []string{"GET", "PROPFIND"}}}, true},
		{"negative MaxBodyBytes", limits.Config{Default: limits.Rules{MaxBodyBytes: -1}}, false},
		{"negative MaxPathBytes", limits.Config{Default: limits.Rules{MaxPathBytes: -1}}, false},
		{"negative MaxQueryBytes", limits.Config{Default: limits.Rules{MaxQueryBytes: -1}}, false},
		{"negative MaxQueryParams", limits.Config{Default: limits.Rules{MaxQueryParams: -1}}, false},
		{"negative MaxHeaders", limits.Config{Default: limits.Rules{MaxHeaders: -1}}, false},
		{"negative MaxHeaderBytes", limits.Config{Default: limits.Rules{MaxHeaderBytes: -1}}, false},
		{"negative MaxHeaderValueBytes", limits.Config{Default: limits.Rules{MaxHeaderValueBytes: -1}}, false},
		{"negative in a route", limits.Config{Routes: map[string]limits.Rules{"/x": {MaxBodyBytes: -5}}}, false},
		{"empty Methods", limits.Config{Default: limits.Rules{Methods: []string{}}}, false},
		{"empty ContentTypes", limits.Config{Routes: map[string]limits.Rules{"/x": {ContentTypes: []string{}}}}, false},
		{"method with a blank", limits.Config{Default: limits.Rules{Methods: []string{"GE T"}}}, false},
		{"empty method", limits.Config{Default: limits.Rules{Methods: []string{""}}}, false},
		{"repeated method", limits.Config{Default: limits.Rules{Methods: []string{"GET", "GET"}}}, false},
		{"content type without subtype", limits.Config{Default: limits.Rules{ContentTypes: []string{"json"}}}, false},
		{"content type with parameters", limits.Config{Default: limits.Rules{ContentTypes: []string{"application/json; charset=utf-8"}}}, false},
		{"wildcard type", limits.Config{Default: limits.Rules{ContentTypes: []string{"*/json"}}}, false},
		{"double wildcard", limits.Config{Default: limits.Rules{ContentTypes: []string{"application/**"}}}, false},
		{"empty suffix", limits.Config{Default: limits.Rules{ContentTypes: []string{"application/*+"}}}, false},
		{"any coding", limits.Config{Default: limits.Rules{ContentEncodings: []string{"*"}}}, true},
		{"empty ContentEncodings", limits.Config{Default: limits.Rules{ContentEncodings: []string{}}}, false},
		{"coding with a blank", limits.Config{Default: limits.Rules{ContentEncodings: []string{"g zip"}}}, false},
		{"empty coding", limits.Config{Default: limits.Rules{ContentEncodings: []string{""}}}, false},
		{"coding pattern", limits.Config{Default: limits.Rules{ContentEncodings: []string{"*zip"}}}, false},
		{"route key without a path", limits.Config{Routes: map[string]limits.Rules{"GET": {}}}, false},
		{"lower-case route method", limits.Config{Routes: map[string]limits.Rules{"get /x": {}}}, false},
		{"route listed twice", limits.Config{Routes: map[string]limits.Rules{"GET /x": {}, "GET  /x": {}}}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			g, err := limits.New(tc.cfg)
			if tc.ok {
				if err != nil || g == nil {
					t.Fatalf("New: %v, want a Guard", err)
				}
				return
			}
			if !errors.Is(err, limits.ErrInvalidConfig) {
				t.Errorf("New: err %v, want ErrInvalidConfig", err)
			}
		})
	}
}
