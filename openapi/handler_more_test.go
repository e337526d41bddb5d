package openapi_test

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/apishield/apishield/authz"
	apierrors "github.com/apishield/apishield/errors"
	"github.com/apishield/apishield/internal/record"
	"github.com/apishield/apishield/internal/telemetry/telemetrytest"
	"github.com/apishield/apishield/openapi"
	"github.com/apishield/apishield/ratelimit"
	"github.com/apishield/apishield/validate"
)

// respond is an application whose answer the request's "case" query
// parameter chooses (undeclared parameters are not refused).
func respond(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	switch r.URL.Query().Get("case") {
	case "valid":
		h.Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"name":"pen"}`)
	case "unset":
		_, _ = io.WriteString(w, `{"name":"pen"}`)
	case "leak":
		h.Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"name":"pen","secret":"s3cr3t"}`)
	case "html":
		h.Set("Content-Type", "text/html")
		_, _ = io.WriteString(w, `<p>pen</p>`)
	case "problem":
		apierrors.Write(w, r, apierrors.New(409, apierrors.ReasonConflict, "taken"))
	case "undeclared":
		w.WriteHeader(http.StatusAccepted)
	case "nocontent":
		w.WriteHeader(http.StatusNoContent)
	case "nocontent-body":
		h.Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNoContent)
		_, _ = io.WriteString(w, `{"secret":1}`)
	}
}

// recorded runs rq through f with the request record installed outside,
// as audit would, and returns the response and the record.
func recorded(f *fixture, rq req) (*httptest.ResponseRecorder, *record.Record) {
	var rec *record.Record
	w := httptest.NewRecorder()
	r := httptest.NewRequest(rq.method, rq.target, strings.NewReader(rq.body))
	for k, v := range rq.header {
		r.Header.Set(k, v)
	}
	w2, r, rec := record.Install(w, r)
	f.h.ServeHTTP(w2, r)
	return w, rec
}

func responseDecision(rec *record.Record) (record.Decision, bool) {
	for _, d := range rec.Decisions() {
		if d.Package == "openapi" && d.Rule == "response" {
			return d, true
		}
	}
	return record.Decision{}, false
}

func TestHandlerResponses(t *testing.T) {
	t.Parallel()
	cases := []struct {
		target  string
		enforce int  // the status sent in enforce mode
		bad     bool // a violation, sent anyway in report mode
	}{
		{"/v1/items/2?case=valid", 200, false},
		{"/v1/items/2?case=unset", 200, false},
		{"/v1/items/2?case=leak", 500, true},
		{"/v1/items/2?case=html", 500, true},       // a media type 200 does not declare
		{"/v1/items/2?case=problem", 409, false},   // 4XX
		{"/v1/items/2?case=undeclared", 500, true}, // 202: no 202, 2XX or default
		{"/v1/labels/.a?case=nocontent", 500, true},
		{"/v1/nobody?case=nocontent", 204, false}, // declared without content
		{"/v1/nobody?case=nocontent-body", 500, true},
	}
	for _, mode := range []openapi.Responses{openapi.ResponsesEnforce, openapi.ResponsesReport} {
		var logs bytes.Buffer
		metrics := telemetrytest.NewMetrics(t)
		f := newFixture(t, readDoc(t, "items.yaml"), openapi.Config{Responses: mode, MeterProvider: metrics,
			Logger: slog.New(slog.NewTextHandler(&logs, nil))}, http.HandlerFunc(respond))
		violations := 0
		for _, tc := range cases {
			method := "GET"
			if strings.HasPrefix(tc.target, "/v1/nobody") {
				method = "POST"
			}
			w, rec := recorded(f, req{method: method, target: tc.target})
			d, violated := responseDecision(rec)
			if violated != tc.bad {
				t.Errorf("mode %d, %s: violation recorded %v (%+v), want %v", mode, tc.target, violated, d, tc.bad)
			}
			if tc.bad {
				violations++
			}
			switch {
			case mode == openapi.ResponsesReport && tc.bad:
				if w.Code == 500 {
					t.Errorf("report mode, %s: status 500, want the handler's", tc.target)
				}
				if d.Outcome != record.Skip {
					t.Errorf("report mode, %s: outcome %s, want skip", tc.target, d.Outcome)
				}
			case tc.enforce == 500 && mode == openapi.ResponsesEnforce:
				wantProblem(t, w, 500, apierrors.ReasonInternal)
				if strings.Contains(w.Body.String(), "s3cr3t") {
					t.Errorf("%s: the refused response leaked: %s", tc.target, w.Body)
				}
				if d.Outcome != record.Deny {
					t.Errorf("enforce mode, %s: outcome %s, want deny", tc.target, d.Outcome)
				}
			default:
				if w.Code != tc.enforce {
					t.Errorf("mode %d, %s: status %d, want %d", mode, tc.target, w.Code, tc.enforce)
				}
			}
		}
		if got := metrics.Series("apishield.validate.failures")["kind=response"]; got != float64(violations) {
			t.Errorf("mode %d: %v response failures counted, want %d", mode, got, violations)
		}
		if mode == openapi.ResponsesReport && !strings.Contains(logs.String(), "response breaks its schema") {
			t.Errorf("report mode logged nothing: %q", logs.String())
		}
	}
	if _, err := openapi.Parse(readDoc(t, "items.yaml"), openapi.Config{Responses: 7}); !errors.Is(err, openapi.ErrInvalidConfig) {
		t.Errorf("Responses 7: %v, want ErrInvalidConfig", err)
	}
}

func TestHandlerFailuresCounted(t *testing.T) {
	t.Parallel()
	metrics := telemetrytest.NewMetrics(t)
	f := newFixture(t, readDoc(t, "items.yaml"), openapi.Config{MeterProvider: metrics}, nil)
	f.do(t, req{method: "GET", target: "/v1/items/0"})                                                                                              // path
	f.do(t, req{method: "GET", target: "/v1/items/x"})                                                                                              // path
	f.do(t, req{method: "POST", target: "/v1/forms", body: "n=99", header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}}) // body
	f.do(t, req{method: "POST", target: "/v1/media", body: strings.Repeat(" ", 2<<20), header: map[string]string{"Content-Type": "text/plain"}})    // limit
	f.do(t, req{method: "GET", target: "/v1/items?limit=" + strings.Repeat("1", 5000),                                                              // limit: a value past oasparam's bound
		header: map[string]string{"Authorization": "Bearer reader", "X-Tenant": "a"}})
	got := metrics.Series("apishield.validate.failures")
	for k, want := range map[string]float64{"kind=path": 2, "kind=body": 1, "kind=limit": 2} {
		if got[k] != want {
			t.Errorf("%s = %v, want %v (all: %v)", k, got[k], want, got)
		}
	}
}

// TestHandlerRefusalRecorded checks that a refusal leaves its field
// errors and decision in the record for audit.
func TestHandlerRefusalRecorded(t *testing.T) {
	t.Parallel()
	f := newFixture(t, readDoc(t, "items.yaml"), openapi.Config{}, nil)
	_, rec := recorded(f, req{method: "POST", target: "/v1/forms", body: "n=99",
		header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}})
	want := record.Decision{Package: "openapi", Outcome: record.Deny, Reason: "validation_failed"}
	if !slices.Contains(rec.Decisions(), want) {
		t.Errorf("decisions = %+v, want %+v", rec.Decisions(), want)
	}
	if fe := rec.FieldErrors(); len(fe) != 1 || fe[0].In != "body" || fe[0].Pointer != "/n" {
		t.Errorf("field errors = %+v, want one at /n in body", fe)
	}
}

func TestHandlerBodyEdges(t *testing.T) {
	t.Parallel()
	f := newFixture(t, readDoc(t, "items.yaml"), openapi.Config{MaxBodyBytes: 64}, nil)
	// unknown length (chunked): read ahead within the bound
	r := httptest.NewRequest("POST", "/v1/forms", io.NopCloser(strings.NewReader("n=2")))
	r.ContentLength = -1
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, r)
	wantJSON(t, "chunked form", wantOK(t, w).Body, `{"n":2}`)
	// unknown length past the bound
	r = httptest.NewRequest("POST", "/v1/media", io.NopCloser(strings.NewReader(strings.Repeat("x", 100))))
	r.ContentLength = -1
	r.Header.Set("Content-Type", "text/plain")
	w = httptest.NewRecorder()
	f.h.ServeHTTP(w, r)
	wantProblem(t, w, 413, apierrors.ReasonPayloadTooLarge)
	// unknown length and empty where a body is required
	r = httptest.NewRequest("POST", "/v1/forms", io.NopCloser(strings.NewReader("")))
	r.ContentLength = -1
	w = httptest.NewRecorder()
	f.h.ServeHTTP(w, r)
	wantProblem(t, w, 400, apierrors.ReasonMalformedRequest)
	// compressed JSON
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, _ = zw.Write([]byte(`{"json":1}`))
	_ = zw.Close()
	wantProblem(t, f.do(t, req{method: "POST", target: "/v1/media", body: gz.String(),
		header: map[string]string{"Content-Type": "application/json", "Content-Encoding": "gzip"}}), 415, apierrors.ReasonUnsupportedMediaType)
	// a malformed Content-Type
	wantProblem(t, f.do(t, req{method: "POST", target: "/v1/media", body: "{}",
		header: map[string]string{"Content-Type": "application/"}}), 415, apierrors.ReasonUnsupportedMediaType)
	// JSON deeper than Limits allow
	g := newFixture(t, readDoc(t, "items.yaml"), openapi.Config{Limits: validate.Limits{MaxDepth: 2}}, nil)
	wantProblem(t, g.do(t, req{method: "POST", target: "/v1/media", body: `{"json":[[1]]}`,
		header: map[string]string{"Content-Type": "application/json"}}), 400, apierrors.ReasonMalformedRequest)
}

// TestHandlerDecode shows validate.Decode reading a body the contract
// checked.
func TestHandlerDecode(t *testing.T) {
	t.Parallel()
	type item struct {
		Name  string  `json:"name"`
		Price float64 `json:"price"`
	}
	var got item
	var err error
	f := newFixture(t, readDoc(t, "items.yaml"), openapi.Config{}, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, err = validate.Decode[item](r.Context())
	}))
	f.do(t, req{method: "POST", target: "/v1/items", body: `{"name":"pen","price":2.5}`,
		header: map[string]string{"Authorization": "Bearer writer", "Content-Type": "application/json"}})
	if err != nil || got != (item{"pen", 2.5}) {
		t.Errorf("Decode = %+v, %v; want {pen 2.5}", got, err)
	}
}

func TestAPIKeySources(t *testing.T) {
	t.Parallel()
	c, err := openapi.Parse([]byte(`openapi: 3.0.3
info: {title: t, version: "1"}
security: [{a: []}, {b: []}, {c: []}, {d: []}, {e: []}]
components:
  securitySchemes:
    a: {type: apiKey, in: header, name: x-key}
    b: {type: apiKey, in: query, name: key}
    c: {type: apiKey, in: cookie, name: k}
    d: {type: apiKey, in: header, name: X-Key}
    e: {type: http, scheme: bearer}
paths:
  /x:
    get:
      responses:
        "200": {description: ok}
`), openapi.Config{})
	if err != nil {
		t.Fatal(err)
	}
	h, q, ck := c.APIKeySources()
	if !slices.Equal(h, []string{"X-Key"}) || !slices.Equal(q, []string{"key"}) || !slices.Equal(ck, []string{"k"}) {
		t.Errorf("APIKeySources = %q, %q, %q; want [X-Key], [key], [k]", h, q, ck)
	}
}

func TestHandlerConfigErrors(t *testing.T) {
	t.Parallel()
	for name, cfg := range map[string]openapi.Config{
		"negative MaxBodyBytes": {MaxBodyBytes: -1},
		"negative MaxErrors":    {MaxErrors: -1},
		"Limits out of range":   {Limits: validate.Limits{MaxDepth: 1 << 20}},
		"unknown Undeclared":    {Undeclared: 3},
		"unknown Responses":     {Responses: -1},
	} {
		if _, err := openapi.Parse([]byte(undeclaredDoc), cfg); !errors.Is(err, openapi.ErrInvalidConfig) {
			t.Errorf("%s: %v, want ErrInvalidConfig", name, err)
		}
	}
}

func TestHandlerDeprecationLinks(t *testing.T) {
	t.Parallel()
	doc := func(successor string) []byte {
		return []byte(`openapi: 3.1.0
info: {title: t, version: "1"}
paths:
  /items/{id}:
    get:
      operationId: oldItem
      security: []
      deprecated: true
      x-apishield-deprecation: {since: "2026-01-01", successor: "` + successor + `"}
      parameters:
        - {name: id, in: path, required: true, schema: {type: string}}
      responses:
        "200": {description: ok}
`)
	}
	f := newFixture(t, doc("/v2/items/{id}"), openapi.Config{}, nil)
	w := f.do(t, req{method: "GET", target: "/items/a"})
	wantOK(t, w)
	if got := w.Header().Get("Link"); got != `</v2/items/%7Bid%7D>; rel="successor-version"` {
		t.Errorf("Link = %q, want the template's braces percent-encoded", got)
	}
	_, err := openapi.Parse(doc("http://example.com/v2"), openapi.Config{})
	if !errors.Is(err, openapi.ErrInvalidDocument) || !strings.Contains(err.Error(), "oldItem") {
		t.Errorf("an http successor: %v, want ErrInvalidDocument naming oldItem", err)
	}
}

func TestHandlerLoadErrors(t *testing.T) {
	t.Parallel()
	_, err := openapi.Parse(readDoc(t, "items.yaml"), openapi.Config{Rules: map[string]authz.Rule{"owner": authz.Owner(nil)},
		RateLimiters: map[string]*ratelimit.Limiter{"writes": newLimiter(t, 10)}})
	if !errors.Is(err, openapi.ErrInvalidConfig) || !strings.Contains(err.Error(), "deleteItem") {
		t.Errorf("an owner rule built with bad arguments: %v, want ErrInvalidConfig naming deleteItem", err)
	}
	if !errors.Is(err, authz.ErrInvalidRule) {
		t.Errorf("an owner rule built with bad arguments: %v, want it to wrap authz.ErrInvalidRule", err)
	}
	// The request side's problems read as the loader's do: the kind, then
	// the operation, then what is wrong.
	if msg := err.Error(); !strings.HasPrefix(msg, "openapi: invalid config: operation deleteItem (DELETE /items/{id}): ") {
		t.Errorf("message %q, want the kind first, then the operation", msg)
	}
	_, err = openapi.Parse([]byte(`openapi: 3.1.0
info: {title: t, version: "1"}
components:
  securitySchemes:
    oauth:
      type: oauth2
      flows:
        clientCredentials: {tokenUrl: "https://auth.example.com/token", scopes: {}}
paths:
  /x:
    get:
      operationId: badScope
      security: [{oauth: ["a\"b"]}]
      responses:
        "200": {description: ok}
`), openapi.Config{})
	if !errors.Is(err, openapi.ErrInvalidDocument) || !strings.Contains(err.Error(), "badScope") {
		t.Errorf("a scope that is not an RFC 6749 scope token: %v, want ErrInvalidDocument naming badScope", err)
	}
}

// TestHandlerBeforeServeMux runs the contract in front of a ServeMux, as
// the package documentation wires it: the mux routes the full path and
// sets its own path values; the contract's checked values are there too.
func TestHandlerBeforeServeMux(t *testing.T) {
	t.Parallel()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/items/{id}", func(w http.ResponseWriter, r *http.Request) {
		p, _ := validate.PathParams(r.Context())
		n, _ := p.Int64("id")
		_, _ = io.WriteString(w, r.PathValue("id")+" "+strconv.FormatInt(n, 10))
	})
	f := newFixture(t, readDoc(t, "items.yaml"), openapi.Config{}, mux)
	w := f.do(t, req{method: "GET", target: "/v1/items/%34%32"})
	if w.Code != 200 || w.Body.String() != "42 42" {
		t.Errorf("GET /v1/items/%%34%%32 = %d %q, want 200 \"42 42\"", w.Code, w.Body)
	}
	wantProblem(t, f.do(t, req{method: "GET", target: "/v1/items/0"}), 422, apierrors.ReasonValidationFailed)
}
