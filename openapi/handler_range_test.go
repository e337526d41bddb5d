package openapi_test

import (
	"testing"

	apierrors "github.com/apishield/apishield/errors"
	"github.com/apishield/apishield/openapi"
)

// rangeDoc declares bodies under media ranges, with a schema that gives
// them a structure and with schemas any bytes meet.
const rangeDoc = `openapi: 3.1.0
info: {title: Ranges, version: "1"}
security: []
components:
  schemas:
    Item:
      type: object
      required: [name]
      additionalProperties: false
      properties: {name: {type: string}}
paths:
  /any:
    post:
      operationId: any
      requestBody:
        required: true
        content:
          "*/*": {schema: {$ref: "#/components/schemas/Item"}}
      responses: {"200": {description: ok}}
  /app:
    post:
      operationId: app
      requestBody:
        required: true
        content:
          "application/*": {schema: {$ref: "#/components/schemas/Item"}}
      responses: {"200": {description: ok}}
  /upload:
    post:
      operationId: upload
      requestBody:
        content:
          "*/*": {schema: {type: string, format: binary}}
      responses: {"200": {description: ok}}
  /text:
    post:
      operationId: text
      requestBody:
        content:
          "text/*": {}
      responses: {"200": {description: ok}}
  /note:
    post:
      operationId: note
      requestBody:
        content:
          "text/*": {schema: {type: [string, "null"], maxLength: 10}}
      responses: {"200": {description: ok}}
`

// TestHandlerRangeBody sends bodies the contract cannot decode under a
// media range whose schema gives the body a structure. The schema holds
// for every type the range takes, and the sender picks the type: a
// JSON body sent as text/plain must not reach a handler that decodes
// JSON whatever the Content-Type, unchecked. Where any bytes meet the
// schema, or there is none, the body passes unread as before.
func TestHandlerRangeBody(t *testing.T) {
	t.Parallel()
	f := newFixture(t, []byte(rangeDoc), openapi.Config{}, nil)
	ct := func(v string) map[string]string { return map[string]string{"Content-Type": v} }
	cases := []struct {
		name   string
		rq     req
		status int
		reason string
	}{
		{"*/* as text/plain", req{"POST", "/any", ct("text/plain"), `{"admin":true}`}, 415, apierrors.ReasonUnsupportedMediaType},
		{"*/* as application/octet-stream", req{"POST", "/any", ct("application/octet-stream"), `{"admin":true}`}, 415, apierrors.ReasonUnsupportedMediaType},
		{"application/* as application/xml", req{"POST", "/app", ct("application/xml"), `{"admin":true}`}, 415, apierrors.ReasonUnsupportedMediaType},
		{"*/* as JSON is checked", req{"POST", "/any", ct("application/json"), `{"admin":true}`}, 422, apierrors.ReasonValidationFailed},
		{"*/* as JSON", req{"POST", "/any", ct("application/json"), `{"name":"x"}`}, 200, ""},
		{"application/* as a form", req{"POST", "/app", ct("application/x-www-form-urlencoded"), `name=x`}, 200, ""},
		{"a binary string under */*", req{"POST", "/upload", ct("image/png"), "\x89PNG"}, 200, ""},
		{"no schema under text/*", req{"POST", "/text", ct("text/csv"), "a,b"}, 200, ""},
		{"a nullable string under text/*", req{"POST", "/note", ct("text/plain"), "hi"}, 200, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := f.do(t, tc.rq)
			if tc.status == 200 {
				wantOK(t, w)
				return
			}
			wantProblem(t, w, tc.status, tc.reason)
		})
	}
}
