package validate_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"

	apierrors "github.com/apishield/apishield/errors"
	"github.com/apishield/apishield/validate"
)

const querySchema = `{
  "type": "object",
  "additionalProperties": false,
  "properties": {
    "limit":  {"type": "integer", "minimum": 1, "maximum": 100},
    "ratio":  {"type": "number"},
    "active": {"type": "boolean"},
    "ids":    {"type": "array", "maxItems": 3, "items": {"type": "integer"}},
    "q":      {"type": "string", "maxLength": 5},
    "when":   {"type": "string", "format": "date-time"}
  }
}`

// where names a field error's place as in:pointer, to compare in one string.
func where(e apierrors.FieldError) string { return e.In + ":" + e.Pointer }

func TestQuery(t *testing.T) {
	t.Parallel()
	v := validate.MustNew(validate.Config{Query: []byte(querySchema)})
	tests := []struct {
		query    string
		status   int
		want     map[string]any
		pointers []string
	}{
		{"", 200, map[string]any{}, nil},
		{"limit=10&ratio=0.5&active=true&ids=1&ids=2&q=abc", 200, map[string]any{
			"limit": json.Number("10"), "ratio": json.Number("0.5"), "active": true,
			"ids": []any{json.Number("1"), json.Number("2")}, "q": "abc"}, nil},
		{"q=123", 200, map[string]any{"q": "123"}, nil}, // a string stays a string
		{"limit=0", 422, nil, []string{"query:/limit"}},
		{"limit=abc", 422, nil, []string{"query:/limit"}},
		{"limit=1.5", 422, nil, []string{"query:/limit"}},
		{"limit=1e999999", 422, nil, []string{"query:/limit"}},
		{"active=yes", 422, nil, []string{"query:/active"}},
		{"ids=1&ids=x", 422, nil, []string{"query:/ids/1"}},
		{"ids=1&ids=2&ids=3&ids=4", 422, nil, []string{"query:/ids"}},
		{"limit=1&limit=2", 422, nil, []string{"query:/limit"}},
		{"when=yesterday", 422, nil, []string{"query:/when"}},
		{"debug=1", 422, nil, []string{"query:/debug"}},
		{"q=%zz", 400, nil, nil},
		{"q=%ff", 400, nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.query, func(t *testing.T) {
			t.Parallel()
			var got map[string]any
			h := apierrors.Recover(v.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				got, _ = validate.Query(r.Context())
			})))
			rr := httptest.NewRecorder()
			h.ServeHTTP(rr, httptest.NewRequest("GET", "/v1/items?"+tc.query, nil))
			if rr.Code != tc.status {
				t.Fatalf("status = %d, want %d; %s", rr.Code, tc.status, rr.Body)
			}
			if tc.want != nil && !reflect.DeepEqual(got, tc.want) {
				t.Errorf("query = %#v, want %#v", got, tc.want)
			}
			if tc.pointers != nil {
				var p problemBody
				json.Unmarshal(rr.Body.Bytes(), &p)
				var ptrs []string
				for _, e := range p.Errors {
					ptrs = append(ptrs, where(e))
				}
				if !reflect.DeepEqual(ptrs, tc.pointers) {
					t.Errorf("pointers = %v, want %v (%s)", ptrs, tc.pointers, rr.Body)
				}
			}
			if strings.Contains(rr.Body.String(), "yesterday") {
				t.Errorf("response echoes the value: %s", rr.Body)
			}
		})
	}
}

const pathSchema = `{"type":"object","required":["id"],
  "properties":{"id":{"type":"integer","minimum":1},"slug":{"type":"string","pattern":"^[a-z-]+$"}}}`

// TestPathServeMux reads path parameters through r.PathValue, the default.
func TestPathServeMux(t *testing.T) {
	t.Parallel()
	v := validate.MustNew(validate.Config{Path: []byte(pathSchema)})
	var got map[string]any
	mux := http.NewServeMux()
	mux.Handle("GET /items/{id}/{slug}", v.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, _ = validate.PathParams(r.Context())
	})))
	h := apierrors.Recover(mux)
	for _, tc := range []struct {
		path   string
		status int
		want   map[string]any
	}{
		{"/items/42/red-pen", 200, map[string]any{"id": json.Number("42"), "slug": "red-pen"}},
		{"/items/0/red-pen", 422, nil},
		{"/items/abc/red-pen", 422, nil},
		{"/items/1/Red_Pen", 422, nil},
	} {
		got = nil
		rr := httptest.NewRecorder()
		h.ServeHTTP(rr, httptest.NewRequest("GET", tc.path, nil))
		if rr.Code != tc.status || (tc.want != nil && !reflect.DeepEqual(got, tc.want)) {
			t.Errorf("%s: status %d params %#v, want %d %#v; %s", tc.path, rr.Code, got, tc.status, tc.want, rr.Body)
		}
	}
}

// TestPathChi reads path parameters through chi.URLParam, as doc.go shows.
func TestPathChi(t *testing.T) {
	t.Parallel()
	v := validate.MustNew(validate.Config{Path: []byte(pathSchema),
		PathParam: func(r *http.Request, name string) string { return chi.URLParam(r, name) }})
	r := chi.NewRouter()
	r.Use(apierrors.Recover)
	var got map[string]any
	r.With(v.Handler).Get("/items/{id}/{slug}", func(w http.ResponseWriter, r *http.Request) {
		got, _ = validate.PathParams(r.Context())
	})
	rr := httptest.NewRecorder()
	r.ServeHTTP(rr, httptest.NewRequest("GET", "/items/7/pen", nil))
	if rr.Code != 200 || !reflect.DeepEqual(got, map[string]any{"id": json.Number("7"), "slug": "pen"}) {
		t.Fatalf("status %d params %#v; %s", rr.Code, got, rr.Body)
	}
	rr = httptest.NewRecorder()
	r.ServeHTTP(rr, httptest.NewRequest("GET", "/items/-7/pen", nil))
	if rr.Code != 422 || !strings.Contains(rr.Body.String(), `{"in":"path","pointer":"/id",`) {
		t.Fatalf("status %d, want 422 at path:/id; %s", rr.Code, rr.Body)
	}
}

func TestHeaders(t *testing.T) {
	t.Parallel()
	v := validate.MustNew(validate.Config{Header: []byte(`{"type":"object","required":["X-Tenant"],
	  "properties":{"X-Tenant":{"type":"string","format":"uuid"},"x-page-size":{"type":"integer","maximum":50}}}`)})
	var got map[string]any
	h := apierrors.Recover(v.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, _ = validate.Headers(r.Context())
	})))
	req := httptest.NewRequest("GET", "/", nil)
	req.Header.Set("x-tenant", "9b2d3c4e-5f60-4a1b-8c2d-3e4f5a6b7c8d")
	req.Header.Set("X-Page-Size", "20")
	req.Header.Set("X-Other", "ignored")
	rr := httptest.NewRecorder()
	h.ServeHTTP(rr, req)
	want := map[string]any{"X-Tenant": "9b2d3c4e-5f60-4a1b-8c2d-3e4f5a6b7c8d", "x-page-size": json.Number("20")}
	if rr.Code != 200 || !reflect.DeepEqual(got, want) {
		t.Fatalf("status %d headers %#v, want %#v; %s", rr.Code, got, want, rr.Body)
	}
	req = httptest.NewRequest("GET", "/", nil)
	req.Header.Set("X-Page-Size", "99")
	rr = httptest.NewRecorder()
	h.ServeHTTP(rr, req)
	var p problemBody
	json.Unmarshal(rr.Body.Bytes(), &p)
	if rr.Code != 422 || len(p.Errors) != 2 || where(p.Errors[0]) != "header:/X-Tenant" || where(p.Errors[1]) != "header:/x-page-size" {
		t.Fatalf("status %d errors %+v, want 422 at header:/X-Tenant and header:/x-page-size", rr.Code, p.Errors)
	}
}

// TestStackedValidators: a route group's query validator and a route's body
// validator both leave their values in the context.
func TestStackedValidators(t *testing.T) {
	t.Parallel()
	q := validate.MustNew(validate.Config{Query: []byte(querySchema)})
	b := validate.MustNew(validate.Config{Body: []byte(itemSchema)})
	var query map[string]any
	var body any
	h := q.Handler(b.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		query, _ = validate.Query(r.Context())
		body, _ = validate.Body(r.Context())
	})))
	rr := httptest.NewRecorder()
	h.ServeHTTP(rr, post(`{"name":"a","price":1}`, "application/json"))
	req := post(`{"name":"a","price":1}`, "application/json")
	req.URL.RawQuery = "limit=5"
	h.ServeHTTP(rr, req)
	if query["limit"] != json.Number("5") || body == nil {
		t.Fatalf("query %v body %v: an inner validator lost the outer one's values", query, body)
	}
}

const numbersSchema = `{
  "type": "object",
  "additionalProperties": false,
  "properties": {
    "n":      {"type": "integer"},
    "x":      {"type": "number"},
    "pos":    {"type": "number", "exclusiveMinimum": 0},
    "b":      {"type": "boolean"},
    "ids":    {"type": "array", "items": {"type": "integer"}},
    "either": {"type": ["integer", "number"]}
  }
}`

// TestParamNumbers: an integer parameter reaches the handler in plain
// decimal whatever JSON form it was sent in, so Int64 reads it; one that
// is not an integer, or that no int64 holds, is refused with a 422 at the
// parameter. A number parameter is its float64, and one beyond float64's
// range is refused. Nothing but exactly one JSON number is a number.
func TestParamNumbers(t *testing.T) {
	t.Parallel()
	v := validate.MustNew(validate.Config{Query: []byte(numbersSchema)})
	tests := []struct {
		name, query string
		want        any    // the value the handler gets for the one parameter sent
		pointer     string // for a 422, where
		detail      string // for a 422, what (if not the schema's)
	}{
		{"integer 1e1", "n=1e1", json.Number("10"), "", ""},
		{"integer 5.0", "n=5.0", json.Number("5"), "", ""},
		{"integer 100e-2", "n=100e-2", json.Number("1"), "", ""},
		{"integer 0.2E1", "n=0.2E1", json.Number("2"), "", ""},
		{"integer -0", "n=-0", json.Number("0"), "", ""},
		{"integer max", "n=9223372036854775807", json.Number("9223372036854775807"), "", ""},
		{"integer min", "n=-9.223372036854775808e18", json.Number("-9223372036854775808"), "", ""},
		{"integer 1.5", "n=1.5", nil, "query:/n", "must be integer"},
		{"integer 1e-1", "n=1e-1", nil, "query:/n", "must be integer"},
		{"integer max+1", "n=9223372036854775808", nil, "query:/n", "must be an integer from -9223372036854775808 to 9223372036854775807"},
		{"integer 1e19", "n=1e19", nil, "query:/n", "must be an integer from -9223372036854775808 to 9223372036854775807"},
		{"integer 1e400", "n=1e400", nil, "query:/n", "must be an integer from -9223372036854775808 to 9223372036854775807"},
		{"integer 1e999 (past MaxExponent)", "n=1e999", nil, "query:/n", "must be integer"},
		{"integer +5", "n=%2B5", nil, "query:/n", "must be integer"},
		{"integer 0x10", "n=0x10", nil, "query:/n", "must be integer"},
		{"integer 010", "n=010", nil, "query:/n", "must be integer"},
		{"integer with space", "n=%205", nil, "query:/n", "must be integer"},
		{"integer NaN", "n=NaN", nil, "query:/n", "must be integer"},
		{"integer empty", "n=", nil, "query:/n", "must be integer"},

		{"number 0.5", "x=0.5", json.Number("0.5"), "", ""},
		{"number 1e1", "x=1e1", json.Number("10"), "", ""},
		{"number 1e21", "x=1e21", json.Number("1e+21"), "", ""},
		{"number 1e-7", "x=1e-7", json.Number("1e-07"), "", ""},
		{"number max", "x=1.7976931348623157e308", json.Number("1.7976931348623157e+308"), "", ""},
		{"number 1e-400 is 0", "x=1e-400", json.Number("0"), "", ""},
		{"number 1e-400 is not > 0", "pos=1e-400", nil, "query:/pos", "must be > 0"},
		{"number 1e400", "x=1e400", nil, "query:/x", "must be a number from -1.7976931348623157e308 to 1.7976931348623157e308"},
		{"number -1.8e308", "x=-1.8e308", nil, "query:/x", "must be a number from -1.7976931348623157e308 to 1.7976931348623157e308"},
		{"number 1e999", "x=1e999", nil, "query:/x", "must be number"},
		{"number NaN", "x=NaN", nil, "query:/x", "must be number"},
		{"number Infinity", "x=Infinity", nil, "query:/x", "must be number"},
		{"number 0x10", "x=0x10", nil, "query:/x", "must be number"},
		{"number +5", "x=%2B5", nil, "query:/x", "must be number"},
		{"number 05", "x=05", nil, "query:/x", "must be number"},
		{"number with space", "x=1%20", nil, "query:/x", "must be number"},

		{"boolean true", "b=true", true, "", ""},
		{"boolean True", "b=True", nil, "query:/b", "must be boolean"},
		{"boolean 1", "b=1", nil, "query:/b", "must be boolean"},

		{"integer array", "ids=1e0&ids=2.0&ids=30e-1", []any{json.Number("1"), json.Number("2"), json.Number("3")}, "", ""},
		{"integer array, one too large", "ids=1&ids=1e19", nil, "query:/ids/1", "must be an integer from -9223372036854775808 to 9223372036854775807"},
		{"integer array, one fraction", "ids=1&ids=1.5", nil, "query:/ids/1", "must be integer"},

		{"integer or number, integral", "either=1e1", json.Number("10"), "", ""},
		{"integer or number, beyond int64", "either=1e30", json.Number("1e+30"), "", ""},
		{"integer or number, fraction", "either=1.5", json.Number("1.5"), "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var got validate.Params
			h := apierrors.Recover(v.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				got, _ = validate.Query(r.Context())
			})))
			rr := httptest.NewRecorder()
			h.ServeHTTP(rr, httptest.NewRequest("GET", "/?"+tc.query, nil))
			if tc.pointer == "" {
				name, _, _ := strings.Cut(tc.query, "=")
				if rr.Code != 200 || !reflect.DeepEqual(got[name], tc.want) {
					t.Fatalf("status %d, %s = %#v; want 200, %#v; %s", rr.Code, name, got[name], tc.want, rr.Body)
				}
				return
			}
			var p problemBody
			json.Unmarshal(rr.Body.Bytes(), &p)
			if rr.Code != 422 || len(p.Errors) != 1 || where(p.Errors[0]) != tc.pointer || p.Errors[0].Detail != tc.detail {
				t.Fatalf("status %d errors %+v; want 422 with one error at %s: %q", rr.Code, p.Errors, tc.pointer, tc.detail)
			}
		})
	}
}

// TestParamsAccessors reads each coerced type back with its accessor, and
// reports a missing or differently typed parameter as not ok.
func TestParamsAccessors(t *testing.T) {
	t.Parallel()
	v := validate.MustNew(validate.Config{Query: []byte(numbersSchema)})
	var q validate.Params
	h := v.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q, _ = validate.Query(r.Context())
	}))
	rr := httptest.NewRecorder()
	h.ServeHTTP(rr, httptest.NewRequest("GET", "/?n=1e1&x=2.5e0&b=false&ids=1&ids=2e0", nil))
	if rr.Code != 200 {
		t.Fatalf("status %d: %s", rr.Code, rr.Body)
	}
	if n, ok := q.Int64("n"); n != 10 || !ok {
		t.Errorf("Int64(n) = %d, %v; want 10, true", n, ok)
	}
	if x, ok := q.Float64("x"); x != 2.5 || !ok {
		t.Errorf("Float64(x) = %g, %v; want 2.5, true", x, ok)
	}
	if b, ok := q.Bool("b"); b || !ok {
		t.Errorf("Bool(b) = %v, %v; want false, true", b, ok)
	}
	if ids, ok := q.Int64s("ids"); !reflect.DeepEqual(ids, []int64{1, 2}) || !ok {
		t.Errorf("Int64s(ids) = %v, %v; want [1 2], true", ids, ok)
	}
	if x, ok := q.Int64("x"); ok {
		t.Errorf("Int64 of the number 2.5 = %d, true; want not ok", x)
	}
	for _, name := range []string{"either", "missing"} {
		if _, ok := q.Int64(name); ok {
			t.Errorf("Int64(%s) ok for an absent parameter", name)
		}
		if _, ok := q.Float64(name); ok {
			t.Errorf("Float64(%s) ok for an absent parameter", name)
		}
		if _, ok := q.Bool(name); ok {
			t.Errorf("Bool(%s) ok for an absent parameter", name)
		}
		if _, ok := q.Int64s(name); ok {
			t.Errorf("Int64s(%s) ok for an absent parameter", name)
		}
	}
	if _, ok := q.Int64s("n"); ok {
		t.Error("Int64s of a single integer is ok; want not ok")
	}
	var none validate.Params // what Query gives when no Validator ran
	if _, ok := none.Int64("n"); ok {
		t.Error("Int64 on nil Params is ok")
	}
}

// TestPathAndHeaderNumbers: path parameters and headers are coerced like
// the query: normalised, or refused at their pointer.
func TestPathAndHeaderNumbers(t *testing.T) {
	t.Parallel()
	v := validate.MustNew(validate.Config{
		Path:   []byte(`{"type":"object","properties":{"id":{"type":"integer","minimum":1}}}`),
		Header: []byte(`{"type":"object","properties":{"X-Page":{"type":"integer"}}}`),
	})
	mux := http.NewServeMux()
	var id, page int64
	var idOK, pageOK bool
	mux.Handle("GET /items/{id}", v.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, _ := validate.PathParams(r.Context())
		hd, _ := validate.Headers(r.Context())
		id, idOK = p.Int64("id")
		page, pageOK = hd.Int64("X-Page")
	})))
	h := apierrors.Recover(mux)
	for _, tc := range []struct {
		name, path, page string
		status           int
		id, pg           int64
		pointer          string
	}{
		{"plain", "/items/7", "2", 200, 7, 2, ""},
		{"exponent forms", "/items/7e0", "20e-1", 200, 7, 2, ""},
		{"zero fractions", "/items/7.0", "2.00", 200, 7, 2, ""},
		{"id fraction", "/items/7.5", "2", 422, 0, 0, "path:/id"},
		{"id too large", "/items/1e19", "2", 422, 0, 0, "path:/id"},
		{"page too large", "/items/7", "9223372036854775808", 422, 0, 0, "header:/X-Page"},
		{"page fraction", "/items/7", "1e-1", 422, 0, 0, "header:/X-Page"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id, page, idOK, pageOK = 0, 0, false, false
			req := httptest.NewRequest("GET", tc.path, nil)
			req.Header.Set("X-Page", tc.page)
			rr := httptest.NewRecorder()
			h.ServeHTTP(rr, req)
			if rr.Code != tc.status {
				t.Fatalf("status %d, want %d; %s", rr.Code, tc.status, rr.Body)
			}
			if tc.status == 200 {
				if id != tc.id || page != tc.pg || !idOK || !pageOK {
					t.Errorf("id %d (%v), page %d (%v); want %d and %d", id, idOK, page, pageOK, tc.id, tc.pg)
				}
				return
			}
			var p problemBody
			json.Unmarshal(rr.Body.Bytes(), &p)
			if len(p.Errors) != 1 || where(p.Errors[0]) != tc.pointer {
				t.Errorf("errors %+v, want one at %s", p.Errors, tc.pointer)
			}
		})
	}
}
