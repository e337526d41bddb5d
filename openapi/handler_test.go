package openapi_test

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	apierrors "github.com/apishield/apishield/errors"
	"github.com/apishield/apishield/internal/record"
	"github.com/apishield/apishield/openapi"
	"github.com/apishield/apishield/ratelimit"
	"github.com/apishield/apishield/route"
)

func TestHandlerRouting(t *testing.T) {
	t.Parallel()
	f := newFixture(t, readDoc(t, "items.yaml"), openapi.Config{}, nil)
	cases := []struct {
		name, method, target string
		status               int
		reason               string
		allow                string
	}{
		{"unknown path", "GET", "/v1/nothing", 404, apierrors.ReasonNotFound, ""},
		{"outside the base path", "GET", "/items/1", 404, apierrors.ReasonNotFound, ""},
		{"the base alone", "GET", "/v1", 404, apierrors.ReasonNotFound, ""},
		{"trailing slash", "GET", "/v1/items/", 404, apierrors.ReasonNotFound, ""},
		{"undeclared method", "PUT", "/v1/items", 405, apierrors.ReasonMethodNotAllowed, "GET, POST"},
		{"undeclared method on a template", "PATCH", "/v1/items/7", 405, apierrors.ReasonMethodNotAllowed, "DELETE, GET"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := f.do(t, req{method: tc.method, target: tc.target})
			wantProblem(t, w, tc.status, tc.reason)
			if got := w.Header().Get("Allow"); got != tc.allow {
				t.Errorf("Allow = %q, want %q", got, tc.allow)
			}
		})
	}
}

// TestHandlerRecord checks what the contract leaves in the request record
// for audit: the route as the document spells it and its decisions.
func TestHandlerRecord(t *testing.T) {
	t.Parallel()
	f := newFixture(t, readDoc(t, "items.yaml"), openapi.Config{}, nil)
	var got *record.Record
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w, r, got = record.Install(w, r)
		f.h.ServeHTTP(w, r)
	})
	cases := []struct {
		target, route string
		want          record.Decision
	}{
		{"/v1/items/4", "GET /items/{id}", record.Decision{Package: "openapi", Outcome: record.Allow, Rule: "getItem"}},
		{"/v1/items/0", "GET /items/{id}", record.Decision{Package: "openapi", Outcome: record.Deny, Reason: "validation_failed"}},
		{"/v1/nothing", "", record.Decision{Package: "openapi", Outcome: record.Deny, Reason: "not_found", Rule: "route"}},
	}
	for _, tc := range cases {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", tc.target, nil))
		if got.Route() != tc.route {
			t.Errorf("%s: route = %q, want %q", tc.target, got.Route(), tc.route)
		}
		if !slices.Contains(got.Decisions(), tc.want) {
			t.Errorf("%s: decisions = %+v, want one %+v", tc.target, got.Decisions(), tc.want)
		}
	}
}

func TestHandlerSecurity(t *testing.T) {
	t.Parallel()
	f := newFixture(t, readDoc(t, "items.yaml"), openapi.Config{}, nil)
	bearer := func(tok string) map[string]string { return map[string]string{"Authorization": "Bearer " + tok} }
	tenant := func(h map[string]string) map[string]string {
		if h == nil {
			h = map[string]string{}
		}
		h["X-Tenant"] = "acme"
		return h
	}
	cases := []struct {
		name   string
		rq     req
		status int
		reason string
	}{
		// OR: an oauth2 token with items:read, or an API key.
		{"scope", req{method: "GET", target: "/v1/items", header: tenant(bearer("reader"))}, 200, ""},
		{"api key alternative", req{method: "GET", target: "/v1/items", header: tenant(map[string]string{"X-API-Key": f.key})}, 200, ""},
		{"missing scope", req{method: "GET", target: "/v1/items", header: tenant(bearer("noscope"))}, 403, apierrors.ReasonInsufficientScope},
		{"anonymous", req{method: "GET", target: "/v1/items", header: tenant(nil)}, 401, apierrors.ReasonUnauthenticated},
		{"bad token", req{method: "GET", target: "/v1/items", header: tenant(bearer("forged"))}, 401, apierrors.ReasonInvalidToken},
		{"write scope needed", req{method: "POST", target: "/v1/items", header: bearer("reader"), body: `{}`}, 403, apierrors.ReasonInsufficientScope},
		{"api key where only oauth2 is", req{method: "POST", target: "/v1/items", header: map[string]string{"X-API-Key": f.key}, body: `{}`}, 403, apierrors.ReasonForbidden},
		// http bearer with roles (OAS 3.1)
		{"role", req{method: "GET", target: "/v1/admin", header: bearer("admin")}, 200, ""},
		{"missing role", req{method: "GET", target: "/v1/admin", header: bearer("reader")}, 403, apierrors.ReasonForbidden},
		{"api key for bearer", req{method: "GET", target: "/v1/admin", header: map[string]string{"X-API-Key": f.key}}, 403, apierrors.ReasonForbidden},
		// mutualTLS
		{"client certificate", req{method: "GET", target: "/v1/cert", header: map[string]string{"Test-Client-Cert": "CN=svc"}}, 200, ""},
		{"token for certificate", req{method: "GET", target: "/v1/cert", header: bearer("reader")}, 403, apierrors.ReasonForbidden},
		// AND: a token and a certificate; auth proves one, so it is refused
		{"and of two credentials", req{method: "GET", target: "/v1/both", header: bearer("reader")}, 403, apierrors.ReasonForbidden},
		// apiKey in the query, wired into auth from APIKeySources
		{"query api key", req{method: "GET", target: "/v1/querykey?api_key=" + f.key}, 200, ""},
		{"query api key anonymous", req{method: "GET", target: "/v1/querykey"}, 401, apierrors.ReasonUnauthenticated},
		// security: []
		{"public", req{method: "GET", target: "/v1/items/4"}, 200, ""},
		{"public with a principal", req{method: "GET", target: "/v1/items/4", header: bearer("reader")}, 200, ""},
		// x-apishield-owner after the document's security
		{"owner", req{method: "DELETE", target: "/v1/items/2", header: bearer("writer")}, 200, ""},
		{"not the owner", req{method: "DELETE", target: "/v1/items/3", header: bearer("writer")}, 404, apierrors.ReasonNotFound},
		{"owner rule anonymous", req{method: "DELETE", target: "/v1/items/2"}, 401, apierrors.ReasonUnauthenticated},
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
			if tc.status == 401 && !strings.HasPrefix(w.Header().Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("WWW-Authenticate = %q, want auth's Bearer challenge", w.Header().Get("WWW-Authenticate"))
			}
		})
	}
}

const undeclaredDoc = `openapi: 3.0.3
info: {title: t, version: "1"}
components:
  securitySchemes:
    bearer: {type: http, scheme: bearer}
paths:
  /open:
    get:
      responses:
        "200": {description: ok}
`

func TestHandlerUndeclared(t *testing.T) {
	t.Parallel()
	cases := []struct {
		mode       openapi.Undeclared
		anon, user int
		reason     string
	}{
		{openapi.UndeclaredAuthenticated, 401, 200, apierrors.ReasonUnauthenticated},
		{openapi.UndeclaredDeny, 403, 403, apierrors.ReasonForbidden},
		{openapi.UndeclaredPublic, 200, 200, ""},
	}
	for _, tc := range cases {
		f := newFixture(t, []byte(undeclaredDoc), openapi.Config{Undeclared: tc.mode}, nil)
		w := f.do(t, req{method: "GET", target: "/open"})
		if tc.anon == 200 {
			wantOK(t, w)
		} else {
			wantProblem(t, w, tc.anon, tc.reason)
		}
		w = f.do(t, req{method: "GET", target: "/open", header: map[string]string{"Authorization": "Bearer noscope"}})
		if tc.user == 200 {
			wantOK(t, w)
		} else {
			wantProblem(t, w, tc.user, tc.reason)
		}
	}
	if _, err := openapi.Parse([]byte(undeclaredDoc), openapi.Config{Undeclared: 9}); err == nil {
		t.Error("an unknown Undeclared value loaded")
	}
}

func TestHandlerParameters(t *testing.T) {
	t.Parallel()
	f := newFixture(t, readDoc(t, "items.yaml"), openapi.Config{}, nil)
	ok := map[string]string{"Authorization": "Bearer reader", "X-Tenant": "acme", "X-Ids": "1, 2",
		"Cookie": "session=7; other=x"}
	w := f.do(t, req{method: "GET", target: "/v1/items?limit=5&tags=a&tags=b&filter[color]=red&filter[size]=3&extra=1", header: ok})
	s := wantOK(t, w)
	if s.Operation != "listItems" {
		t.Errorf("Operation = %q, want listItems", s.Operation)
	}
	wantJSON(t, "query", s.Query, `{"filter":{"color":"red","size":3},"limit":5,"tags":["a","b"]}`)
	wantJSON(t, "headers", s.Headers, `{"X-Ids":[1,2],"X-Tenant":"acme"}`)
	wantJSON(t, "cookies", s.Cookies, `{"session":7}`)

	s = wantOK(t, f.do(t, req{method: "GET", target: "/v1/items/42"}))
	wantJSON(t, "path", s.Path, `{"id":42}`)
	if s.PathValue != "42" {
		t.Errorf("r.PathValue(id) = %q, want 42", s.PathValue)
	}
	s = wantOK(t, f.do(t, req{method: "GET", target: "/v1/labels/.ab,c"}))
	wantJSON(t, "label path", s.Path, `{"names":["ab","c"]}`)

	with := func(k, v string) map[string]string {
		h := map[string]string{}
		for k, v := range ok {
			h[k] = v
		}
		if v == "" {
			delete(h, k)
		} else {
			h[k] = v
		}
		return h
	}
	cases := []struct {
		name           string
		rq             req
		status         int
		reason         string
		in, pointer, k string // the field error of a 422
	}{
		{"query below minimum", req{target: "/v1/items?limit=0", header: ok}, 422, "validation_failed", "query", "/limit", "minimum"},
		{"query not an integer", req{target: "/v1/items?limit=abc", header: ok}, 400, "malformed_request", "", "", ""},
		{"query sent twice", req{target: "/v1/items?limit=1&limit=2", header: ok}, 400, "malformed_request", "", "", ""},
		{"deepObject property of the wrong type", req{target: "/v1/items?filter[size]=big", header: ok}, 400, "malformed_request", "", "", ""},
		{"required header missing", req{target: "/v1/items", header: with("X-Tenant", "")}, 422, "validation_failed", "header", "/X-Tenant", "required"},
		{"header pattern", req{target: "/v1/items", header: with("X-Tenant", "ACME")}, 422, "validation_failed", "header", "/X-Tenant", "pattern"},
		{"header list item not an integer", req{target: "/v1/items", header: with("X-Ids", "1,x")}, 400, "malformed_request", "", "", ""},
		{"cookie below minimum", req{target: "/v1/items", header: with("Cookie", "session=0")}, 422, "validation_failed", "cookie", "/session", "minimum"},
		{"cookie not an integer", req{target: "/v1/items", header: with("Cookie", "session=x")}, 400, "malformed_request", "", "", ""},
		{"path below minimum", req{target: "/v1/items/0"}, 422, "validation_failed", "path", "/id", "minimum"},
		{"path not an integer", req{target: "/v1/items/x"}, 400, "malformed_request", "", "", ""},
		{"label item too long", req{target: "/v1/labels/.abcd"}, 422, "validation_failed", "path", "/names/0", "maxLength"},
		{"label without its dot", req{target: "/v1/labels/ab"}, 400, "malformed_request", "", "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.rq.method = "GET"
			p := wantProblem(t, f.do(t, tc.rq), tc.status, tc.reason)
			if tc.status == 400 && p.Detail == "" {
				t.Error("400 without a detail")
			}
			if tc.status != 422 {
				return
			}
			if len(p.Errors) == 0 {
				t.Fatal("422 without field errors")
			}
			e := p.Errors[0]
			if e.In != tc.in || e.Pointer != tc.pointer || e.Keyword != tc.k {
				t.Errorf("field error = %+v, want in %q pointer %q keyword %q", e, tc.in, tc.pointer, tc.k)
			}
		})
	}
}

func TestHandlerFormBody(t *testing.T) {
	t.Parallel()
	f := newFixture(t, readDoc(t, "items.yaml"), openapi.Config{}, nil)
	form := func(body string) req {
		return req{method: "POST", target: "/v1/forms", body: body,
			header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}}
	}
	s := wantOK(t, f.do(t, form("n=3&tags=a&tags=b+c&note=hi%21")))
	wantJSON(t, "body", s.Body, `{"n":3,"note":"hi!","tags":["a","b c"]}`)
	if s.Raw != "n=3&tags=a&tags=b+c&note=hi%21" {
		t.Errorf("r.Body = %q, want the body as sent", s.Raw)
	}
	cases := []struct {
		name, body       string
		status           int
		reason           string
		pointer, keyword string
	}{
		{"above maximum", "n=11", 422, "validation_failed", "/n", "maximum"},
		{"required missing", "note=x", 422, "validation_failed", "", "required"},
		{"undeclared field", "n=1&x=2", 422, "validation_failed", "", "additionalProperties"},
		{"not an integer", "n=one", 400, "malformed_request", "", ""},
		{"primitive twice", "n=1&n=2", 400, "malformed_request", "", ""},
		{"bad escape", "n=1&note=%zz", 400, "malformed_request", "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := wantProblem(t, f.do(t, form(tc.body)), tc.status, tc.reason)
			if tc.status == 422 {
				if len(p.Errors) == 0 || p.Errors[0].In != "body" || p.Errors[0].Keyword != tc.keyword || !strings.HasPrefix(p.Errors[0].Pointer, tc.pointer) {
					t.Errorf("errors = %+v, want in body at %q keyword %q", p.Errors, tc.pointer, tc.keyword)
				}
			}
		})
	}
	wantProblem(t, f.do(t, req{method: "POST", target: "/v1/forms"}), 400, "malformed_request")
}

func TestHandlerMediaTypes(t *testing.T) {
	t.Parallel()
	f := newFixture(t, readDoc(t, "items.yaml"), openapi.Config{MaxBodyBytes: 64}, nil)
	post := func(target, ct, body string) *httptest.ResponseRecorder {
		h := map[string]string{}
		if ct != "" {
			h["Content-Type"] = ct
		}
		return f.do(t, req{method: "POST", target: target, header: h, body: body})
	}
	// exact, with a parameter ignored
	s := wantOK(t, post("/v1/media", "application/json; charset=utf-8", `{"json":1}`))
	wantJSON(t, "body", s.Body, `{"json":1}`)
	wantProblem(t, post("/v1/media", "application/json", `{"suffix":1}`), 422, "validation_failed")
	// application/*+json before text/*
	s = wantOK(t, post("/v1/media", "application/vnd.items+json", `{"suffix":1}`))
	wantJSON(t, "body", s.Body, `{"suffix":1}`)
	wantProblem(t, post("/v1/media", "application/vnd.items+json", `{"json":1}`), 422, "validation_failed")
	// text/*: passed through unread
	s = wantOK(t, post("/v1/media", "text/plain", "hello"))
	if s.Raw != "hello" || s.Body != nil {
		t.Errorf("text body: raw %q, decoded %v; want raw hello, nothing decoded", s.Raw, s.Body)
	}
	p := wantProblem(t, post("/v1/media", "image/png", "x"), 415, "unsupported_media_type")
	for _, mt := range []string{"application/json", "application/*+json", "text/*"} {
		if !strings.Contains(p.Detail, mt) {
			t.Errorf("415 detail %q does not list %s", p.Detail, mt)
		}
	}
	wantProblem(t, post("/v1/media", "", "x"), 415, "unsupported_media_type")
	wantProblem(t, post("/v1/media", "application/json", `{"json":`), 400, "malformed_request")
	wantProblem(t, post("/v1/media", "text/plain", strings.Repeat("x", 65)), 413, "payload_too_large")
	wantProblem(t, post("/v1/media", "application/json", `{"json":"`+strings.Repeat("x", 64)+`"}`), 413, "payload_too_large")
	// optional body: none is fine
	wantOK(t, post("/v1/media", "", ""))
	// a body where none is declared
	wantProblem(t, post("/v1/nobody", "application/json", "{}"), 415, "unsupported_media_type")
	wantOK(t, post("/v1/nobody", "", ""))
}

func TestHandlerJSONBody(t *testing.T) {
	t.Parallel()
	f := newFixture(t, readDoc(t, "items.yaml"), openapi.Config{}, nil)
	post := func(body string) *httptest.ResponseRecorder {
		return f.do(t, req{method: "POST", target: "/v1/items", body: body,
			header: map[string]string{"Authorization": "Bearer writer", "Content-Type": "application/json"}})
	}
	s := wantOK(t, post(`{"name":"pen","price":1.5}`))
	wantJSON(t, "body", s.Body, `{"name":"pen","price":1.5}`)
	p := wantProblem(t, post(`{"name":"pen","price":-1}`), 422, "validation_failed")
	if len(p.Errors) != 1 || p.Errors[0].In != "body" || p.Errors[0].Pointer != "/price" {
		t.Errorf("errors = %+v, want one at /price in body", p.Errors)
	}
	wantProblem(t, f.do(t, req{method: "POST", target: "/v1/items", header: map[string]string{"Authorization": "Bearer writer"}}), 400, "malformed_request")
}

func TestHandlerRateLimit(t *testing.T) {
	t.Parallel()
	f := newFixture(t, readDoc(t, "items.yaml"), openapi.Config{
		RateLimiters: map[string]*ratelimit.Limiter{"writes": newLimiter(t, 5)}}, nil)
	post := req{method: "POST", target: "/v1/items", body: `{"name":"a"}`,
		header: map[string]string{"Authorization": "Bearer writer", "Content-Type": "application/json"}}
	// cost 3 of a limit of 5: one request, then a refusal
	wantOK(t, f.do(t, post))
	w := f.do(t, post)
	wantProblem(t, w, 429, apierrors.ReasonRateLimited)
	if w.Header().Get("Retry-After") == "" {
		t.Error("429 without Retry-After")
	}
	// other operations do not count
	wantOK(t, f.do(t, req{method: "GET", target: "/v1/items/2"}))
}

func TestHandlerCostAndOperation(t *testing.T) {
	t.Parallel()
	var cost int
	var name, pattern string
	f := newFixture(t, readDoc(t, "items.yaml"), openapi.Config{}, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cost = openapi.Cost(r)
		name, _ = openapi.Operation(r)
		pattern = route.Pattern(r) // what ratelimit.ByRoute and deprecation key on
	}))
	f.do(t, req{method: "POST", target: "/v1/items", body: `{"name":"a"}`,
		header: map[string]string{"Authorization": "Bearer writer", "Content-Type": "application/json"}})
	if cost != 3 || name != "createItem" {
		t.Errorf("Cost, Operation = %d, %q; want 3, createItem", cost, name)
	}
	f.do(t, req{method: "GET", target: "/v1/items/2"})
	if cost != 1 || name != "getItem" {
		t.Errorf("Cost, Operation = %d, %q; want 1, getItem", cost, name)
	}
	if pattern != "GET /items/{id}" {
		t.Errorf("route.Pattern = %q, want GET /items/{id}", pattern)
	}
	r := httptest.NewRequest("GET", "/", nil)
	if _, ok := openapi.Operation(r); ok || openapi.Cost(r) != 1 {
		t.Error("an unmatched request has an operation or a cost other than 1")
	}
}

func TestHandlerDeprecation(t *testing.T) {
	t.Parallel()
	f := newFixture(t, readDoc(t, "items.yaml"), openapi.Config{}, nil)
	w := f.do(t, req{method: "GET", target: "/v1/old"})
	wantOK(t, w)
	if got := w.Header().Get("Deprecation"); got != "@1767225600" {
		t.Errorf("Deprecation = %q, want @1767225600", got)
	}
	if got := w.Header().Get("Sunset"); got != "Tue, 01 Jan 2030 00:00:00 GMT" {
		t.Errorf("Sunset = %q", got)
	}
	if got := w.Header().Get("Link"); got != `</v2/new>; rel="successor-version"` {
		t.Errorf("Link = %q", got)
	}
	w = f.do(t, req{method: "GET", target: "/v1/gone"})
	wantProblem(t, w, 410, apierrors.ReasonGone)
	if w.Header().Get("Deprecation") == "" {
		t.Error("410 without Deprecation")
	}
	if w := f.do(t, req{method: "GET", target: "/v1/items/2"}); w.Header().Get("Deprecation") != "" {
		t.Error("a current operation is announced deprecated")
	}
}

// TestHandlerConcurrent runs every kind of request at once, for -race.
func TestHandlerConcurrent(t *testing.T) {
	t.Parallel()
	f := newFixture(t, readDoc(t, "items.yaml"), openapi.Config{}, nil)
	rqs := []struct {
		rq     req
		status int
	}{
		{req{method: "GET", target: "/v1/items?limit=3", header: map[string]string{"Authorization": "Bearer reader", "X-Tenant": "a"}}, 200},
		{req{method: "GET", target: "/v1/items/4"}, 200},
		{req{method: "GET", target: "/v1/items/0"}, 422},
		{req{method: "PUT", target: "/v1/items"}, 405},
		{req{method: "GET", target: "/v1/admin", header: map[string]string{"Authorization": "Bearer reader"}}, 403},
		{req{method: "POST", target: "/v1/forms", body: "n=1", header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}}, 200},
		{req{method: "GET", target: "/v1/gone"}, 410},
	}
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 50 {
				tc := rqs[(i+j)%len(rqs)]
				if w := f.do(t, tc.rq); w.Code != tc.status {
					t.Errorf("%s %s = %d, want %d", tc.rq.method, tc.rq.target, w.Code, tc.status)
				}
			}
		})
	}
	wg.Wait()
}
