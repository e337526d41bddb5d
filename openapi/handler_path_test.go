package openapi_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"
	"github.com/gorilla/mux"

	apierrors "github.com/apishield/apishield/errors"
	"github.com/apishield/apishield/openapi"
)

// pathDoc has concrete paths that need a scope beside public templates
// that would take the same text: the shape where the contract and the
// router behind it must agree on which operation a path is.
const pathDoc = `openapi: 3.1.0
info: {title: Paths, version: "1"}
components:
  securitySchemes:
    oauth:
      type: oauth2
      flows:
        clientCredentials:
          tokenUrl: https://auth.example.com/token
          scopes: {items:write: w}
paths:
  /items/admin:
    get:
      operationId: admin
      security: [{oauth: [items:write]}]
      responses: {"200": {description: ok}}
  /items/{id}:
    get:
      operationId: getItem
      security: []
      parameters:
        - {name: id, in: path, required: true, schema: {type: string}}
      responses: {"200": {description: ok}}
`

// TestHandlerPathEncoding sends paths that spell a concrete segment with
// percent-encoded unreserved characters, which RFC 3986 §6.2.2.2 makes
// the same path and ServeMux routes as such: the contract must check the
// operation the router then serves, not a template's.
func TestHandlerPathEncoding(t *testing.T) {
	t.Parallel()
	patterns := map[string]string{"admin": "GET /items/admin", "getItem": "GET /items/{id}"}
	mux := http.NewServeMux()
	for _, p := range patterns {
		mux.HandleFunc(p, func(w http.ResponseWriter, r *http.Request) {
			op, _ := openapi.Operation(r)
			if patterns[op] != r.Pattern {
				t.Errorf("%s: the contract checked %s, the mux served %q", r.URL, op, r.Pattern)
			}
			_, _ = io.WriteString(w, r.Pattern)
		})
	}
	f := newFixture(t, []byte(pathDoc), openapi.Config{}, mux)
	for _, target := range []string{"/items/admin", "/items/%61dmin", "/items/adm%69n", "/items/%61%64%6D%69%6E", "/items/%61%64%6d%69%6e"} {
		t.Run(target, func(t *testing.T) {
			t.Parallel()
			wantProblem(t, f.do(t, req{method: "GET", target: target}), 401, apierrors.ReasonUnauthenticated)
			w := f.do(t, req{method: "GET", target: target, header: map[string]string{"Authorization": "Bearer writer"}})
			if w.Code != 200 || w.Body.String() != "GET /items/admin" {
				t.Errorf("with items:write: %d %q, want 200 from GET /items/admin", w.Code, w.Body)
			}
		})
	}
	// chi routes the escaped path: it sees the canonical one too.
	cr := chi.NewRouter()
	for op, p := range patterns {
		cr.Get(strings.TrimPrefix(p, "GET "), func(w http.ResponseWriter, r *http.Request) {
			if got, _ := openapi.Operation(r); got != op {
				t.Errorf("%s: the contract checked %s, chi served %s", r.URL, got, op)
			}
			_, _ = io.WriteString(w, p)
		})
	}
	fc := newFixture(t, []byte(pathDoc), openapi.Config{}, cr)
	w := fc.do(t, req{method: "GET", target: "/items/%61dmin", header: map[string]string{"Authorization": "Bearer writer"}})
	if w.Code != 200 || w.Body.String() != "GET /items/admin" {
		t.Errorf("chi, with items:write: %d %q, want 200 from GET /items/admin", w.Code, w.Body)
	}
	// A literal with a sub-delimiter, sent encoded: chi reads the spelling
	// the contract hands on, where it is decoded.
	opsDoc := strings.Replace(pathDoc, "  /items/admin:", `  /items/a:b:
    get:
      operationId: colon
      security: [{oauth: [items:write]}]
      responses: {"200": {description: ok}}
  /items/admin:`, 1)
	cc := chi.NewRouter()
	for op, p := range map[string]string{"colon": "/items/a:b", "getItem": "/items/{id}"} {
		cc.Get(p, func(w http.ResponseWriter, r *http.Request) {
			if got, _ := openapi.Operation(r); got != op {
				t.Errorf("%s: the contract checked %s, chi served %s", r.URL, got, op)
			}
			_, _ = io.WriteString(w, op)
		})
	}
	fo := newFixture(t, []byte(opsDoc), openapi.Config{}, cc)
	wantProblem(t, fo.do(t, req{method: "GET", target: "/items/a%3Ab"}), 401, apierrors.ReasonUnauthenticated)
	if w := fo.do(t, req{method: "GET", target: "/items/a%3Ab", header: map[string]string{"Authorization": "Bearer writer"}}); w.Code != 200 || w.Body.String() != "colon" {
		t.Errorf("chi, GET /items/a%%3Ab with items:write: %d %q, want 200 from colon", w.Code, w.Body)
	}
	// An encoded slash or percent, and characters a path cannot carry as
	// they are, stay encoded in the segment.
	for _, target := range []string{"/items/adm%2Fin", "/items/%2561dmin", "/items/admin%00"} {
		w := f.do(t, req{method: "GET", target: target})
		if w.Code != 200 || w.Body.String() != "GET /items/{id}" {
			t.Errorf("GET %s = %d %q, want 200 from GET /items/{id}", target, w.Code, w.Body)
		}
	}
}

// TestHandlerEncodedSlash sends a path parameter holding an encoded
// slash. ServeMux and chi keep it in the segment, as the contract does;
// gorilla/mux by default routes the decoded path, where the slash starts
// another segment. A path that names another operation once its encoded
// slashes are decoded is refused, so that no router behind the contract,
// nor one it runs inside, serves an operation the contract did not check.
func TestHandlerEncodedSlash(t *testing.T) {
	t.Parallel()
	doc := pathDoc + `  /files/{name}:
    get:
      operationId: getFile
      security: []
      parameters:
        - {name: name, in: path, required: true, schema: {type: string}}
      responses: {"200": {description: ok}}
  /files/{name}/secret:
    get:
      operationId: secret
      security: [{oauth: [items:write]}]
      parameters:
        - {name: name, in: path, required: true, schema: {type: string}}
      responses: {"200": {description: ok}}
`
	templates := map[string]string{"getFile": "/files/{name}", "secret": "/files/{name}/secret"}
	newGorilla := func() *mux.Router {
		gr := mux.NewRouter()
		for op, p := range templates {
			gr.HandleFunc(p, func(w http.ResponseWriter, r *http.Request) {
				if got, _ := openapi.Operation(r); got != op {
					t.Errorf("%s: the contract checked %s, gorilla/mux served %s", r.URL, got, op)
				}
				_, _ = io.WriteString(w, op)
			}).Methods("GET")
		}
		return gr
	}
	behind := newFixture(t, []byte(doc), openapi.Config{}, newGorilla())
	gr := newGorilla()
	inside := newFixture(t, []byte(doc), openapi.Config{}, gr)
	gr.Use(inside.contract.Handler)
	inside.h = gr
	for name, f := range map[string]*fixture{"in front of gorilla/mux": behind, "in gorilla/mux's Use": inside} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			wantProblem(t, f.do(t, req{method: "GET", target: "/files/x%2Fsecret"}), 400, apierrors.ReasonMalformedRequest)
			wantProblem(t, f.do(t, req{method: "GET", target: "/files/x%2fsecret"}), 400, apierrors.ReasonMalformedRequest)
			if name == "in front of gorilla/mux" {
				wantProblem(t, f.do(t, req{method: "GET", target: "/files/x/secret"}), 401, apierrors.ReasonUnauthenticated)
			}
		})
	}
	// A value whose decoded slash names no other operation passes, and
	// keeps its slash, on ServeMux.
	sm := http.NewServeMux()
	sm.HandleFunc("GET /files/{name}", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, r.PathValue("name"))
	})
	f := newFixture(t, []byte(doc), openapi.Config{}, sm)
	if w := f.do(t, req{method: "GET", target: "/files/a%2Fb"}); w.Code != 200 || w.Body.String() != "a/b" {
		t.Errorf("GET /files/a%%2Fb = %d %q, want 200 \"a/b\"", w.Code, w.Body)
	}
}

// FuzzHandlerAgreesWithServeMux sends any escaped path through the
// contract in front of a ServeMux serving the same templates: whenever
// the mux runs a handler, it is the one for the operation the contract
// checked.
func FuzzHandlerAgreesWithServeMux(f *testing.F) {
	doc := pathDoc + `  /files/{name}:
    get:
      operationId: getFile
      security: []
      parameters:
        - {name: name, in: path, required: true, schema: {type: string}}
      responses: {"200": {description: ok}}
  /files/{name}/secret:
    get:
      operationId: secret
      security: [{oauth: [items:write]}]
      parameters:
        - {name: name, in: path, required: true, schema: {type: string}}
      responses: {"200": {description: ok}}
`
	patterns := map[string]string{"admin": "GET /items/admin", "getItem": "GET /items/{id}",
		"getFile": "GET /files/{name}", "secret": "GET /files/{name}/secret"}
	mux := http.NewServeMux()
	for _, p := range patterns {
		mux.HandleFunc(p, func(w http.ResponseWriter, r *http.Request) {
			op, _ := openapi.Operation(r)
			if patterns[op] != r.Pattern {
				panic(r.URL.EscapedPath() + ": the contract checked " + op + ", the mux served " + r.Pattern)
			}
		})
	}
	fx := newFixture(f, []byte(doc), openapi.Config{}, mux)
	for _, s := range []string{"/items/%61dmin", "/files/x%2Fsecret", "/items/adm%69n", "/files/%2E%2E/secret", "/items/a%2561"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, path string) {
		r, err := http.NewRequest("GET", "http://example.com"+path, nil)
		if err != nil || r.URL.Opaque != "" || r.URL.Host != "example.com" {
			t.Skip()
		}
		fx.h.ServeHTTP(httptest.NewRecorder(), r)
	})
}
