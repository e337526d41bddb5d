package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/go-chi/chi/v5"

	"github.com/apishield/apishield/audit"
)

// lockedBuffer is an io.Writer the auditor's writer goroutine and the test
// can share.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// newTestServer serves the example's handler in process, with its demo
// tokens by name and its auditor writing to the returned buffer.
func newTestServer(t *testing.T) (*httptest.Server, map[string]string, *audit.Auditor, *lockedBuffer) {
	t.Helper()
	dev, err := newDevIssuer("http://127.0.0.1:1", audience)
	if err != nil {
		t.Fatal(err)
	}
	tokens := map[string]string{}
	for _, d := range demoTokens(dev) {
		tokens[d.name] = d.token
	}
	var events lockedBuffer
	aud, err := newAuditor(&events)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := closeAuditor(aud); err != nil {
			t.Errorf("closing the auditor: %v", err)
		}
	})
	h, err := newHandler(context.Background(), slog.New(slog.DiscardHandler), dev, aud)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv, tokens, aud, &events
}

func do(t *testing.T, method, url, token string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, body
}

// TestUnknownRoutesAndMethods: chi's NotFound and MethodNotAllowed answer
// with problems, 405 with the Allow header chi does not pass to a custom
// handler, and the policy lets them through to chi instead of refusing
// them, even for an anonymous caller.
func TestUnknownRoutesAndMethods(t *testing.T) {
	t.Parallel()
	srv, tokens, _, _ := newTestServer(t)
	for _, c := range []struct {
		method, path, token string
		status              int
		allow               string
	}{
		{"DELETE", "/v1/items", tokens["TOKEN"], 405, "GET, POST"},
		{"PUT", "/v1/items/1", tokens["TOKEN"], 405, "GET"},
		{"POST", "/healthz", "", 405, "GET"},
		{"GET", "/v1/items/1/extra", tokens["TOKEN"], 404, ""},
		{"GET", "/v1/nope", "", 404, ""},
		{"GET", "/v1/items/", tokens["TOKEN"], 404, ""},
	} {
		t.Run(c.method+" "+c.path, func(t *testing.T) {
			resp, body := do(t, c.method, srv.URL+c.path, c.token)
			if resp.StatusCode != c.status {
				t.Fatalf("status = %d, want %d; body %s", resp.StatusCode, c.status, body)
			}
			checkProblem(t, resp, body, c.status)
			if got := strings.Join(resp.Header.Values("Allow"), ", "); got != c.allow {
				t.Errorf("Allow = %q, want %q", got, c.allow)
			}
		})
	}
}

// TestPathValidatorReadsChiParams: the item ID validator reads {id} from
// chi and names it in the 422: in path, at /id.
func TestPathValidatorReadsChiParams(t *testing.T) {
	t.Parallel()
	srv, tokens, _, _ := newTestServer(t)
	for _, id := range []string{"0", "abc", "1000000000"} {
		resp, body := do(t, "DELETE", srv.URL+"/v1/admin/items/"+id, tokens["ADMIN_MFA"])
		if resp.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("id %s: status = %d, want 422; body %s", id, resp.StatusCode, body)
		}
		var p struct {
			Errors []struct{ In, Pointer string } `json:"errors"`
		}
		if err := json.Unmarshal(body, &p); err != nil || len(p.Errors) != 1 || p.Errors[0].In != "path" || p.Errors[0].Pointer != "/id" {
			t.Errorf("id %s: want one error in path at /id, body %s", id, body)
		}
	}
	// A valid ID reaches the handler, which reads it with chi.URLParam.
	if resp, body := do(t, "DELETE", srv.URL+"/v1/admin/items/1", tokens["ADMIN_MFA"]); resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"deleted":1`) {
		t.Fatalf("delete item 1: status %d, body %s", resp.StatusCode, body)
	}
}

// TestForgottenRouteStopsStartUp: a route added without a policy entry
// makes CheckChi fail and name it; the example's own routes all have one.
func TestForgottenRouteStopsStartUp(t *testing.T) {
	t.Parallel()
	dev, err := newDevIssuer("http://127.0.0.1:1", audience)
	if err != nil {
		t.Fatal(err)
	}
	v, err := newItemValidators(chi.URLParam)
	if err != nil {
		t.Fatal(err)
	}
	items := newItemStore()
	policy, err := newPolicy(items, v, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	r := chi.NewRouter()
	routes(r, dev, items, v)
	if err := policy.CheckChi(r); err != nil {
		t.Fatalf("the example's routes: %v", err)
	}
	r.With(v.id.Handler).Put("/v1/items/{id}", http.NotFound)
	err = policy.CheckChi(r)
	if err == nil || !strings.Contains(err.Error(), "PUT /v1/items/{id}") {
		t.Fatalf("CheckChi with a forgotten route: err = %v, want it named", err)
	}
}

// TestAuditNamesRouteBeforeChiRoutes: a request auth refuses never reaches
// chi's routing, yet its audit event names the route (route.Chi), and a
// request to no route names none.
func TestAuditNamesRouteBeforeChiRoutes(t *testing.T) {
	t.Parallel()
	srv, tokens, aud, events := newTestServer(t)
	for _, c := range []struct{ method, path, token string }{
		{"GET", "/v1/items/1", "forged-token"},
		{"GET", "/v1/items/1", tokens["READER"]},
		{"DELETE", "/v1/admin/items/1", tokens["ADMIN"]},
		{"GET", "/v1/nope", ""},
	} {
		do(t, c.method, srv.URL+c.path, c.token)
	}
	if err := closeAuditor(aud); err != nil { // flushes every event
		t.Fatalf("closing the auditor: %v", err)
	}
	want := []struct {
		route  string
		status int
	}{
		{"GET /v1/items/{id}", 401},
		{"GET /v1/items/{id}", 404}, // not the reader's item: the same 404 as a missing one
		{"DELETE /v1/admin/items/{id}", 401},
		{"", 404},
	}
	lines := strings.Split(strings.TrimSpace(events.String()), "\n")
	if len(lines) != len(want) {
		t.Fatalf("%d audit lines, want %d:\n%s", len(lines), len(want), events.String())
	}
	for i, line := range lines {
		var e struct {
			HTTP struct {
				Response struct {
					Status int `json:"status_code"`
				} `json:"response"`
			} `json:"http"`
			Apishield struct {
				Route string `json:"route"`
			} `json:"apishield"`
		}
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("audit line %d is not JSON: %v", i+1, err)
		}
		if e.Apishield.Route != want[i].route || e.HTTP.Response.Status != want[i].status {
			t.Errorf("audit line %d: route %q status %d, want %q %d\n%s", i+1, e.Apishield.Route, e.HTTP.Response.Status, want[i].route, want[i].status, line)
		}
	}
}

// checkProblem checks that resp is an RFC 9457 problem with status want.
func checkProblem(t *testing.T, resp *http.Response, body []byte, want int) {
	t.Helper()
	var p struct {
		Status int    `json:"status"`
		Reason string `json:"reason"`
		Title  string `json:"title"`
	}
	json.Unmarshal(body, &p)
	if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" || p.Status != want || p.Reason == "" || p.Title == "" {
		t.Errorf("want a %d problem: Content-Type %q, body %s", want, ct, body)
	}
}
