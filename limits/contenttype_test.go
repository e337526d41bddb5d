package limits_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/apishield/apishield/limits"
	"github.com/apishield/apishield/route"
)

// TestContentTypes: with a declared list, a body's media type must be in
// it, compared without parameters and case; a missing, malformed or
// repeated Content-Type is a 415; a request without a body is not checked.
func TestContentTypes(t *testing.T) {
	t.Parallel()
	g, err := limits.New(limits.Config{
		Default: limits.Rules{ContentTypes: []string{"application/json", "text/*"}},
		Routes: map[string]limits.Rules{
			"POST /v1/patch": {ContentTypes: []string{"application/*+json"}},
			"POST /v1/any":   {ContentTypes: []string{"*/*"}},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	h := route.Func(func(r *http.Request) string { return r.Method + " " + r.URL.Path })(g.Handler(echo))
	ct := func(v ...string) http.Header { return http.Header{"Content-Type": v} }
	post := func(target string, h http.Header) req {
		return req{method: "POST", target: target, header: h, body: strings.NewReader("{}"), length: 2}
	}
	ok := want{status: 200, body: "{}"}
	refused := want{status: 415, reason: "unsupported_media_type"}
	tests := []struct {
		name string
		req  req
		want want
	}{
		{"listed", post("/v1/items", ct("application/json")), ok},
		{"listed, with parameters and case", post("/v1/items", ct("Application/JSON ; charset=utf-8")), ok},
		{"type/* entry", post("/v1/items", ct("text/plain")), ok},
		{"not listed", post("/v1/items", ct("application/xml")), refused},
		{"+json not implied by application/json", post("/v1/items", ct("application/merge-patch+json")), refused},
		{"missing", post("/v1/items", nil), refused},
		{"empty", post("/v1/items", ct("")), refused},
		{"repeated", post("/v1/items", ct("application/json", "application/json")), refused},
		{"a list in one field", post("/v1/items", ct("application/json, text/plain")), refused},
		{"no subtype", post("/v1/items", ct("application/")), refused},
		{"no slash", post("/v1/items", ct("application")), refused},
		{"wildcard sent", post("/v1/items", ct("application/*")), refused},
		{"blank inside", post("/v1/items", ct("application/ json")), refused},
		{"chunked, missing", req{method: "POST", body: strings.NewReader("{}"), length: -1}, refused},
		{"no body, no Content-Type", req{method: "POST"}, want{status: 200}},
		{"Content-Length 0, no Content-Type", req{method: "POST", body: strings.NewReader(""), length: 0}, want{status: 200}},

		{"suffix pattern", post("/v1/patch", ct("application/merge-patch+json")), ok},
		{"suffix pattern, case", post("/v1/patch", ct("application/Merge-Patch+JSON")), ok},
		{"suffix pattern, bare suffix", post("/v1/patch", ct("application/+json")), refused},
		{"suffix pattern, plain json", post("/v1/patch", ct("application/json")), refused},
		{"suffix pattern, other type", post("/v1/patch", ct("text/x+json")), refused},
		{"*/* takes any type", post("/v1/any", ct("image/png")), ok},
		{"*/* still wants one", post("/v1/any", nil), refused},
		{"*/* still wants it well formed", post("/v1/any", ct("image")), refused},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			run(t, h, tc.req, tc.want)
		})
	}
}
