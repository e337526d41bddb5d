package validate_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	apierrors "github.com/apishield/apishield/errors"
	"github.com/apishield/apishield/validate"
)

const orderSchema = `{
  "type": "object", "additionalProperties": false, "required": ["sku", "qty"],
  "properties": {
    "sku":     {"type": "string", "minLength": 1},
    "qty":     {"type": "integer", "minimum": 1},
    "price":   {"type": "number"},
    "exact":   {"type": "number"},
    "small":   {"type": "integer"},
    "count":   {"type": "integer"},
    "ratio":   {"type": "number"},
    "tags":    {"type": "array", "items": {"type": "string"}},
    "when":    {"type": "string", "format": "date-time"},
    "note":    {"type": ["string", "null"]},
    "extra":   {},
    "blob":    {"type": "string", "contentEncoding": "base64"},
    "pair":    {"type": "array", "items": {"type": "integer"}},
    "ship":    {"type": "object", "additionalProperties": false, "required": ["city"],
                "properties": {"city": {"type": "string"}, "zip": {"type": "string"}}},
    "attrs":   {"type": "object", "unevaluatedProperties": false, "patternProperties": {"^[a-z/]+$": {"type": "integer"}}}
  }
}`

type address struct {
	City string `json:"city"`
	Zip  string `json:"zip"`
}

type audit struct {
	Note *string `json:"note"`
}

type order struct {
	SKU   string         `json:"sku"`
	Qty   int            `json:"qty"`
	Price float64        `json:"price"`
	Exact json.Number    `json:"exact"`
	Small int8           `json:"small"`
	Count uint8          `json:"count"`
	Ratio float32        `json:"ratio"`
	Tags  []string       `json:"tags"`
	When  time.Time      `json:"when"`
	Extra any            `json:"extra"`
	Blob  []byte         `json:"blob"`
	Pair  [2]int         `json:"pair"`
	Ship  *address       `json:"ship"`
	Attrs map[string]int `json:"attrs"`
	audit                // promotes note
	Owner string         `json:"owner"` // not in the schema: a client cannot set it
}

// decodeVia runs body through v and returns what Decode[T] gave the
// handler, the response, and whether the handler ran.
func decodeVia[T any](t *testing.T, v *validate.Validator, body string) (got T, rr *httptest.ResponseRecorder, ran bool, decodeErr error) {
	t.Helper()
	rr = httptest.NewRecorder()
	apierrors.Recover(v.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ran = true
		got, decodeErr = validate.Decode[T](r.Context())
		if decodeErr != nil {
			apierrors.Write(w, r, decodeErr)
		}
	}))).ServeHTTP(rr, post(body, "application/json"))
	return got, rr, ran, decodeErr
}

func TestDecode(t *testing.T) {
	t.Parallel()
	body := `{"sku":"pen","qty":1e1,"price":2.50,"exact":2.50,"small":-128,"count":255,"ratio":0.5,
	  "tags":["a","b"],"when":"2026-11-24T08:15:27Z","note":"gift","extra":{"k":[1,"x"]},"blob":"aGk=",
	  "pair":[1,2.0],"ship":{"city":"Oslo"},"attrs":{"w":3}}`
	note := "gift"
	want := order{SKU: "pen", Qty: 10, Price: 2.5, Exact: "2.50", Small: -128, Count: 255, Ratio: 0.5,
		Tags: []string{"a", "b"}, When: time.Date(2026, 11, 24, 8, 15, 27, 0, time.UTC),
		Extra: map[string]any{"k": []any{json.Number("1"), "x"}}, Blob: []byte("hi"), Pair: [2]int{1, 2},
		Ship: &address{City: "Oslo"}, Attrs: map[string]int{"w": 3}, audit: audit{Note: &note}}
	for _, typed := range []bool{false, true} {
		t.Run(fmt.Sprint("BodyType ", typed), func(t *testing.T) {
			t.Parallel()
			cfg := validate.Config{Body: []byte(orderSchema)}
			if typed {
				cfg.BodyType = reflect.TypeFor[order]()
			}
			v := validate.MustNew(cfg)
			got, rr, _, err := decodeVia[order](t, v, body)
			if err != nil || !reflect.DeepEqual(got, want) {
				t.Fatalf("Decode = %+v, %v\nwant     %+v; %s", got, err, want, rr.Body)
			}
			// The pointer form, and a second call that sees its own copy.
			var first, second *order
			h := v.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				first, _ = validate.Decode[*order](r.Context())
				first.Extra.(map[string]any)["k"] = "changed"
				second, _ = validate.Decode[*order](r.Context())
				b, _ := validate.Body(r.Context())
				if _, ok := b.(map[string]any)["extra"].(map[string]any)["k"].([]any); !ok {
					t.Errorf("changing a decoded value changed Body: %v", b)
				}
			}))
			h.ServeHTTP(httptest.NewRecorder(), post(body, "application/json"))
			if first == nil || second == nil || !reflect.DeepEqual(second.Ship, want.Ship) {
				t.Fatalf("Decode[*order] = %+v, %+v", first, second)
			}
			if _, ok := second.Extra.(map[string]any)["k"].([]any); !ok {
				t.Errorf("a second Decode saw the first one's change: %v", second.Extra)
			}
		})
	}
}

// TestDecodeRefuses: a value the schema allows but the field cannot hold
// is a 422 at its pointer, from the middleware with BodyType (the handler
// never runs) and from Decode without.
func TestDecodeRefuses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, body, pointer, detail string
	}{
		{"int8 over", `{"sku":"a","qty":1,"small":128}`, "/small", "must be an integer from -128 to 127"},
		{"int8 under", `{"sku":"a","qty":1,"small":-129}`, "/small", "must be an integer from -128 to 127"},
		{"int beyond int64", `{"sku":"a","qty":1e19}`, "/qty", "must be an integer from -9223372036854775808 to 9223372036854775807"},
		{"uint8 negative", `{"sku":"a","qty":1,"count":-1}`, "/count", "must be an integer from 0 to 255"},
		{"uint8 over", `{"sku":"a","qty":1,"count":256}`, "/count", "must be an integer from 0 to 255"},
		{"float32 over", `{"sku":"a","qty":1,"ratio":1e39}`, "/ratio", "must be a number from -3.4028234663852886e+38 to 3.4028234663852886e+38"},
		{"float64 over", `{"sku":"a","qty":1,"price":1e400}`, "/price", "must be a number from -1.7976931348623157e+308 to 1.7976931348623157e+308"},
		{"array too long", `{"sku":"a","qty":1,"pair":[1,2,3]}`, "/pair", "must have at most 2 items"},
		{"base64", `{"sku":"a","qty":1,"blob":"%%%"}`, "/blob", "must be base64"},
		{"nested map value", `{"sku":"a","qty":1,"attrs":{"a/b":1e19}}`, "/attrs/a~1b", "must be an integer from -9223372036854775808 to 9223372036854775807"},
	}
	lazy := validate.MustNew(validate.Config{Body: []byte(orderSchema)})
	typed := validate.MustNew(validate.Config{Body: []byte(orderSchema), BodyType: reflect.TypeFor[order]()})
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			for _, v := range []*validate.Validator{lazy, typed} {
				_, rr, ran, err := decodeVia[order](t, v, tc.body)
				var p problemBody
				json.Unmarshal(rr.Body.Bytes(), &p)
				if rr.Code != 422 || len(p.Errors) != 1 || p.Errors[0].In != "body" || p.Errors[0].Pointer != tc.pointer || p.Errors[0].Detail != tc.detail {
					t.Fatalf("status %d errors %+v, want 422 at %s: %q; %s", rr.Code, p.Errors, tc.pointer, tc.detail, rr.Body)
				}
				if v == typed && ran {
					t.Errorf("with BodyType the handler ran")
				}
				if v == lazy {
					var prob *apierrors.Problem
					if !errors.As(err, &prob) || prob.Status != 422 {
						t.Errorf("Decode error %v, want a 422 problem", err)
					}
				}
			}
		})
	}
}

func TestDecodeUint64(t *testing.T) {
	t.Parallel()
	v := validate.MustNew(validate.Config{Body: []byte(`{"type":"object","additionalProperties":false,"properties":{"n":{"type":"integer"}}}`)})
	type big struct {
		N uint64 `json:"n"`
	}
	got, _, _, err := decodeVia[big](t, v, `{"n":1.8446744073709551615e19}`)
	if err != nil || got.N != 1<<64-1 {
		t.Errorf("Decode = %d, %v; want %d", got.N, err, uint64(1<<64-1))
	}
	if _, rr, _, err := decodeVia[big](t, v, `{"n":18446744073709551616}`); err == nil || rr.Code != 422 {
		t.Errorf("2^64: status %d, err %v; want 422", rr.Code, err)
	}
}

// TestBodyTypeChecked: New refuses a BodyType that cannot hold what the
// schema allows, naming where; Decode of such a type fails with the same
// error on every call, which apierrors.Write turns into a bare 500.
func TestBodyTypeChecked(t *testing.T) {
	t.Parallel()
	obj := func(props string) string {
		return `{"type":"object","additionalProperties":false,"properties":{` + props + `}}`
	}
	type S struct {
		S string `json:"s"`
	}
	type I struct {
		N int `json:"n"`
	}
	type F struct {
		N float64 `json:"n"`
	}
	type A struct {
		X any `json:"x"`
	}
	type L struct {
		L []int `json:"l"`
	}
	type Str struct {
		N int `json:"n,string"`
	}
	type inner1 struct{ X string }
	type inner2 struct{ X string }
	type Amb struct {
		inner1
		inner2
	}
	type Node struct {
		Name     string `json:"name"`
		Children []Node `json:"children"`
	}
	tree := `{"$defs":{"node":{"type":"object","additionalProperties":false,"properties":{
	  "name":{"type":"string"},"children":{"type":"array","items":{"$ref":"#/$defs/node"}}}}},"$ref":"#/$defs/node"}`
	tests := []struct {
		name, schema string
		typ          reflect.Type
		open         bool // AllowUnknownProperties
		wantErr      string
	}{
		{"fits", obj(`"s":{"type":"string"}`), reflect.TypeFor[S](), false, ""},
		{"no field", obj(`"s":{"type":"string"},"t":{"type":"string"}`), reflect.TypeFor[S](), false, `no field for the property "t"`},
		{"number into int", obj(`"n":{"type":"number"}`), reflect.TypeFor[I](), false, "/n: the schema allows fractional numbers"},
		{"integer into float", obj(`"n":{"type":"integer"}`), reflect.TypeFor[F](), false, ""},
		{"string into int", obj(`"n":{"type":"string"}`), reflect.TypeFor[I](), false, "/n: the schema allows string"},
		{"nullable int", obj(`"n":{"type":["integer","null"]}`), reflect.TypeFor[I](), false, ""},
		{"untyped into string", obj(`"s":{"minLength":1}`), reflect.TypeFor[S](), false, "allows any JSON value"},
		{"enum of strings", obj(`"s":{"enum":["a","b"]}`), reflect.TypeFor[S](), false, ""},
		{"const number into string", obj(`"s":{"const":1}`), reflect.TypeFor[S](), false, "/s: the schema allows integer"},
		{"oneOf string or integer", obj(`"s":{"oneOf":[{"type":"string"},{"type":"integer"}]}`), reflect.TypeFor[S](), false, "/s: the schema allows integer"},
		{"allOf narrows", obj(`"n":{"type":"number","allOf":[{"type":"integer"}]}`), reflect.TypeFor[I](), false, ""},
		{"untyped into any", obj(`"x":{}`), reflect.TypeFor[A](), false, ""},
		{"items", obj(`"l":{"type":"array","items":{"type":"string"}}`), reflect.TypeFor[L](), false, "/l/*: the schema allows string"},
		{"items unconstrained", obj(`"l":{"type":"array"}`), reflect.TypeFor[L](), false, "/l/*: the schema allows any JSON value"},
		{"open object into struct", `{"type":"object","properties":{"s":{"type":"string"}}}`, reflect.TypeFor[S](), true, "allows properties it does not declare"},
		{"open object into map", `{"type":"object","properties":{"s":{"type":"string"}}}`, reflect.TypeFor[map[string]any](), true, ""},
		{"pattern properties into struct", `{"type":"object","additionalProperties":false,"patternProperties":{"^x":{"type":"string"}}}`, reflect.TypeFor[S](), false, "allows properties it does not declare"},
		{"closed by unevaluatedProperties", `{"type":"object","unevaluatedProperties":false,"allOf":[{"properties":{"s":{"type":"string"}}}]}`, reflect.TypeFor[S](), false, ""},
		{"string option", obj(`"n":{"type":"integer"}`), reflect.TypeFor[Str](), false, ",string option"},
		{"ambiguous", obj(`"X":{"type":"string"}`), reflect.TypeFor[Amb](), false, `two fields hold the property "X"`},
		{"array body into struct", `{"type":"array","items":{"type":"string"}}`, reflect.TypeFor[S](), false, "the body: the schema allows array"},
		{"recursive", tree, reflect.TypeFor[Node](), false, ""},
		{"recursive, wrong leaf", tree, reflect.TypeFor[struct {
			Name     int    `json:"name"`
			Children []Node `json:"children"`
		}](), false, "/name: the schema allows string"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := validate.New(validate.Config{Body: []byte(tc.schema), BodyType: tc.typ, AllowUnknownProperties: tc.open})
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("New: %v", err)
				}
				return
			}
			if !errors.Is(err, validate.ErrInvalidConfig) || !errors.Is(err, validate.ErrBodyType) || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("New: %v; want ErrInvalidConfig and ErrBodyType saying %q", err, tc.wantErr)
			}
		})
	}
	if _, err := validate.New(validate.Config{Query: []byte(obj(`"s":{"type":"string"}`)), BodyType: reflect.TypeFor[S]()}); !errors.Is(err, validate.ErrInvalidConfig) {
		t.Errorf("BodyType without Body: %v, want ErrInvalidConfig", err)
	}
	// Without BodyType, the same check on first use, and on every use.
	v := validate.MustNew(validate.Config{Body: []byte(obj(`"n":{"type":"number"}`))})
	for range 2 {
		_, rr, _, err := decodeVia[I](t, v, `{"n":1}`)
		if !errors.Is(err, validate.ErrBodyType) || rr.Code != 500 || strings.Contains(rr.Body.String(), "number") {
			t.Errorf("Decode[I]: %v, status %d %s; want ErrBodyType and a bare 500", err, rr.Code, rr.Body)
		}
	}
}

func TestDecodeNoBody(t *testing.T) {
	t.Parallel()
	if _, err := validate.Decode[order](context.Background()); !errors.Is(err, validate.ErrNoBody) {
		t.Errorf("Decode without a validator: %v, want ErrNoBody", err)
	}
	v := validate.MustNew(validate.Config{Query: []byte(`{"type":"object","additionalProperties":false,"properties":{}}`)})
	var err error
	v.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, err = validate.Decode[order](r.Context())
	})).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	if !errors.Is(err, validate.ErrNoBody) {
		t.Errorf("Decode behind a query-only validator: %v, want ErrNoBody", err)
	}
}

// TestDecodeStacked: a body validator with BodyType outside a query
// validator; Decode, behind both, reads the body's typed value.
func TestDecodeStacked(t *testing.T) {
	t.Parallel()
	outer := validate.MustNew(validate.Config{Query: []byte(`{"type":"object","additionalProperties":false,"properties":{"dry":{"type":"boolean"}}}`)})
	inner := validate.MustNew(validate.Config{Body: []byte(orderSchema), BodyType: reflect.TypeFor[order]()})
	var got order
	err := errors.New("the handler did not run")
	req := post(`{"sku":"a","qty":2}`, "application/json")
	req.URL.RawQuery = "dry=true"
	inner.Handler(outer.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, err = validate.Decode[order](r.Context())
	}))).ServeHTTP(httptest.NewRecorder(), req)
	if err != nil || got.SKU != "a" || got.Qty != 2 {
		t.Errorf("Decode = %+v, %v", got, err)
	}
}

// unixTime is a json.Unmarshaler: Decode hands it the value's JSON.
type unixTime struct{ t time.Time }

func (u *unixTime) UnmarshalJSON(b []byte) error {
	var n int64
	if err := json.Unmarshal(b, &n); err != nil || n < 0 {
		return errors.New("not a unix time")
	}
	u.t = time.Unix(n, 0).UTC()
	return nil
}

func TestDecodeUnmarshaler(t *testing.T) {
	t.Parallel()
	v := validate.MustNew(validate.Config{Body: []byte(`{"type":"object","additionalProperties":false,"properties":{"at":{"type":"integer"}}}`),
		BodyType: reflect.TypeFor[struct {
			At unixTime `json:"at"`
		}]()})
	type event = struct {
		At unixTime `json:"at"`
	}
	got, _, _, err := decodeVia[event](t, v, `{"at":86400}`)
	if err != nil || !got.At.t.Equal(time.Unix(86400, 0)) {
		t.Errorf("Decode = %v, %v", got.At.t, err)
	}
	if _, rr, _, _ := decodeVia[event](t, v, `{"at":-1}`); rr.Code != 422 || !strings.Contains(rr.Body.String(), `"pointer":"/at","detail":"is not a valid value"`) {
		t.Errorf("refused by UnmarshalJSON: status %d %s; want 422 at /at", rr.Code, rr.Body)
	}
}
