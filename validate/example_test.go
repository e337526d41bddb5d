package validate_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
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
	// 400 malformed_request The body is not acceptable JSON: a number's exponent is out of range (limit MaxExponent = 400) at byte 22.
}

func ExampleConfig_query() {
	v := validate.MustNew(validate.Config{Query: []byte(`{
	  "type": "object", "additionalProperties": false,
	  "properties": {"limit": {"type": "integer", "minimum": 1, "maximum": 100}, "cursor": {"type": "string"}}
	}`)})
	h := v.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q, _ := validate.Query(r.Context())
		fmt.Printf("limit %v (%T), cursor %v\n", q["limit"], q["limit"], q["cursor"])
	}))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/v1/items?limit=20&cursor=abc", nil))
	rr := httptest.NewRecorder()
	h.ServeHTTP(rr, httptest.NewRequest("GET", "/v1/items?limit=500", nil))
	fmt.Println(rr.Code)
	// Output:
	// limit 20 (json.Number), cursor abc
	// 422
}
