package validate_test

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"

	apierrors "github.com/apishield/apishield/errors"
	"github.com/apishield/apishield/internal/record"
	"github.com/apishield/apishield/validate"
)

const itemSchema = `{
  "type": "object",
  "additionalProperties": false,
  "required": ["name", "price"],
  "properties": {
    "name":  {"type": "string", "minLength": 1, "maxLength": 100},
    "price": {"type": "number", "minimum": 0},
    "email": {"type": "string", "format": "email"},
    "tags":  {"type": "array", "maxItems": 10, "items": {"type": "string"}},
    "dims":  {"type": "object", "additionalProperties": false,
              "properties": {"w": {"type": "integer"}}, "required": ["w"]}
  }
}`

// problemBody is the part of a problem response the tests look at.
type problemBody struct {
	Status int                    `json:"status"`
	Reason string                 `json:"reason"`
	Detail string                 `json:"detail"`
	Errors []apierrors.FieldError `json:"errors"`
}

// serve runs req through v's Handler in front of a handler that echoes what
// it received, and returns the response and its decoded problem (if any).
func serve(t *testing.T, v *validate.Validator, req *http.Request) (*httptest.ResponseRecorder, problemBody) {
	t.Helper()
	rr := httptest.NewRecorder()
	apierrors.Recover(v.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, ok := validate.Body(r.Context())
		raw, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"ok": ok, "body": body, "raw": string(raw)})
	}))).ServeHTTP(rr, req)
	var p problemBody
	if rr.Code >= 400 {
		if err := json.Unmarshal(rr.Body.Bytes(), &p); err != nil {
			t.Fatalf("problem body %q: %v", rr.Body, err)
		}
	}
	return rr, p
}

func post(body, ctype string) *http.Request {
	req := httptest.NewRequest("POST", "/v1/items", strings.NewReader(body))
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	return req
}

func TestBody(t *testing.T) {
	t.Parallel()
	v := validate.MustNew(validate.Config{Body: []byte(itemSchema), MaxBodyBytes: 256,
		Limits: validate.Limits{MaxDepth: 3}})
	tests := []struct {
		name, body, ctype string
		status            int
		reason            string
		detailHas         string
		errors            []apierrors.FieldError
	}{
		{name: "valid", body: `{"name":"pen","price":3}`, ctype: "application/json", status: 200},
		{name: "valid +json and charset", body: `{"name":"pen","price":0}`, ctype: "application/vnd.item+json; charset=UTF-8", status: 200},
		{name: "no content type", body: `{"name":"pen","price":3}`, status: 415, reason: "unsupported_media_type"},
		{name: "text/plain", body: `{"name":"pen","price":3}`, ctype: "text/plain", status: 415, reason: "unsupported_media_type"},
		{name: "latin-1 charset", body: `{"name":"pen","price":3}`, ctype: "application/json; charset=iso-8859-1", status: 415, reason: "unsupported_media_type"},
		{name: "too large", body: `{"name":"` + strings.Repeat("a", 300) + `","price":3}`, ctype: "application/json", status: 413, reason: "payload_too_large", detailHas: "256 bytes"},
		{name: "syntax", body: `{"name":`, ctype: "application/json", status: 400, reason: "malformed_request"},
		{name: "empty", body: ``, ctype: "application/json", status: 400, reason: "malformed_request"},
		{name: "too deep", body: `{"name":"a","price":1,"dims":{"w":[[1]]}}`, ctype: "application/json", status: 400, reason: "malformed_request", detailHas: "nesting is too deep (the limit is 3 levels) at byte 35"},
		{name: "duplicate key", body: `{"name":"a","price":1,"name":"b"}`, ctype: "application/json", status: 400, reason: "malformed_request", detailHas: "duplicate"},
		{name: "case variant key", body: `{"name":"a","price":1,"Price":-1}`, ctype: "application/json", status: 400, reason: "malformed_request", detailHas: "case"},
		{name: "trailing value", body: `{"name":"a","price":1} {}`, ctype: "application/json", status: 400, reason: "malformed_request", detailHas: "follows"},
		{name: "missing required points at the property", body: `{"price":1}`, ctype: "application/json", status: 422, reason: "validation_failed",
			errors: []apierrors.FieldError{{In: "body", Pointer: "/name", Detail: "is required", Keyword: "required"}}},
		{name: "nested missing required", body: `{"name":"a","price":1,"dims":{}}`, ctype: "application/json", status: 422, reason: "validation_failed",
			errors: []apierrors.FieldError{{In: "body", Pointer: "/dims/w", Detail: "is required", Keyword: "required"}}},
		{name: "minimum", body: `{"name":"a","price":-1}`, ctype: "application/json", status: 422, reason: "validation_failed",
			errors: []apierrors.FieldError{{In: "body", Pointer: "/price", Detail: "must be >= 0", Keyword: "minimum"}}},
		{name: "unknown property", body: `{"name":"a","price":1,"owner":"me"}`, ctype: "application/json", status: 422, reason: "validation_failed",
			errors: []apierrors.FieldError{{In: "body", Pointer: "/owner", Detail: "is not allowed", Keyword: "additionalProperties"}}},
		{name: "format email", body: `{"name":"a","price":1,"email":"SECRET-not-an-email"}`, ctype: "application/json", status: 422, reason: "validation_failed",
			errors: []apierrors.FieldError{{In: "body", Pointer: "/email", Detail: "must be a valid email", Keyword: "format"}}},
		{name: "several errors sorted", body: `{"name":"","price":"x","tags":[1]}`, ctype: "application/json", status: 422, reason: "validation_failed",
			errors: []apierrors.FieldError{
				{In: "body", Pointer: "/name", Detail: "must be at least 1 character long", Keyword: "minLength"},
				{In: "body", Pointer: "/price", Detail: "must be number", Keyword: "type"},
				{In: "body", Pointer: "/tags/0", Detail: "must be string", Keyword: "type"},
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rr, p := serve(t, v, post(tc.body, tc.ctype))
			if rr.Code != tc.status {
				t.Fatalf("status = %d, want %d; body %s", rr.Code, tc.status, rr.Body)
			}
			if tc.status == 200 {
				var got struct {
					OK   bool   `json:"ok"`
					Raw  string `json:"raw"`
					Body any    `json:"body"`
				}
				json.Unmarshal(rr.Body.Bytes(), &got)
				if !got.OK || got.Raw != tc.body || got.Body == nil {
					t.Errorf("handler saw ok=%v raw=%q body=%v; want the decoded body and the raw bytes", got.OK, got.Raw, got.Body)
				}
				return
			}
			if p.Reason != tc.reason {
				t.Errorf("reason = %q, want %q", p.Reason, tc.reason)
			}
			if !strings.Contains(p.Detail, tc.detailHas) {
				t.Errorf("detail = %q, want it to contain %q", p.Detail, tc.detailHas)
			}
			if tc.errors != nil && !equalErrors(p.Errors, tc.errors) {
				t.Errorf("errors = %+v\nwant     %+v", p.Errors, tc.errors)
			}
			if strings.Contains(rr.Body.String(), "SECRET") || strings.Contains(rr.Body.String(), "apishield:///") {
				t.Errorf("response echoes input or a schema location: %s", rr.Body)
			}
		})
	}
}

func equalErrors(a, b []apierrors.FieldError) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// chunkedReader hides its length, as a chunked request body does.
type chunkedReader struct{ r io.Reader }

func (c chunkedReader) Read(p []byte) (int, error) { return c.r.Read(p) }

func TestBodyTooLargeChunked(t *testing.T) {
	t.Parallel()
	v := validate.MustNew(validate.Config{Body: []byte(itemSchema), MaxBodyBytes: 100})
	body := `{"name":"` + strings.Repeat("a", 1000) + `","price":1}`
	req := httptest.NewRequest("POST", "/v1/items", chunkedReader{strings.NewReader(body)})
	req.ContentLength = -1
	req.Header.Set("Content-Type", "application/json")
	rr, p := serve(t, v, req)
	if rr.Code != 413 || p.Reason != "payload_too_large" {
		t.Fatalf("status %d reason %q, want 413 payload_too_large", rr.Code, p.Reason)
	}
	// A body just under the limit without Content-Length still passes.
	ok := `{"name":"a","price":1}`
	req = httptest.NewRequest("POST", "/v1/items", chunkedReader{strings.NewReader(ok)})
	req.ContentLength = -1
	req.Header.Set("Content-Type", "application/json")
	if rr, _ := serve(t, v, req); rr.Code != 200 {
		t.Fatalf("chunked valid body: status %d, want 200; %s", rr.Code, rr.Body)
	}
}

func TestCompressedBodyRefused(t *testing.T) {
	t.Parallel()
	v := validate.MustNew(validate.Config{Body: []byte(itemSchema)})
	req := post(`{"name":"a","price":1}`, "application/json")
	req.Header.Set("Content-Encoding", "gzip")
	if rr, p := serve(t, v, req); rr.Code != 415 || p.Reason != "unsupported_media_type" {
		t.Fatalf("status %d reason %q, want 415", rr.Code, p.Reason)
	}
}

func TestErrorsCapped(t *testing.T) {
	t.Parallel()
	v := validate.MustNew(validate.Config{MaxErrors: 3, Body: []byte(`{"type":"array","items":{"type":"string"}}`)})
	rr, p := serve(t, v, post(`[1,2,3,4,5,6,7,8,9]`, "application/json"))
	if rr.Code != 422 || len(p.Errors) != 3 {
		t.Fatalf("status %d, %d errors; want 422 with 3", rr.Code, len(p.Errors))
	}
}

func TestRecordsDecisions(t *testing.T) {
	t.Parallel()
	v := validate.MustNew(validate.Config{Body: []byte(itemSchema)})
	for _, tc := range []struct {
		body    string
		outcome record.Outcome
		reason  string
		fields  int
	}{
		{`{"name":"a","price":1}`, record.Allow, "", 0},
		{`{"name":"a","price":-1}`, record.Deny, "validation_failed", 1},
		{`{"name":"a"`, record.Deny, "malformed_request", 0},
	} {
		var rec *record.Record
		h := apierrors.Recover(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			rec = record.From(r.Context())
			v.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})).ServeHTTP(w, r)
		}))
		h.ServeHTTP(httptest.NewRecorder(), post(tc.body, "application/json"))
		d := rec.Decisions()
		if len(d) != 1 || d[0].Package != "validate" || d[0].Outcome != tc.outcome || d[0].Reason != tc.reason {
			t.Errorf("%s: decisions = %+v, want one validate %s %q", tc.body, d, tc.outcome, tc.reason)
		}
		if got := len(rec.FieldErrors()); got != tc.fields {
			t.Errorf("%s: %d field errors recorded, want %d", tc.body, got, tc.fields)
		}
	}
}

func TestPanicInValidationIsA400(t *testing.T) {
	t.Parallel()
	// The scanner makes the schema library's known panic (a nil pointer on
	// 1e1000001) unreachable with the default limits, so the recovery is
	// proven by raising the exponent limit: the request gets a 400, the
	// server keeps running.
	v2 := validate.MustNew(validate.Config{Body: []byte(`{"type":"number","minimum":0}`),
		Limits: validate.Limits{MaxExponent: 2000000, MaxNumberLength: 100}})
	rr, p := serve(t, v2, post(`1e1000001`, "application/json"))
	if rr.Code != 400 || p.Reason != "malformed_request" {
		t.Fatalf("status %d reason %q, want 400 malformed_request; %s", rr.Code, p.Reason, rr.Body)
	}
}

func TestSchemasFromFS(t *testing.T) {
	t.Parallel()
	fsys := fstest.MapFS{
		"item.json": {Data: []byte(`{"$defs":{"new":{"type":"object","additionalProperties":false,
			"properties":{"name":{"$ref":"common/name.json"}},"required":["name"]}}}`)},
		"common/name.json": {Data: []byte(`{"type":"string","maxLength":3}`)},
	}
	v, err := validate.New(validate.Config{FS: fsys, Body: []byte(`{"$ref":"item.json#/$defs/new"}`)})
	if err != nil {
		t.Fatal(err)
	}
	if rr, _ := serve(t, v, post(`{"name":"abc"}`, "application/json")); rr.Code != 200 {
		t.Errorf("valid: status %d; %s", rr.Code, rr.Body)
	}
	rr, p := serve(t, v, post(`{"name":"abcd"}`, "application/json"))
	if rr.Code != 422 || len(p.Errors) != 1 || p.Errors[0].Pointer != "/name" || p.Errors[0].Keyword != "maxLength" {
		t.Errorf("status %d errors %+v, want 422 at /name maxLength", rr.Code, p.Errors)
	}
	if strings.Contains(rr.Body.String(), "name.json") || strings.Contains(rr.Body.String(), "$defs") {
		t.Errorf("response names a schema file: %s", rr.Body)
	}
}

func TestNewRefuses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  validate.Config
	}{
		{"no schema", validate.Config{}},
		{"not JSON", validate.Config{Body: []byte(`{`)}},
		{"duplicate key in schema", validate.Config{Body: []byte(`{"type":"string","type":"number"}`)}},
		{"empty enum", validate.Config{Body: []byte(`{"enum":[]}`)}},
		{"lookahead pattern", validate.Config{Body: []byte(`{"type":"string","pattern":"(?=a)b"}`)}},
		{"lookahead patternProperties", validate.Config{Body: []byte(`{"type":"object","additionalProperties":false,"patternProperties":{"(?!x)":{}}}`)}},
		{"open object in strict mode", validate.Config{Body: []byte(`{"type":"object","properties":{"a":{"type":"string"}}}`)}},
		{"open nested object", validate.Config{Body: []byte(`{"type":"object","additionalProperties":false,"properties":{"a":{"type":"object"}}}`)}},
		{"open query", validate.Config{Query: []byte(`{"type":"object","properties":{"limit":{"type":"integer"}}}`)}},
		{"remote ref", validate.Config{Body: []byte(`{"$ref":"https://example.com/s.json"}`)}},
		{"missing file ref", validate.Config{Body: []byte(`{"$ref":"nope.json"}`)}},
		{"bad schema", validate.Config{Body: []byte(`{"type":"strin"}`)}},
		{"negative body", validate.Config{Body: []byte(`true`), MaxBodyBytes: -1}},
		{"negative limit", validate.Config{Body: []byte(`true`), Limits: validate.Limits{MaxDepth: -1}}},
		{"huge depth", validate.Config{Body: []byte(`true`), Limits: validate.Limits{MaxDepth: 1 << 20}}},
		{"bad response mode", validate.Config{Response: []byte(`true`), ResponseMode: 7}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := validate.New(tc.cfg)
			if !errors.Is(err, validate.ErrInvalidConfig) {
				t.Fatalf("New: err = %v, want ErrInvalidConfig", err)
			}
			if testing.Verbose() {
				t.Log(err)
			}
		})
	}
}

func TestNewAccepts(t *testing.T) {
	t.Parallel()
	for name, cfg := range map[string]validate.Config{
		"unevaluatedProperties closes allOf parts": {Body: []byte(`{"type":"object","unevaluatedProperties":false,
			"allOf":[{"type":"object","properties":{"a":{"type":"string"}}}]}`)},
		"open object with strict off": {AllowUnknownProperties: true, Body: []byte(`{"type":"object"}`)},
		"open path schema":            {Path: []byte(`{"type":"object","properties":{"id":{"type":"integer"}}}`)},
	} {
		if _, err := validate.New(cfg); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// TestValidateBody uses the decision outside HTTP: errors are problems, and
// a refused body's *ScanError and sentinel are reachable with errors.As/Is.
func TestValidateBody(t *testing.T) {
	t.Parallel()
	v := validate.MustNew(validate.Config{Body: []byte(itemSchema)})
	doc, err := v.ValidateBody([]byte(`{"name":"pen","price":1.50}`))
	if err != nil {
		t.Fatal(err)
	}
	if got := doc.(map[string]any)["price"]; got != json.Number("1.50") {
		t.Errorf("price = %#v, want json.Number(\"1.50\"), exactly as sent", got)
	}
	_, err = v.ValidateBody([]byte(`{"name":"pen","price":1,"name":"x"}`))
	var p *apierrors.Problem
	var se *validate.ScanError
	if !errors.As(err, &p) || p.Status != 400 || !errors.As(err, &se) || !errors.Is(err, validate.ErrDuplicateKey) || se.Offset != 24 {
		t.Errorf("duplicate key: err = %v (%T), want a 400 problem wrapping ErrDuplicateKey at byte 24", err, err)
	}
	_, err = v.ValidateBody([]byte(`{"name":"pen","price":1e401}`))
	if !errors.Is(err, validate.ErrLimit) || !errors.As(err, &se) || se.Limit != "MaxExponent" || se.Max != 400 {
		t.Errorf("exponent: err = %v, want ErrLimit naming MaxExponent = 400", err)
	}
	_, err = v.ValidateBody([]byte(`{"name":"pen","price":-1}`))
	if !errors.As(err, &p) || p.Status != 422 || len(p.Errors) != 1 {
		t.Errorf("schema failure: err = %v, want a 422 problem with one field error", err)
	}
}

// TestBodyIntegerForms: a body keeps numbers as sent, and JSON Schema's
// integer is any number with a zero fraction, so an integer property may
// hold 1.0 or 1e1 (or 1e30). Int64 reads every form of an int64 and
// reports the rest; json.Number.Int64 would fail on the first two.
func TestBodyIntegerForms(t *testing.T) {
	t.Parallel()
	v := validate.MustNew(validate.Config{Body: []byte(`{"type":"object","additionalProperties":false,
	  "properties":{"n":{"type":"integer"}}}`)})
	for _, tc := range []struct {
		name, n string
		status  int
		want    int64
		ok      bool
	}{
		{"plain", "7", 200, 7, true},
		{"zero fraction", "1.0", 200, 1, true},
		{"exponent", "1e1", 200, 10, true},
		{"beyond int64", "1e30", 200, 0, false},
		{"fraction", "1.5", 422, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var raw any
			h := apierrors.Recover(v.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, _ := validate.Body(r.Context())
				raw = body.(map[string]any)["n"]
			})))
			rr := httptest.NewRecorder()
			h.ServeHTTP(rr, post(`{"n":`+tc.n+`}`, "application/json"))
			if rr.Code != tc.status {
				t.Fatalf("status %d, want %d; %s", rr.Code, tc.status, rr.Body)
			}
			if tc.status != 200 {
				return
			}
			if raw != json.Number(tc.n) {
				t.Errorf("body n = %#v, want json.Number(%q), as sent", raw, tc.n)
			}
			if got, ok := validate.Int64(raw); got != tc.want || ok != tc.ok {
				t.Errorf("Int64(%s) = %d, %v; want %d, %v", tc.n, got, ok, tc.want, tc.ok)
			}
		})
	}
}
