// Package demotest attacks a running example server that serves the items
// API (items.go in examples/quickstart, chi and gorilla) the way outside
// testers did, and then checks that every route still answers. It is test
// machinery for the examples: each example's test starts its server with
// curltest.Start and hands the printed base URL and tokens here, so the
// three routers are held to the same findings.
//
// Every request carries a deadline: a handler that deadlocks the store
// makes the test fail with a message saying so, instead of hanging it.
package demotest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/apishield/apishield/examples/internal/curltest"
)

// Deadline is how long one request may take before the test calls the
// server stuck. Generous, for a loaded machine: a healthy request takes
// milliseconds, a deadlocked one forever.
const Deadline = 10 * time.Second

// A Target is a running example: its base URL and the demo tokens it
// printed (TOKEN, READER, ADMIN, ADMIN_MFA).
type Target struct {
	Base   string
	Tokens map[string]string
	Client *http.Client // if nil, a client without TLS settings
}

// FromPrinted is the Target of an example started with curltest.Start.
func FromPrinted(p curltest.Printed) Target {
	return Target{Base: p.Base, Tokens: p.Env}
}

// A Request is one request of an attack or a route check.
type Request struct {
	Method, Path string
	Token        string // the name of a demo token, or "" for none
	Body         string // sent as application/json when not ""
	Chunked      bool   // send Body without Content-Length
}

// Response is what came back, its body read.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Do sends req with a deadline of [Deadline] and fails the test if no
// answer comes in time.
func (tg Target) Do(t testing.TB, req Request) Response {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), Deadline)
	defer cancel()
	var body io.Reader
	if req.Body != "" {
		body = strings.NewReader(req.Body)
		if req.Chunked {
			body = io.MultiReader(body) // hides the length: sent chunked
		}
	}
	hr, err := http.NewRequestWithContext(ctx, req.Method, tg.Base+req.Path, body)
	if err != nil {
		t.Fatal(err)
	}
	if req.Body != "" {
		hr.Header.Set("Content-Type", "application/json")
	}
	if req.Token != "" {
		tok, ok := tg.Tokens[req.Token]
		if !ok {
			t.Fatalf("the server printed no token %s", req.Token)
		}
		hr.Header.Set("Authorization", "Bearer "+tok)
	}
	client := tg.Client
	if client == nil {
		client = &http.Client{}
	}
	resp, err := client.Do(hr)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("%s %s: no answer within %v: the server is stuck (a lock never released?)", req.Method, req.Path, Deadline)
		}
		t.Fatalf("%s %s: %v", req.Method, req.Path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the response: %v", req.Method, req.Path, err)
	}
	return Response{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

// Expect sends req and fails the test unless the status is want.
func (tg Target) Expect(t testing.TB, req Request, want int) Response {
	t.Helper()
	resp := tg.Do(t, req)
	if resp.Status != want {
		t.Fatalf("%s %s: status %d, want %d; body %s", req.Method, req.Path, resp.Status, want, resp.Body)
	}
	return resp
}

// EveryRoute checks that each route of the demo API answers, as the
// documented commands promise: the public ones, listing, creating,
// reading, and deleting (as a stepped-up admin) an item it creates. It is
// what a deadlocked store fails.
func EveryRoute(t testing.TB, tg Target) {
	t.Helper()
	for _, c := range []struct {
		req  Request
		want int
	}{
		{Request{Method: "GET", Path: "/healthz"}, http.StatusOK},
		{Request{Method: "GET", Path: "/.well-known/openid-configuration"}, http.StatusOK},
		{Request{Method: "GET", Path: "/.well-known/jwks.json"}, http.StatusOK},
		{Request{Method: "GET", Path: "/v1/items", Token: "TOKEN"}, http.StatusOK},
		{Request{Method: "GET", Path: "/v1/items/1", Token: "TOKEN"}, http.StatusOK},
	} {
		tg.Expect(t, c.req, c.want)
	}
	id := Create(t, tg, `{"name":"probe","price":1}`)
	tg.Expect(t, Request{Method: "DELETE", Path: "/v1/admin/items/" + id, Token: "ADMIN_MFA"}, http.StatusOK)
}

// Create posts an item as demo-user and returns its ID.
func Create(t testing.TB, tg Target, body string) string {
	t.Helper()
	resp := tg.Expect(t, Request{Method: "POST", Path: "/v1/items", Token: "TOKEN", Body: body}, http.StatusCreated)
	var it struct {
		ID json.Number `json:"id"`
	}
	if err := json.Unmarshal(resp.Body, &it); err != nil || it.ID == "" {
		t.Fatalf("created item %s: no id (%v)", resp.Body, err)
	}
	return it.ID.String()
}

// IntegerParams is the attack that deadlocked the store: a limit written
// as a JSON Schema integer that is not a plain one (1e1, 5.0, 100e-2).
// Each integral form must be served as the integer it denotes; a
// non-integral one, or one no int64 holds, is refused with a 422 pointing
// at the parameter; an item ID written the same ways names the same item.
// After each attack, the store must still answer another user (READER),
// and at the end every route must answer.
//
// It sends 15 requests as demo-user, under the demo API's burst of 20 per
// subject, so run it on a server of its own. It stops at the first failure:
// on a stuck server every later request would wait out its deadline too.
func IntegerParams(t *testing.T, tg Target) {
	// demo-user owns item 1; two more make three.
	Create(t, tg, `{"name":"a","price":1}`)
	Create(t, tg, `{"name":"b","price":2}`)
	const owned = 3
	for _, c := range []struct {
		limit string
		want  int // the items served, or -1 for a 422 in query at /limit
	}{
		{"1e1", min(10, owned)},
		{"5.0", min(5, owned)},
		{"100e-2", 1},
		{"0.2E1", 2},
		{"1.5", -1},
		{"1e-1", -1},
		{"9223372036854775808", -1},
	} {
		ok := t.Run("limit="+c.limit, func(t *testing.T) {
			resp := tg.Do(t, Request{Method: "GET", Path: "/v1/items?limit=" + c.limit, Token: "TOKEN"})
			// First: does the store still answer another user?
			tg.Expect(t, Request{Method: "GET", Path: "/v1/items", Token: "READER"}, http.StatusOK)
			if c.want < 0 {
				checkRefused(t, resp, "query:/limit")
				return
			}
			var page struct {
				Items []json.RawMessage `json:"items"`
			}
			if resp.Status != http.StatusOK || json.Unmarshal(resp.Body, &page) != nil || len(page.Items) != c.want {
				t.Fatalf("status %d, %d items, want 200 with %d; body %s", resp.Status, len(page.Items), c.want, resp.Body)
			}
		})
		if !ok {
			return
		}
	}
	for _, id := range []string{"1.0", "1e0", "10e-1"} {
		ok := t.Run("id="+id, func(t *testing.T) {
			resp := tg.Expect(t, Request{Method: "GET", Path: "/v1/items/" + id, Token: "TOKEN"}, http.StatusOK)
			if !bytes.Contains(resp.Body, []byte(`"id":1,`)) {
				t.Errorf("GET /v1/items/%s: body %s, want item 1", id, resp.Body)
			}
		})
		if !ok {
			return
		}
	}
	t.Run("every route", func(t *testing.T) { EveryRoute(t, tg) })
}

// checkRefused fails t unless resp is a 422 problem with one field error,
// at where ("query:/limit" for in query, at pointer /limit).
func checkRefused(t testing.TB, resp Response, where string) {
	t.Helper()
	var p struct {
		Status int    `json:"status"`
		Reason string `json:"reason"`
		Errors []struct {
			In      string `json:"in"`
			Pointer string `json:"pointer"`
		} `json:"errors"`
	}
	err := json.Unmarshal(resp.Body, &p)
	if resp.Status != http.StatusUnprocessableEntity || err != nil || p.Reason != "validation_failed" ||
		len(p.Errors) != 1 || p.Errors[0].In+":"+p.Errors[0].Pointer != where {
		t.Fatalf("status %d, want a 422 validation_failed problem at %s; body %s", resp.Status, where, resp.Body)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("Content-Type %q, want application/problem+json", ct)
	}
}

// BodyCap is the second finding: a 5 MB body on a GET route with no body
// schema was accepted. On every route of the demo API, a public one, the
// ones with a validator, the one with a body schema, the admin one and an
// unknown path, a 5 MB body is refused with a 413 problem, whether it
// announces its length or comes chunked; a body of max bytes (the cap the
// example configures) or a small one passes to the route, which answers as
// it does without one.
//
// It sends 12 requests as demo-user, so run it on a server of its own.
func BodyCap(t *testing.T, tg Target, max int64) {
	for _, rt := range []struct {
		req  Request // with the small body that passes
		want int     // the route's answer to it
	}{
		{Request{Method: "GET", Path: "/healthz", Body: "{}"}, http.StatusOK},
		{Request{Method: "GET", Path: "/.well-known/jwks.json", Body: "{}"}, http.StatusOK},
		{Request{Method: "GET", Path: "/v1/items", Token: "TOKEN", Body: "{}"}, http.StatusOK},
		{Request{Method: "GET", Path: "/v1/items/1", Token: "TOKEN", Body: "{}"}, http.StatusOK},
		{Request{Method: "POST", Path: "/v1/items", Token: "TOKEN", Body: `{"name":"pen","price":1}`}, http.StatusCreated},
		{Request{Method: "DELETE", Path: "/v1/admin/items/999", Token: "ADMIN_MFA", Body: "{}"}, http.StatusNotFound},
		{Request{Method: "GET", Path: "/v1/nope", Body: "{}"}, http.StatusNotFound},
	} {
		t.Run(rt.req.Method+" "+rt.req.Path, func(t *testing.T) {
			for _, chunked := range []bool{false, true} {
				resp := tg.Raw(t, rt.req, 5<<20, chunked)
				checkTooLarge(t, resp, fmt.Sprintf("5 MB (chunked %v)", chunked))
			}
			tg.Expect(t, rt.req, rt.want)
			small := rt.req
			small.Chunked = true
			tg.Expect(t, small, rt.want)
		})
	}
	t.Run("at the cap", func(t *testing.T) {
		req := Request{Method: "GET", Path: "/healthz"}
		for _, chunked := range []bool{false, true} {
			if resp := tg.Raw(t, req, max, chunked); resp.Status != http.StatusOK {
				t.Errorf("%d bytes (chunked %v): status %d, want 200; %s", max, chunked, resp.Status, resp.Body)
			}
			checkTooLarge(t, tg.Raw(t, req, max+1, chunked), fmt.Sprintf("%d bytes (chunked %v)", max+1, chunked))
		}
	})
}

// checkTooLarge fails t unless resp is a 413 payload_too_large problem.
func checkTooLarge(t testing.TB, resp Response, what string) {
	t.Helper()
	var p struct {
		Status int    `json:"status"`
		Reason string `json:"reason"`
	}
	err := json.Unmarshal(resp.Body, &p)
	if resp.Status != http.StatusRequestEntityTooLarge || err != nil || p.Reason != "payload_too_large" ||
		resp.Header.Get("Content-Type") != "application/problem+json" {
		t.Errorf("%s: status %d, want a 413 payload_too_large problem; body %s", what, resp.Status, resp.Body)
	}
}

// Raw sends req over a plain TCP connection with a body of size zero
// bytes (in place of req.Body), chunked or with Content-Length, the way an
// attacker's client does: the body is written in the background, so the
// server may answer before it has all been sent, as it should when it
// refuses it. The whole exchange has a deadline of [Deadline].
func (tg Target) Raw(t testing.TB, req Request, size int64, chunked bool) Response {
	t.Helper()
	u, err := url.Parse(tg.Base)
	if err != nil || u.Scheme != "http" {
		t.Fatalf("Raw needs a plain HTTP base URL, not %q", tg.Base)
	}
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := conn.SetDeadline(time.Now().Add(Deadline)); err != nil {
		t.Fatal(err)
	}
	head := req.Method + " " + req.Path + " HTTP/1.1\r\nHost: " + u.Host + "\r\nContent-Type: application/json\r\n"
	if req.Token != "" {
		tok, ok := tg.Tokens[req.Token]
		if !ok {
			t.Fatalf("the server printed no token %s", req.Token)
		}
		head += "Authorization: Bearer " + tok + "\r\n"
	}
	if chunked {
		head += "Transfer-Encoding: chunked\r\n\r\n"
	} else {
		head += fmt.Sprintf("Content-Length: %d\r\n\r\n", size)
	}
	if _, err := io.WriteString(conn, head); err != nil {
		t.Fatal(err)
	}
	go func() {
		// Write errors are expected once the server has answered and closed.
		chunk := make([]byte, 32<<10)
		for sent := int64(0); sent < size; {
			n := min(int64(len(chunk)), size-sent)
			if chunked {
				if _, err := fmt.Fprintf(conn, "%x\r\n%s\r\n", n, chunk[:n]); err != nil {
					return
				}
			} else if _, err := conn.Write(chunk[:n]); err != nil {
				return
			}
			sent += n
		}
		if chunked {
			_, _ = io.WriteString(conn, "0\r\n\r\n")
		}
	}()
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		if ne, ok := err.(net.Error); ok && ne.Timeout() {
			t.Fatalf("%s %s: no answer within %v", req.Method, req.Path, Deadline)
		}
		t.Fatalf("%s %s: reading the response: %v", req.Method, req.Path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the response body: %v", req.Method, req.Path, err)
	}
	return Response{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

// OrderOfChecks holds an example to the one order of checks the README
// documents: authentication, then the rules on the caller (scopes, roles,
// step-up), then the path parameters, then the object's owner. So a
// malformed item ID is the same 422 at path:/id on the route whose policy
// looks up the item's owner (GET /v1/items/{id}) as on the one whose
// policy does not (DELETE /v1/admin/items/{id}); an ID of no item is a 404
// on both; and a caller a route refuses is refused before its ID is read.
//
// It sends 7 requests as demo-user and 7 as the stepped-up admin.
func OrderOfChecks(t *testing.T, tg Target) {
	for _, id := range []string{"abc", "0", "-1", "1.5", "1e19", "x%20y"} {
		t.Run("malformed id "+id, func(t *testing.T) {
			get := tg.Do(t, Request{Method: "GET", Path: "/v1/items/" + id, Token: "TOKEN"})
			del := tg.Do(t, Request{Method: "DELETE", Path: "/v1/admin/items/" + id, Token: "ADMIN_MFA"})
			checkRefused(t, get, "path:/id")
			checkRefused(t, del, "path:/id")
		})
	}
	t.Run("no such item", func(t *testing.T) {
		tg.Expect(t, Request{Method: "GET", Path: "/v1/items/999999", Token: "TOKEN"}, http.StatusNotFound)
		tg.Expect(t, Request{Method: "DELETE", Path: "/v1/admin/items/999999", Token: "ADMIN_MFA"}, http.StatusNotFound)
	})
	t.Run("the caller before the ID", func(t *testing.T) {
		for _, c := range []struct {
			req  Request
			want int
		}{
			{Request{Method: "GET", Path: "/v1/items/abc"}, http.StatusUnauthorized},
			{Request{Method: "DELETE", Path: "/v1/admin/items/abc"}, http.StatusUnauthorized},
			{Request{Method: "DELETE", Path: "/v1/admin/items/abc", Token: "READER"}, http.StatusForbidden},
			{Request{Method: "DELETE", Path: "/v1/admin/items/abc", Token: "ADMIN"}, http.StatusUnauthorized}, // step up first
		} {
			tg.Expect(t, c.req, c.want)
		}
	})
}
