package schemacheck

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	apierrors "github.com/apishield/apishield/errors"
	"github.com/apishield/apishield/internal/record"
	"github.com/apishield/apishield/internal/telemetry/telemetrytest"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// mustCompile compiles src with a strict Compiler that loads nothing.
func mustCompile(t *testing.T, src string) *jsonschema.Schema {
	t.Helper()
	s, err := NewCompiler(nil, true).Compile("test", []byte(src), true)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

const itemSchema = `{"type":"object","properties":{"name":{"type":"string"},"price":{"type":"number","minimum":0}},
	"required":["name"],"additionalProperties":false}`

// mapLoader serves documents by URL, as openapi's loader serves the files
// of its document.
type mapLoader map[string]any

func (m mapLoader) Load(url string) (any, error) {
	if d, ok := m[url]; ok {
		return d, nil
	}
	return nil, errors.New("not found")
}

func TestCompilerResources(t *testing.T) {
	doc, err := ParseSchema([]byte(`{"components":{"schemas":{"Item":`+itemSchema+`,
		"Open":{"type":"object"},"Ref":{"$ref":"other.json#/$defs/n"}}}}`), "api.json")
	if err != nil {
		t.Fatal(err)
	}
	other, err := ParseSchema([]byte(`{"$defs":{"n":{"type":"integer"}}}`), "other.json")
	if err != nil {
		t.Fatal(err)
	}
	loader := mapLoader{BaseURL + "other.json": other}

	t.Run("fragment of an added resource", func(t *testing.T) {
		cc := NewCompiler(nil, true)
		if err := cc.AddResource(BaseURL+"api.json", doc); err != nil {
			t.Fatal(err)
		}
		s, err := cc.CompileURL(BaseURL+"api.json#/components/schemas/Item", true)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Validate(map[string]any{"name": "a", "extra": true}); err == nil {
			t.Error("the compiled Item accepts an unknown property")
		}
	})
	t.Run("strict lint", func(t *testing.T) {
		cc := NewCompiler(nil, true)
		if err := cc.AddResource(BaseURL+"api.json", doc); err != nil {
			t.Fatal(err)
		}
		_, err := cc.CompileURL(BaseURL+"api.json#/components/schemas/Open", true)
		if err == nil || !strings.Contains(err.Error(), "allows unknown properties") {
			t.Errorf("open object: err = %v, want the strict lint's", err)
		}
		if _, err := cc.CompileURL(BaseURL+"api.json#/components/schemas/Open", false); err != nil {
			t.Errorf("open object, not strict: %v", err)
		}
	})
	t.Run("no loader refuses other files", func(t *testing.T) {
		cc := NewCompiler(nil, true)
		if err := cc.AddResource(BaseURL+"api.json", doc); err != nil {
			t.Fatal(err)
		}
		if _, err := cc.CompileURL(BaseURL+"api.json#/components/schemas/Ref", true); err == nil {
			t.Error("a $ref to a file never added compiled without a loader")
		}
	})
	t.Run("the loader serves other files", func(t *testing.T) {
		cc := NewCompiler(loader, true)
		if err := cc.AddResource(BaseURL+"api.json", doc); err != nil {
			t.Fatal(err)
		}
		s, err := cc.CompileURL(BaseURL+"api.json#/components/schemas/Ref", true)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Validate("x"); err == nil {
			t.Error("the loaded integer schema accepts a string")
		}
	})
	t.Run("patterns are linted on AddResource", func(t *testing.T) {
		err := NewCompiler(nil, true).AddResource(BaseURL+"bad.json", map[string]any{"pattern": "(?=a)"})
		if err == nil || !strings.Contains(err.Error(), "RE2") {
			t.Errorf("err = %v, want the RE2 lint", err)
		}
	})
	t.Run("registered formats are asserted", func(t *testing.T) {
		cc := NewCompiler(nil, true)
		cc.RegisterFormat(&jsonschema.Format{Name: "even", Validate: func(v any) error {
			if n, ok := v.(json.Number); ok && strings.HasSuffix(string(n), "1") {
				return errors.New("odd")
			}
			return nil
		}})
		s, err := cc.Compile("even", []byte(`{"format":"even"}`), true)
		if err != nil {
			t.Fatal(err)
		}
		if s.Validate(json.Number("21")) == nil || s.Validate(json.Number("22")) != nil {
			t.Error("the registered format is not asserted")
		}
	})
	t.Run("formats are asserted", func(t *testing.T) {
		s := mustCompile(t, `{"type":"string","format":"idn-hostname"}`)
		if err := s.Validate("-bad-.example"); err == nil {
			t.Error("an invalid idn-hostname passed")
		}
	})
}

func problemOf(t *testing.T, err error) *apierrors.Problem {
	t.Helper()
	var p *apierrors.Problem
	if !errors.As(err, &p) {
		t.Fatalf("err = %v (%T), want a *apierrors.Problem", err, err)
	}
	return p
}

func newBody(t *testing.T, maxBytes int64) *Body {
	t.Helper()
	lim, err := CheckLimits(Limits{MaxDepth: 4}, errTestInvalid)
	if err != nil {
		t.Fatal(err)
	}
	return NewBody(mustCompile(t, itemSchema), lim, maxBytes, 20, nil)
}

func TestBodyCheck(t *testing.T) {
	b := newBody(t, 64)
	tests := []struct {
		name    string
		body    string
		chunked bool
		status  int
		detail  string
		pointer string
	}{
		{name: "valid", body: `{"name":"a","price":1}`},
		{name: "too large, announced", body: `{"name":"` + strings.Repeat("a", 80) + `"}`, status: 413},
		{name: "too large, chunked", body: `{"name":"` + strings.Repeat("a", 80) + `"}`, chunked: true, status: 413},
		{name: "too deep", body: `{"name":[[[[1]]]]}`, status: 400,
			detail: "The body is not acceptable JSON: nesting is too deep (the limit is 4 levels) at byte 11."},
		{name: "duplicate key", body: `{"name":"a","name":"b"}`, status: 400,
			detail: "The body is not acceptable JSON: an object has a duplicate key at byte 12."},
		{name: "schema", body: `{"name":"a","price":-1}`, status: 422, pointer: "/price"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var rd io.Reader = strings.NewReader(tt.body)
			if tt.chunked {
				rd = io.MultiReader(rd) // hides the length
			}
			// Not JSON on purpose: Check leaves the media type to the caller.
			r := httptest.NewRequest(http.MethodPost, "/", rd)
			r.Header.Set("Content-Type", "text/plain")
			raw, doc, err := b.Check(httptest.NewRecorder(), r)
			if tt.status == 0 {
				if err != nil {
					t.Fatal(err)
				}
				if string(raw) != tt.body || doc.(map[string]any)["name"] != "a" {
					t.Errorf("got %q, %#v", raw, doc)
				}
				return
			}
			p := problemOf(t, err)
			if p.Status != tt.status {
				t.Errorf("status = %d, want %d", p.Status, tt.status)
			}
			if tt.detail != "" && p.Detail != tt.detail {
				t.Errorf("detail = %q, want %q", p.Detail, tt.detail)
			}
			if tt.pointer != "" && (len(p.Errors) != 1 || p.Errors[0].Pointer != tt.pointer || p.Errors[0].In != apierrors.InBody) {
				t.Errorf("errors = %+v, want one in body at %s", p.Errors, tt.pointer)
			}
		})
	}
}

func TestCheckContentType(t *testing.T) {
	for ct, want := range map[string]int{"application/json": 0, "application/problem+json; charset=utf-8": 0,
		"text/plain": 415, "application/json; charset=latin1": 415, "": 415} {
		r := httptest.NewRequest(http.MethodPost, "/", nil)
		r.Header.Set("Content-Type", ct)
		err := CheckContentType(r)
		if want == 0 {
			if err != nil {
				t.Errorf("%q: %v", ct, err)
			}
			continue
		}
		if p := problemOf(t, err); p.Status != want || p.Reason != apierrors.ReasonUnsupportedMediaType {
			t.Errorf("%q: %d %s, want %d", ct, p.Status, p.Reason, want)
		}
	}
}

func TestValidateValue(t *testing.T) {
	s := mustCompile(t, `{"type":"array","items":{"type":"integer","maximum":9}}`)
	tests := []struct {
		name, in, prefix, want string
	}{
		{"query parameter", apierrors.InQuery, "ids", "/ids/1"},
		{"name escaped", apierrors.InHeader, "a/b~c", "/a~1b~0c/1"},
		{"no prefix", apierrors.InBody, "", "/1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Validate(s, []any{json.Number("1"), json.Number("10")}, tt.in, tt.prefix, 20, nil)
			p := problemOf(t, err)
			if p.Status != 422 || len(p.Errors) != 1 {
				t.Fatalf("got %d %+v", p.Status, p.Errors)
			}
			if e := p.Errors[0]; e.In != tt.in || e.Pointer != tt.want || e.Detail != "must be <= 9" {
				t.Errorf("field error = %+v, want in %s at %s", e, tt.in, tt.want)
			}
		})
	}
	if err := Validate(s, []any{json.Number("1")}, apierrors.InQuery, "ids", 20, nil); err != nil {
		t.Errorf("valid value: %v", err)
	}
}

// TestValidatePanic shows a panic of the schema library becomes a 400.
func TestValidatePanic(t *testing.T) {
	s := mustCompile(t, `{"type":"number","minimum":0}`)
	err := Validate(s, json.Number("1e9999999"), apierrors.InPath, "n", 20, nil)
	if p := problemOf(t, err); p.Status != http.StatusBadRequest || !errors.Is(err, errPanic) {
		t.Errorf("got %d %v, want 400 wrapping errPanic", p.Status, err)
	}
}

// newResponses returns a Responses for package openapi whose schema is
// chosen by status: 201 must be an item, 204 is Undeclared, anything else
// passes.
func newResponses(t *testing.T, mode ResponseMode, failures *Failures, seen *[]string) *Responses {
	t.Helper()
	item := mustCompile(t, itemSchema)
	return &Responses{Package: "openapi", Mode: mode, MaxBytes: 64, Limits: ResponseLimits(Limits{MaxDepth: 64, MaxExponent: 400}),
		MaxErrors: 20, Failures: failures,
		Schema: func(status int, ct string) (*jsonschema.Schema, bool) {
			*seen = append(*seen, http.StatusText(status)+" "+ct)
			if status == http.StatusNoContent {
				return Undeclared, true
			}
			return item, status == http.StatusCreated
		}}
}

func TestResponses(t *testing.T) {
	tests := []struct {
		name       string
		mode       ResponseMode
		status     int
		body       string
		wantStatus int
		wantBody   string // "" means the handler's body
		outcome    record.Outcome
	}{
		{name: "valid", mode: ResponseEnforce, status: 201, body: `{"name":"a"}`, wantStatus: 201, outcome: ""},
		{name: "no schema chosen", mode: ResponseEnforce, status: 200, body: `{"secret":1}`, wantStatus: 200},
		{name: "enforced", mode: ResponseEnforce, status: 201, body: `{"name":"a","secret":1}`, wantStatus: 500, wantBody: "problem", outcome: record.Deny},
		{name: "reported", mode: ResponseReport, status: 201, body: `{"name":"a","secret":1}`, wantStatus: 201, outcome: record.Skip},
		{name: "too large, enforced", mode: ResponseEnforce, status: 201, body: `{"name":"` + strings.Repeat("a", 70) + `"}`, wantStatus: 500, wantBody: "problem", outcome: record.Deny},
		{name: "undeclared and empty, enforced", mode: ResponseEnforce, status: 204, body: "", wantStatus: 500, wantBody: "problem", outcome: record.Deny},
		{name: "undeclared and empty, reported", mode: ResponseReport, status: 204, body: "", wantStatus: 204, outcome: record.Skip},
		{name: "too large, reported", mode: ResponseReport, status: 201, body: `{"name":"` + strings.Repeat("a", 70) + `"}`, wantStatus: 201, outcome: record.Skip},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := telemetrytest.NewMetrics(t)
			var seen []string
			rs := newResponses(t, tt.mode, NewFailures(m), &seen)
			w := httptest.NewRecorder()
			r := httptest.NewRequest(http.MethodGet, "/items", nil)
			w2, r, rec := record.Install(w, r)
			rs.Serve(w2, r, rec, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/vnd.item+json")
				w.WriteHeader(tt.status)
				_, _ = io.WriteString(w, tt.body)
			}))
			if w.Code != tt.wantStatus {
				t.Errorf("status = %d, want %d", w.Code, tt.wantStatus)
			}
			switch got := w.Body.String(); {
			case tt.wantBody == "problem" && strings.Contains(got, "secret"):
				t.Errorf("the refused response leaked: %s", got)
			case tt.wantBody == "" && got != tt.body:
				t.Errorf("body = %s, want the handler's %s", got, tt.body)
			}
			if want := http.StatusText(tt.status) + " application/vnd.item+json"; len(seen) != 1 || seen[0] != want {
				t.Errorf("Schema saw %q, want [%q]", seen, want)
			}
			var got []record.Decision
			for _, d := range rec.Decisions() {
				if d.Package == "openapi" && d.Rule == "response" {
					got = append(got, d)
				}
			}
			failures := m.Series("apishield.validate.failures")["kind=response"]
			if tt.outcome == "" {
				if len(got) != 0 || failures != 0 {
					t.Errorf("decisions %+v, failures %v, want none", got, failures)
				}
				return
			}
			if len(got) != 1 || got[0].Outcome != tt.outcome || failures != 1 {
				t.Errorf("decisions %+v, failures %v, want one %s", got, failures, tt.outcome)
			}
		})
	}
}

func TestInputAttach(t *testing.T) {
	in := &Input{Raw: []byte(`{"a":1}`), Body: map[string]any{"a": json.Number("1")}, HasBody: true,
		Query: map[string]any{"q": "x"}}
	r := in.Attach(httptest.NewRequest(http.MethodPost, "/", strings.NewReader("ignored")))
	if FromContext(r.Context()) != in {
		t.Fatal("FromContext does not return the attached Input")
	}
	b, err := io.ReadAll(r.Body)
	if err != nil || string(b) != `{"a":1}` {
		t.Errorf("r.Body reads %q, %v; want the raw body", b, err)
	}
	if FromContext(context.Background()) != nil {
		t.Error("FromContext of an empty context is not nil")
	}
}

func TestKindOf(t *testing.T) {
	tests := []struct {
		name  string
		stage Kind
		err   error
		want  Kind
	}{
		{"schema", KindQuery, apierrors.New(422, apierrors.ReasonValidationFailed, "x"), KindQuery},
		{"scan limit", KindBody, AsProblem(&ScanError{Limit: "MaxDepth", Err: ErrLimit}), KindLimit},
		{"syntax", KindBody, AsProblem(&ScanError{Err: ErrSyntax}), KindBody},
		{"413", KindBody, apierrors.New(413, apierrors.ReasonPayloadTooLarge, "x"), KindLimit},
		{"query limit", KindQuery, apierrors.New(400, apierrors.ReasonMalformedRequest, "x").WithCause(ErrQueryLimit), KindLimit},
	}
	for _, tt := range tests {
		if got := KindOf(tt.stage, tt.err); got != tt.want {
			t.Errorf("%s: KindOf = %d, want %d", tt.name, got, tt.want)
		}
	}
}

// errTestInvalid stands for a caller's ErrInvalidConfig.
var errTestInvalid = errors.New("test: invalid config")

func TestCheckLimits(t *testing.T) {
	l, err := CheckLimits(Limits{MaxDepth: 3}, errTestInvalid)
	if err != nil || l.MaxDepth != 3 || l.MaxValues != DefaultMaxValues || l.MaxExponent != DefaultMaxExponent {
		t.Errorf("got %+v, %v; want MaxDepth 3 and the other defaults", l, err)
	}
	for name, bad := range map[string]Limits{"negative": {MaxArrayLength: -1}, "too deep": {MaxDepth: maxMaxDepth + 1}} {
		if _, err := CheckLimits(bad, errTestInvalid); !errors.Is(err, errTestInvalid) {
			t.Errorf("%s: err = %v, want one wrapping the caller's error", name, err)
		}
	}
}

func TestDeny(t *testing.T) {
	s := mustCompile(t, itemSchema)
	err := Validate(s, map[string]any{"name": "a", "price": json.Number("-1")}, apierrors.InBody, "", 20, nil)
	w := httptest.NewRecorder()
	w2, r, rec := record.Install(w, httptest.NewRequest(http.MethodPost, "/items", nil))
	Deny(w2, r, rec, "openapi", err)
	if w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), `"/price"`) {
		t.Errorf("response %d %s, want a 422 naming /price", w.Code, w.Body)
	}
	ds := rec.Decisions()
	if len(ds) != 1 || ds[0].Package != "openapi" || ds[0].Outcome != record.Deny || ds[0].Reason != apierrors.ReasonValidationFailed {
		t.Errorf("decisions = %+v, want one openapi deny", ds)
	}
	if fe := rec.FieldErrors(); len(fe) != 1 || fe[0].Pointer != "/price" || fe[0].In != apierrors.InBody {
		t.Errorf("field errors = %+v", fe)
	}

	// A scan refusal names the broken limit as the rule.
	w = httptest.NewRecorder()
	w2, r, rec = record.Install(w, httptest.NewRequest(http.MethodPost, "/items", nil))
	_, err = newBody(t, 64).Validate([]byte(`[[[[[1]]]]]`))
	Deny(w2, r, rec, "openapi", err)
	if ds := rec.Decisions(); w.Code != 400 || len(ds) != 1 || ds[0].Rule != "MaxDepth" {
		t.Errorf("status %d, decisions %+v; want 400 with rule MaxDepth", w.Code, ds)
	}
}
