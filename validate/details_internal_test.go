package validate

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	apierrors "github.com/apishield/apishield/errors"
)

// goIdentifier matches what a client-facing detail must never hold: a
// Go identifier in mixed case (MaxDepth, maxBody, BodyLimit), a qualified
// one (validate.Limits, Config.FS), or a Go-style assignment ("x = 64").
// Header names (Content-Type) and acronyms (UTF-8, JSON) do not match.
var goIdentifier = regexp.MustCompile(`\b[A-Z][a-z0-9]+[A-Z][A-Za-z0-9]*\b|\b[a-z]+[A-Z][A-Za-z0-9]*\b|\b[A-Za-z]+\.[A-Z][A-Za-z0-9]*\b|\w = \w`)

// goIdentifierIn returns the first Go identifier in s, or "". NaN, which
// JSON's grammar refuses by that name, is not one.
func goIdentifierIn(s string) string {
	for _, m := range goIdentifier.FindAllString(s, -1) {
		if m != "NaN" {
			return m
		}
	}
	return ""
}

// TestDetailsNameNoGoIdentifiers provokes every refusal with a detail of
// its own, each limit set low, and checks that the detail (and each field
// error's) speaks of the request and gives the limit as a number, never as
// the name of a Go field.
func TestDetailsNameNoGoIdentifiers(t *testing.T) {
	t.Parallel()
	v := MustNew(Config{
		Body: []byte(`{"type":"object","additionalProperties":false,"required":["n"],"properties":{
		  "n":{"type":"integer","minimum":1,"multipleOf":2},"s":{"type":"string","maxLength":3,"pattern":"^a"},
		  "a":{"type":"array","uniqueItems":true,"maxItems":5},"o":{"type":"object","additionalProperties":false,"minProperties":1},
		  "e":{"enum":["x"]},"f":{"type":"string","format":"idn-email"},"any":{}}}`),
		Query:        []byte(`{"type":"object","additionalProperties":false,"properties":{"q":{"type":"integer"},"r":{"type":"number"}}}`),
		Header:       []byte(`{"type":"object","properties":{"X-N":{"type":"integer","maximum":3}}}`),
		MaxBodyBytes: 200,
		Limits: Limits{MaxDepth: 3, MaxObjectKeys: 8, MaxArrayLength: 5, MaxStringLength: 10,
			MaxNumberLength: 6, MaxValues: 12},
	})
	json := "application/json"
	tests := []struct {
		name, query, header, ctype, body string
		status                           int
		want                             string // in the detail or a field error's
	}{
		{name: "depth", body: `{"n":2,"any":[[[1]]]}`, status: 400, want: "the limit is 3 levels"},
		{name: "members", body: `{"n":2,"any":{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8,"i":9}}`, status: 400, want: "the limit is 8 members"},
		{name: "elements", body: `{"n":2,"any":[1,2,3,4,5,6]}`, status: 400, want: "the limit is 5 elements"},
		{name: "string", body: `{"n":2,"s":"abcdefghijk"}`, status: 400, want: "the limit is 10 bytes"},
		{name: "number", body: `{"n":1234567}`, status: 400, want: "the limit is 6 characters"},
		{name: "exponent", body: `{"n":1e401}`, status: 400, want: "the limit is 400 in absolute value"},
		{name: "values", body: `{"n":2,"any":[1,2,3,4,5],"a":[1,2,3,4,5]}`, status: 400, want: "the limit is 12 values"},
		{name: "syntax", body: `{"n":`, status: 400, want: "at byte"},
		{name: "duplicate", body: `{"n":2,"n":4}`, status: 400, want: "duplicate key"},
		{name: "case variant", body: `{"n":2,"N":4}`, status: 400, want: "differs only in case"},
		{name: "too large", body: `{"n":2,"any":"` + strings.Repeat("a", 300) + `"}`, status: 413, want: "the limit of 200 bytes"},
		{name: "media type", ctype: "text/plain", body: `{"n":2}`, status: 415, want: "application/json"},
		{name: "schema", body: `{"n":3,"s":"bcde","a":[1,1],"o":{},"e":"y","f":"no","x":1}`, status: 422, want: "must be a multiple of 2"},
		{name: "required", body: `{}`, status: 422, want: "is required"},
		{name: "query parameters", query: "q=1&r=1&q=2&r=2&x=1&q=3&r=3&q=4&r=4", status: 400, want: "the limit of 8 parameters"},
		{name: "query name", query: "abcdefghijk=1", status: 400, want: "the limit of 10 bytes"},
		{name: "query value", query: "q=12345678901", status: 400, want: "the limit of 10 bytes"},
		{name: "query integer range", query: "q=1e19", status: 422, want: "must be an integer from"},
		{name: "query number range", query: "r=1e309", status: 422, want: "must be a number from"},
		{name: "query string too long", query: strings.Repeat("q=1&", 4200), status: 400, want: "the limit of 16384 bytes"},
		{name: "header value", header: "12345678901", status: 400, want: "the limit of 10 bytes"},
		{name: "header schema", header: "4", status: 422, want: "must be <= 3"},
	}
	h := apierrors.Recover(v.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})))
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			body, ctype := tc.body, tc.ctype
			if body == "" {
				body = `{"n":2}`
			}
			if ctype == "" {
				ctype = json
			}
			req := httptest.NewRequest("POST", "/?"+tc.query, strings.NewReader(body))
			req.Header.Set("Content-Type", ctype)
			if tc.header != "" {
				req.Header.Set("X-N", tc.header)
			}
			rr := httptest.NewRecorder()
			h.ServeHTTP(rr, req)
			var p struct {
				Detail string
				Errors []apierrors.FieldError
			}
			if err := jsonUnmarshal(rr.Body.Bytes(), &p); err != nil || rr.Code != tc.status {
				t.Fatalf("status %d, want %d; %s", rr.Code, tc.status, rr.Body)
			}
			texts := []string{p.Detail}
			for _, e := range p.Errors {
				texts = append(texts, e.Detail)
			}
			if all := strings.Join(texts, " | "); !strings.Contains(all, tc.want) {
				t.Errorf("details %q, want one holding %q", all, tc.want)
			}
			for _, s := range texts {
				if m := goIdentifierIn(s); m != "" {
					t.Errorf("detail %q names the Go identifier %q", s, m)
				}
			}
		})
	}
}

// TestGoIdentifierPattern checks the pattern on the details this package
// used to send, and on words a detail may well hold.
func TestGoIdentifierPattern(t *testing.T) {
	t.Parallel()
	for _, s := range []string{
		"nesting is too deep (limit MaxDepth = 64) at byte 3",
		"The query string has more parameters than allowed (limit MaxObjectKeys).",
		"set validate.Limits", "see Config.FS", "maxBody exceeded", "limit = 64",
	} {
		if goIdentifierIn(s) == "" {
			t.Errorf("%q: not caught", s)
		}
	}
	for _, s := range []string{
		"The request body must be UTF-8 JSON.", "The request's Content-Type is malformed.",
		"must be a valid idn-email", "must be >= 0", "NaN and Infinity are not JSON at byte 3", "The body is not acceptable JSON: a string is too long (the limit is 10 bytes) at byte 3.",
		"Rate limit exceeded; retry after the time in Retry-After.", "must match exactly one of the allowed shapes",
	} {
		if m := goIdentifierIn(s); m != "" {
			t.Errorf("%q: %q caught", s, m)
		}
	}
}

// jsonUnmarshal is json.Unmarshal, named apart from the test's local json.
var jsonUnmarshal = json.Unmarshal
