package validate_test

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/apishield/apishield/internal/schemacheck"
	"github.com/apishield/apishield/validate"
)

// TestCarrier shows a handler reads, with validate's functions, what
// another middleware (package openapi) checked and put in the context
// through schemacheck, with no Validator: Decode checks its type against
// the schema that checked the body.
func TestCarrier(t *testing.T) {
	type item struct {
		Name  string  `json:"name"`
		Price float64 `json:"price"`
	}
	type wrong struct {
		Name int `json:"name"`
	}
	sch, err := schemacheck.NewCompiler(nil, true).Compile("item", []byte(`{"type":"object",
		"properties":{"name":{"type":"string"},"price":{"type":"number"}},"additionalProperties":false}`), true)
	if err != nil {
		t.Fatal(err)
	}
	lim, err := schemacheck.CheckLimits(validate.Limits{}, validate.ErrInvalidConfig)
	if err != nil {
		t.Fatal(err)
	}
	body := schemacheck.NewBody(sch, lim, 1<<10, 20, nil)
	raw := []byte(`{"name":"pen","price":1.5}`)
	doc, err := body.Validate(raw)
	if err != nil {
		t.Fatal(err)
	}
	in := &schemacheck.Input{Raw: raw, Body: doc, HasBody: true, Check: body,
		Query: map[string]any{"limit": json.Number("10")}, Path: map[string]any{"id": "7"}}

	var ran bool
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ran = true
		ctx := r.Context()
		if b, ok := validate.Body(ctx); !ok || b.(map[string]any)["name"] != "pen" {
			t.Errorf("Body = %#v, %v", b, ok)
		}
		if got := string(validate.RawBody(ctx)); got != string(raw) {
			t.Errorf("RawBody = %s", got)
		}
		if got, _ := io.ReadAll(r.Body); string(got) != string(raw) {
			t.Errorf("r.Body reads %s", got)
		}
		it, err := validate.Decode[item](ctx)
		if err != nil || it != (item{Name: "pen", Price: 1.5}) {
			t.Errorf("Decode = %+v, %v", it, err)
		}
		if _, err := validate.Decode[wrong](ctx); !errors.Is(err, validate.ErrBodyType) {
			t.Errorf("Decode of a type that does not fit: err = %v, want ErrBodyType", err)
		}
		if q, ok := validate.Query(ctx); !ok || func() bool { n, ok := q.Int64("limit"); return !ok || n != 10 }() {
			t.Errorf("Query = %v, %v", q, ok)
		}
		if p, ok := validate.PathParams(ctx); !ok || p["id"] != "7" {
			t.Errorf("PathParams = %v, %v", p, ok)
		}
		if _, ok := validate.Headers(ctx); ok {
			t.Error("Headers is ok, but none were set")
		}
	})
	h.ServeHTTP(httptest.NewRecorder(), in.Attach(httptest.NewRequest(http.MethodPost, "/", strings.NewReader("x"))))
	if !ran {
		t.Fatal("handler did not run")
	}

	// Without Check, Decode has nothing to check its type against.
	noCheck := &schemacheck.Input{Raw: raw, Body: doc, HasBody: true}
	r := noCheck.Attach(httptest.NewRequest(http.MethodPost, "/", nil))
	if _, err := validate.Decode[item](r.Context()); !errors.Is(err, validate.ErrNoBody) {
		t.Errorf("Decode without Check: err = %v, want ErrNoBody", err)
	}
}
