package validate_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"

	apierrors "github.com/apishield/apishield/errors"
	"github.com/apishield/apishield/validate"
)

func Example() {
	v, err := validate.New(validate.Config{Body: []byte(`{
	  "type": "object", "additionalProperties": false, "required": ["name", "price"],
	  "properties": {"name": {"type": "string", "minLength": 1}, "price": {"type": "number", "minimum": 0}}
	}`)})
	if err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	mux.Handle("POST /v1/items", v.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := validate.Body(r.Context()) // decoded once, already valid
		price := body.(map[string]any)["price"].(json.Number)
		fmt.Fprintf(w, "created at %s\n", price)
	})))
	h := apierrors.Recover(mux)

	for _, body := range []string{`{"name":"pen","price":3}`, `{"price":-1}`, `{"name":"pen","price":1e999999}`} {
		req := httptest.NewRequest("POST", "/v1/items", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rr := httptest.NewRecorder()
		h.ServeHTTP(rr, req)
		var p struct {
			Reason string                 `json:"reason"`
			Detail string                 `json:"detail"`
			Errors []apierrors.FieldError `json:"errors"`
		}
		json.Unmarshal(rr.Body.Bytes(), &p)
		if rr.Code < 400 {
			fmt.Print(rr.Code, " ", rr.Body)
			continue
		}
		fmt.Println(rr.Code, p.Reason, p.Detail)
		for _, e := range p.Errors {
			fmt.Printf("  %s %s (%s)\n", e.Pointer, e.Detail, e.Keyword)
		}
	}
	// Output:
	// 200 created at 3
	// 422 validation_failed The request does not match its schema.
	//   /name is required (required)
	//   /price must be >= 0 (minimum)
	// 400 malformed_request The body is not acceptable JSON: a number's exponent is out of range (the limit is 400 in absolute value) at byte 22.
}

func ExampleConfig_query() {
	v := validate.MustNew(validate.Config{Query: []byte(`{
	  "type": "object", "additionalProperties": false,
	  "properties": {"limit": {"type": "integer", "minimum": 1, "maximum": 100}, "cursor": {"type": "string"}}
	}`)})
	h := v.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q, _ := validate.Query(r.Context())
		limit, ok := q.Int64("limit") // never a parse: the Validator coerced it
		if !ok {
			limit = 20
		}
		cursor, _ := q["cursor"].(string)
		fmt.Printf("limit %d, cursor %q\n", limit, cursor)
	}))
	for _, query := range []string{"limit=50&cursor=abc", "limit=1e1", "", "limit=500", "limit=1.5", "limit=1e19"} {
		rr := httptest.NewRecorder()
		h.ServeHTTP(rr, httptest.NewRequest("GET", "/v1/items?"+query, nil))
		if rr.Code != http.StatusOK {
			fmt.Println(query, rr.Code)
		}
	}
	// Output:
	// limit 50, cursor "abc"
	// limit 10, cursor ""
	// limit 20, cursor ""
	// limit=500 422
	// limit=1.5 422
	// limit=1e19 422
}

// Int64 reads a number the Validator decoded, in whatever JSON form the
// client wrote it; json.Number's own method accepts only the plain one.
func ExampleInt64() {
	for _, n := range []json.Number{"10", "1.0", "1e1", "1.5", "1e19"} {
		i, ok := validate.Int64(n)
		_, err := n.Int64()
		fmt.Printf("%-4s Int64 %d %v, json.Number.Int64 error: %v\n", n, i, ok, err != nil)
	}
	// Output:
	// 10   Int64 10 true, json.Number.Int64 error: false
	// 1.0  Int64 1 true, json.Number.Int64 error: true
	// 1e1  Int64 10 true, json.Number.Int64 error: true
	// 1.5  Int64 0 false, json.Number.Int64 error: true
	// 1e19 Int64 0 false, json.Number.Int64 error: true
}

// A BodyLimit bounds the body of every route, including those with no
// validator, such as this GET.
func ExampleBodyLimit() {
	limit, err := validate.NewBodyLimit(validate.BodyLimitConfig{MaxBytes: 1 << 10})
	if err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/items", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "items")
	})
	h := apierrors.Recover(limit.Handler(mux))
	for _, size := range []int{0, 1 << 10, 5 << 20} {
		rr := httptest.NewRecorder()
		h.ServeHTTP(rr, httptest.NewRequest("GET", "/v1/items", strings.NewReader(strings.Repeat("x", size))))
		fmt.Println(size, rr.Code)
	}
	// Output:
	// 0 200
	// 1024 200
	// 5242880 413
}

// NewItem is what the create handler reads the body into.
type NewItem struct {
	Name  string   `json:"name"`
	Price float64  `json:"price"`
	Stock int16    `json:"stock"`
	Tags  []string `json:"tags"`
}

func ExampleDecode() {
	v := validate.MustNew(validate.Config{
		Body: []byte(`{"type": "object", "additionalProperties": false, "required": ["name", "price"],
		  "properties": {"name": {"type": "string"}, "price": {"type": "number", "minimum": 0},
		    "stock": {"type": "integer", "minimum": 0}, "tags": {"type": "array", "items": {"type": "string"}}}}`),
		BodyType: reflect.TypeFor[NewItem](), // checked here, at start-up
	})
	h := apierrors.Recover(v.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		item, err := validate.Decode[NewItem](r.Context())
		if err != nil {
			apierrors.Write(w, r, err)
			return
		}
		fmt.Fprintf(w, "%+v\n", item)
	})))
	for _, body := range []string{`{"name":"pen","price":3,"stock":1e1,"tags":["ink"]}`, `{"name":"pen","price":3,"stock":40000}`} {
		req := httptest.NewRequest("POST", "/v1/items", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rr := httptest.NewRecorder()
		h.ServeHTTP(rr, req)
		if rr.Code < 400 {
			fmt.Print(rr.Code, " ", rr.Body)
			continue
		}
		var p struct{ Errors []apierrors.FieldError }
		json.Unmarshal(rr.Body.Bytes(), &p)
		fmt.Printf("%d in %s at %s: %s\n", rr.Code, p.Errors[0].In, p.Errors[0].Pointer, p.Errors[0].Detail)
	}
	// Output:
	// 200 {Name:pen Price:3 Stock:10 Tags:[ink]}
	// 422 in body at /stock: must be an integer from -32768 to 32767
}
