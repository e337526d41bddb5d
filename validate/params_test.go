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
					ptrs = append(ptrs, e.Pointer)
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
	if rr.Code != 422 || !strings.Contains(rr.Body.String(), `"path:/id"`) {
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
	if rr.Code != 422 || len(p.Errors) != 2 || p.Errors[0].Pointer != "header:/X-Tenant" || p.Errors[1].Pointer != "header:/x-page-size" {
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
