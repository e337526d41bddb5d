package main

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"github.com/apishield/apishield/authz"
)

// TestMethodOverrideRefused: the headers and the _method parameter that
// upstream frameworks (Rails, Laravel, Symfony, Express's method-override,
// ASP.NET) read as the real method are refused, so a GET the policy allowed
// cannot run as a DELETE it never saw.
func TestMethodOverrideRefused(t *testing.T) {
	t.Parallel()
	up := newRecordingUpstream(t)
	g := start(t, "-upstream", up.URL)
	for _, c := range []struct {
		name, path string
		header     http.Header
	}{
		{"X-HTTP-Method-Override", "/v1/items/1", http.Header{"X-Http-Method-Override": {"DELETE"}}},
		{"X-HTTP-Method", "/v1/items/1", http.Header{"X-Http-Method": {"DELETE"}}},
		{"X-Method-Override", "/v1/items/1", http.Header{"X-Method-Override": {"PUT"}}},
		{"underscores", "/v1/items/1", http.Header{"X_Http_Method_Override": {"DELETE"}}},
		{"query", "/v1/items/1?_method=DELETE", nil},
		{"query, upper case", "/v1/items/1?_METHOD=delete", nil},
		{"query, array syntax", "/v1/items/1?_method[]=DELETE", nil},
		{"query, escaped", "/v1/items/1?%5Fmethod=DELETE", nil},
		{"query, PHP dot", "/v1/items/1?.method=DELETE", nil}, // PHP reads "." in a name as "_"
	} {
		t.Run(c.name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", g.Base+c.path, nil)
			for k, v := range c.header {
				req.Header[k] = v
			}
			req.Header.Set("Authorization", "Bearer "+g.Env["TOKEN"])
			status, body := do(t, req)
			if status != http.StatusBadRequest || reason(body) != "malformed_request" {
				t.Errorf("got status %d, body %q; want 400 malformed_request", status, body)
			}
		})
	}
	// A JSON body's "_method" (Laravel reads it) is an unknown field to the
	// route's strict schema.
	req, _ := http.NewRequest("POST", g.Base+"/v1/items", strings.NewReader(`{"name":"pen","price":3,"_method":"DELETE"}`))
	req.Header.Set("Authorization", "Bearer "+g.Env["TOKEN"])
	req.Header.Set("Content-Type", "application/json")
	if status, body := do(t, req); status != http.StatusUnprocessableEntity {
		t.Errorf("JSON _method: got status %d, body %q; want 422", status, body)
	}
	if got := up.received(); len(got) != 0 {
		t.Errorf("upstream received %d requests, want none: %v", len(got), got)
	}
}

// TestMethodOverrideInForms: a form body that carries _method is refused
// before it is forwarded, on a route that forwards forms unvalidated; any
// other form is forwarded byte for byte.
func TestMethodOverrideInForms(t *testing.T) {
	t.Parallel()
	up := newRecordingUpstream(t)
	g := newTestGateway(t, up.URL, func(proxy http.Handler) []apiRoute {
		return []apiRoute{{pattern: "POST /v1/forms", rule: authz.AllScopes("items:write"), handler: proxy}}
	})
	tok := g.token(t, "items:write")
	multi := func(field string) (string, string) {
		var b bytes.Buffer
		mw := multipart.NewWriter(&b)
		mw.WriteField("name", "pen")
		mw.WriteField(field, "DELETE")
		mw.Close()
		return mw.FormDataContentType(), b.String()
	}
	mct, mbody := multi("_method")
	for _, c := range []struct{ name, ctype, body string }{
		{"urlencoded", "application/x-www-form-urlencoded", "name=pen&_method=DELETE"},
		{"urlencoded, charset", "application/x-www-form-urlencoded; charset=utf-8", "name=pen&_Method=DELETE"},
		{"multipart", mct, mbody},
	} {
		t.Run(c.name, func(t *testing.T) {
			req, _ := http.NewRequest("POST", g.base+"/v1/forms", strings.NewReader(c.body))
			req.Header.Set("Authorization", "Bearer "+tok)
			req.Header.Set("Content-Type", c.ctype)
			status, body := do(t, req)
			if status != http.StatusBadRequest || reason(body) != "malformed_request" {
				t.Errorf("got status %d, body %q; want 400 malformed_request", status, body)
			}
		})
	}
	if got := up.received(); len(got) != 0 {
		t.Fatalf("upstream received %d requests, want none: %v", len(got), got)
	}

	mct, mbody = multi("comment")
	for _, c := range []struct{ ctype, body string }{
		{"application/x-www-form-urlencoded", "name=pen&method=post"},
		{mct, mbody},
	} {
		req, _ := http.NewRequest("POST", g.base+"/v1/forms", strings.NewReader(c.body))
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", c.ctype)
		if status, body := do(t, req); status != http.StatusCreated {
			t.Errorf("%s: got status %d, body %q; want 201", c.ctype, status, body)
		}
	}
	got := up.received()
	if len(got) != 2 || got[0].body != "name=pen&method=post" || got[1].body != mbody {
		t.Errorf("upstream received %v, want both forms as sent", got)
	}
}
