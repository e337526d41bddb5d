package validate

import (
	"bytes"
	"encoding/json"
	"io"
	"math"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	apierrors "github.com/apishield/apishield/errors"
)

// decode is the reference decoder: encoding/json with UseNumber, as the
// schema library's own UnmarshalJSON does it.
func decode(raw []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var doc any
	if err := d.Decode(&doc); err != nil {
		return nil, err
	}
	return doc, nil
}

// seedCorpus adds the hostile corpus's literal cases as fuzz seeds.
func seedCorpus(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "hostile", "*.json"))
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range []string{`{"a":[1,{"b":null}],"c":"\u00e9"}`, `{"a":1,"b":{"a":2}}`, `"\ud83d\ude00"`, `-0.0e+0`} {
		f.Add([]byte(s))
	}
}

// FuzzHandler sends arbitrary bodies through the whole middleware: it must
// answer 200, 400, 413 or 422 with a JSON body, never panic or 500, and on
// 200 hand the handler exactly what encoding/json decodes from the raw body.
func FuzzHandler(f *testing.F) {
	seedCorpus(f)
	schema, err := os.ReadFile(filepath.Join("testdata", "hostile", "schema.json"))
	if err != nil {
		f.Fatal(err)
	}
	v := MustNew(Config{Body: schema, MaxBodyBytes: 4096})
	f.Fuzz(func(t *testing.T, data []byte) {
		var got any
		var raw []byte
		h := apierrors.Recover(v.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			got, _ = Body(r.Context())
			raw, _ = io.ReadAll(r.Body)
		})))
		req := httptest.NewRequest("POST", "/v1/items", bytes.NewReader(data))
		req.Header.Set("Content-Type", "application/json")
		rr := httptest.NewRecorder()
		h.ServeHTTP(rr, req)
		switch rr.Code {
		case 200:
			if !bytes.Equal(raw, data) {
				t.Fatalf("raw body %q, want %q", raw, data)
			}
			want, err := decode(data)
			if err != nil || !reflect.DeepEqual(got, want) {
				t.Fatalf("handler saw %#v, want %#v (%v)", got, want, err)
			}
		case 400, 413, 422:
			if !json.Valid(rr.Body.Bytes()) {
				t.Fatalf("problem is not JSON: %q", rr.Body)
			}
			// The detail is the only free text; pointers may name keys.
			var p struct{ Detail string }
			json.Unmarshal(rr.Body.Bytes(), &p)
			if len(data) >= 12 && strings.Contains(p.Detail, string(data)) {
				t.Fatalf("problem echoes the body: %s", rr.Body)
			}
			if goIdentifierIn(p.Detail) != "" {
				t.Fatalf("detail names a Go identifier: %s", rr.Body)
			}
			if rr.Code == 422 {
				checkBodyPointers(t, data, rr.Body.Bytes())
			}
		default:
			t.Fatalf("status %d for %q: %s", rr.Code, data, rr.Body)
		}
	})
}

// FuzzNumber checks Int64, parseInteger (which Decode uses for unsigned
// fields) and Float64 against references: exact rationals (math/big) for
// the integers, strconv.ParseFloat for the float, on exactly the strings
// that are one JSON number.
func FuzzNumber(f *testing.F) {
	for _, s := range []string{"10", "1e1", "5.0", "100e-2", "-0", "1.5", "1e-1", "9223372036854775807", "18446744073709551615",
		"18446744073709551616", "1.8446744073709551615e19", "-18446744073709551615",
		"-9223372036854775808", "9223372036854775808", "1e19", "1e400", "1e-400", "+5", "0x10", "010", " 5", "NaN",
		"9.223372036854775807e18", "1e99999999999999999999", "0.0e-99999999999999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, ok := Int64(json.Number(s))
		fl, fok := Float64(json.Number(s))
		isNumber := s != "" && (s[0] == '-' || isDigit(s[0])) && isDigit(s[len(s)-1]) && json.Valid([]byte(s))
		if !isNumber {
			if ok || fok {
				t.Fatalf("%q is not one JSON number, yet Int64 = %d, %v and Float64 = %g, %v", s, n, ok, fl, fok)
			}
			return
		}
		want, err := strconv.ParseFloat(s, 64)
		if fok != (err == nil) || (fok && math.Float64bits(fl) != math.Float64bits(want)) {
			t.Fatalf("Float64(%q) = %g, %v; ParseFloat gives %g, %v", s, fl, fok, want, err)
		}
		if p, _ := splitNumber(s); p.exp > 1000 || p.exp < -1000 {
			return // too costly for big.Rat; the table tests cover these
		}
		r, exact := new(big.Rat).SetString(s)
		if !exact {
			t.Fatalf("big.Rat cannot read the JSON number %q", s)
		}
		wantOK := r.IsInt() && r.Num().IsInt64()
		if ok != wantOK || (ok && n != r.Num().Int64()) {
			t.Fatalf("Int64(%q) = %d, %v; want %s, %v", s, n, ok, r.RatString(), wantOK)
		}
		mag := new(big.Int).Abs(r.Num())
		u, neg, res := parseInteger(s)
		wantU := r.IsInt() && mag.IsUint64()
		if (res == intOK) != wantU || (wantU && (u != mag.Uint64() || (u != 0 && neg != (r.Sign() < 0)))) {
			t.Fatalf("parseInteger(%q) = %d, %v, %v; want %s", s, u, neg, res, r.RatString())
		}
	})
}

// FuzzIntegerParams sends arbitrary values for integer, number and boolean
// query parameters: the answer is 200, 400 or 422, never a panic or a 500,
// and on 200 every parameter present reads back with its typed accessor,
// as the value the schema checked.
func FuzzIntegerParams(f *testing.F) {
	for _, s := range []string{"10", "1e1", "5.0", "100e-2", "1.5", "1e19", "1e400", "1e-400", "+5", "0x10", "NaN", "%20"} {
		f.Add(s, s, "true")
	}
	v := MustNew(Config{Query: []byte(`{"type":"object","additionalProperties":false,"properties":{
	  "n":{"type":"integer","minimum":-1000000,"maximum":1000000},"x":{"type":"number","exclusiveMinimum":0},
	  "b":{"type":"boolean"},"ids":{"type":"array","items":{"type":"integer"}}}}`)})
	f.Fuzz(func(t *testing.T, n, x, b string) {
		var q Params
		h := apierrors.Recover(v.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			q, _ = Query(r.Context())
		})))
		req := httptest.NewRequest("GET", "/", nil)
		req.URL.RawQuery = "n=" + n + "&x=" + x + "&b=" + b + "&ids=" + n + "&ids=" + x
		rr := httptest.NewRecorder()
		h.ServeHTTP(rr, req)
		switch rr.Code {
		case 200:
			if i, ok := q.Int64("n"); !ok || i < -1000000 || i > 1000000 {
				t.Fatalf("n=%q passed as %#v, which Int64 reads as %d, %v", n, q["n"], i, ok)
			}
			if fl, ok := q.Float64("x"); !ok || fl <= 0 {
				t.Fatalf("x=%q passed as %#v, which Float64 reads as %g, %v", x, q["x"], fl, ok)
			}
			if _, ok := q.Bool("b"); !ok {
				t.Fatalf("b=%q passed as %#v", b, q["b"])
			}
			if _, ok := q.Int64s("ids"); !ok {
				t.Fatalf("ids=%q&ids=%q passed as %#v", n, x, q["ids"])
			}
		case 400, 422:
		default:
			t.Fatalf("status %d for n=%q x=%q b=%q: %s", rr.Code, n, x, b, rr.Body)
		}
	})
}

// FuzzDecode sends arbitrary bodies through a Validator with a BodyType:
// whatever passes, Decode fills exactly as encoding/json fills the same
// type from the raw bytes, whenever encoding/json can (it cannot read
// 1e1 into an int, which Decode can).
func FuzzDecode(f *testing.F) {
	seedCorpus(f)
	f.Add([]byte(`{"name":"a","price":1e1,"qty":2.0,"tags":["x"],"meta":{"k":[1,null]}}`))
	type item struct {
		Name  string         `json:"name"`
		Price float64        `json:"price"`
		Qty   int16          `json:"qty"`
		Tags  []string       `json:"tags"`
		Meta  map[string]any `json:"meta"`
	}
	v := MustNew(Config{Body: []byte(`{"type":"object","additionalProperties":false,"required":["name"],"properties":{
	  "name":{"type":"string"},"price":{"type":"number"},"qty":{"type":"integer"},
	  "tags":{"type":"array","items":{"type":"string"}},"meta":{"type":"object","unevaluatedProperties":false,
	  "patternProperties":{"":{}}}}}`), BodyType: reflect.TypeFor[item]()})
	f.Fuzz(func(t *testing.T, data []byte) {
		var got item
		var decErr error
		ran := false
		h := apierrors.Recover(v.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ran = true
			got, decErr = Decode[item](r.Context())
		})))
		req := httptest.NewRequest("POST", "/", bytes.NewReader(data))
		req.Header.Set("Content-Type", "application/json")
		rr := httptest.NewRecorder()
		h.ServeHTTP(rr, req)
		switch rr.Code {
		case 200:
			if !ran || decErr != nil {
				t.Fatalf("200 for %q, Decode: %v", data, decErr)
			}
			var want item
			d := json.NewDecoder(bytes.NewReader(data))
			d.UseNumber()
			if d.Decode(&want) == nil && !reflect.DeepEqual(got, want) {
				t.Fatalf("Decode(%q) = %#v\nencoding/json: %#v", data, got, want)
			}
		case 400, 413, 422:
			if ran {
				t.Fatalf("status %d and the handler ran", rr.Code)
			}
		default:
			t.Fatalf("status %d for %q: %s", rr.Code, data, rr.Body)
		}
	})
}
