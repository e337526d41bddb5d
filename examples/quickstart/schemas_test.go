package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/apishield/apishield/auth/authtest"
)

// stack is the quickstart's whole stack, in process, with its dev issuer.
func stack(t *testing.T) (http.Handler, *authtest.Issuer) {
	t.Helper()
	dev, err := newDevIssuer("http://127.0.0.1:1", audience)
	if err != nil {
		t.Fatal(err)
	}
	aud, err := newAuditor(io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := closeAuditor(aud); err != nil {
			t.Errorf("closing the auditor: %v", err)
		}
	})
	h, err := newHandler(context.Background(), slog.New(slog.DiscardHandler), dev, aud, []string{"example.com"})
	if err != nil {
		t.Fatal(err)
	}
	return h, dev
}

// testHandler is the whole stack sending every request with a demo token
// for demo-user, who may read and write items.
func testHandler(t *testing.T) (http.Handler, string) {
	t.Helper()
	h, dev := stack(t)
	token := dev.Token(authtest.Claims{Subject: "demo-user", Scopes: []string{"items:read", "items:write"}})
	return authorized{h, token}, token
}

// authorized sends every request with the bearer token.
type authorized struct {
	h     http.Handler
	token string
}

func (a authorized) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	r.Header.Set("Authorization", "Bearer "+a.token)
	a.h.ServeHTTP(w, r)
}

func do(t *testing.T, h http.Handler, method, target, ctype, body string) (int, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, target, rd)
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	rr := httptest.NewRecorder()
	h.ServeHTTP(rr, req)
	var out map[string]any
	if err := json.Unmarshal(rr.Body.Bytes(), &out); err != nil {
		t.Fatalf("%s %s: body %q: %v", method, target, rr.Body, err)
	}
	return rr.Code, out
}

// TestItemValidation checks the contract wired in policy.go: what the
// validator refuses, with which pointers, and that a valid item reaches the
// store with its fields intact.
func TestItemValidation(t *testing.T) {
	t.Parallel()
	h, _ := testHandler(t)
	code, got := do(t, h, "POST", "/v1/items", "application/json", `{"name":"pen","price":2.5,"tags":["a","b"]}`)
	if code != 201 || got["name"] != "pen" || got["price"] != 2.5 || len(got["tags"].([]any)) != 2 {
		t.Fatalf("create: %d %v", code, got)
	}
	for _, tc := range []struct {
		name, body string
		pointers   []string
	}{
		{"empty name, negative price, unknown owner", `{"name":"","price":-1,"owner":"me"}`, []string{"/name", "/owner", "/price"}},
		{"name too long", `{"name":"` + strings.Repeat("x", 101) + `","price":1}`, []string{"/name"}},
		{"eleven tags", `{"name":"a","price":1,"tags":["1","2","3","4","5","6","7","8","9","10","11"]}`, []string{"/tags"}},
		{"missing price", `{"name":"a"}`, []string{"/price"}},
	} {
		code, got := do(t, h, "POST", "/v1/items", "application/json", tc.body)
		if code != 422 || got["reason"] != "validation_failed" {
			t.Errorf("%s: %d %v, want 422 validation_failed", tc.name, code, got)
			continue
		}
		var ptrs []string
		for _, e := range got["errors"].([]any) {
			ptrs = append(ptrs, e.(map[string]any)["pointer"].(string))
		}
		if strings.Join(ptrs, " ") != strings.Join(tc.pointers, " ") {
			t.Errorf("%s: pointers %v, want %v", tc.name, ptrs, tc.pointers)
		}
	}
	if code, got := do(t, h, "POST", "/v1/items", "text/plain", `{"name":"a","price":1}`); code != 415 {
		t.Errorf("text/plain: %d %v, want 415", code, got)
	}
}

// TestItemsPaging checks that limit and cursor are validated, coerced and used.
func TestItemsPaging(t *testing.T) {
	t.Parallel()
	h, _ := testHandler(t)
	for range 3 {
		if code, got := do(t, h, "POST", "/v1/items", "application/json", `{"name":"x","price":1}`); code != 201 {
			t.Fatalf("create: %d %v", code, got)
		}
	}
	code, got := do(t, h, "GET", "/v1/items?limit=2", "", "")
	if code != 200 || len(got["items"].([]any)) != 2 || got["next_cursor"] != "2" {
		t.Fatalf("first page: %d %v", code, got)
	}
	code, got = do(t, h, "GET", "/v1/items?limit=2&cursor=2", "", "")
	if code != 200 || len(got["items"].([]any)) != 2 || got["next_cursor"] != nil {
		t.Fatalf("second page: %d %v", code, got)
	}
	for _, q := range []string{"limit=0", "limit=101", "limit=abc", "cursor=-1", "limit=1&limit=2", "page=2", "limit=1e999999"} {
		if code, got := do(t, h, "GET", "/v1/items?"+q, "", ""); code != 422 {
			t.Errorf("?%s: %d %v, want 422", q, code, got)
		}
	}
}
