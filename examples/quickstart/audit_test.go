package main

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apishield/apishield/examples/internal/curltest"
)

// TestAuditEventsOnStdout runs the quickstart (plain HTTP), sends a request
// with a forged token, one with the demo token and one that needs none, and
// reads their audit events from stdout: one JSON line each, in the Elastic
// Common Schema, with the failed authentication named as such and no token
// in any line. Then an admin signs the reader out everywhere, which logs
// the revocation, and the reader's next request is logged as the reuse of
// a revoked token.
func TestAuditEventsOnStdout(t *testing.T) {
	events, w := io.Pipe()
	p := curltest.Start(t, run, []string{"-http", "-addr", "127.0.0.1:0", "-metrics-addr", "", "-cert-out", filepath.Join(t.TempDir(), "cert.pem")}, w)
	t.Cleanup(func() { go io.Copy(io.Discard, events) }) // runs before Start's: the server can stop writing
	sc := bufio.NewScanner(events)
	base, token := p.Base, p.Env["TOKEN"]
	if base == "" || token == "" {
		t.Fatalf("no address or demo token printed (base %q)", base)
	}
	client := &http.Client{Timeout: 10 * time.Second}
	for _, c := range []struct{ method, path, bearer string }{
		{"GET", "/v1/items/1?token=secret-value", "secret-value"},
		{"GET", "/v1/items/999", token},
		{"GET", "/healthz", ""},
		// An admin signs the reader out everywhere; the reader's token is
		// then refused.
		{"DELETE", "/v1/admin/sessions/reader-user", p.Env["ADMIN_MFA"]},
		{"GET", "/v1/items", p.Env["READER"]},
	} {
		req, _ := http.NewRequest(c.method, base+c.path, nil)
		if c.bearer != "" {
			req.Header.Set("Authorization", "Bearer "+c.bearer)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	type event struct {
		Timestamp string `json:"@timestamp"`
		User      struct {
			ID string `json:"id"`
		} `json:"user"`
		Event struct {
			Action  string `json:"action"`
			Outcome string `json:"outcome"`
			Reason  string `json:"reason"`
		} `json:"event"`
		HTTP struct {
			Response struct {
				Status int `json:"status_code"`
			} `json:"response"`
		} `json:"http"`
		Apishield struct {
			Route string `json:"route"`
		} `json:"apishield"`
		URL struct {
			Path  string `json:"path"`
			Query string `json:"query"`
		} `json:"url"`
		Source struct {
			IP string `json:"ip"`
		} `json:"source"`
	}
	want := []struct {
		action, path, route, outcome, reason, query, user string
		status                                            int
	}{
		{"authn_login_fail", "/v1/items/1", "GET /v1/items/{id}", "failure", "invalid_token", "token=[REDACTED]", "", 401},
		// The owner lookup finds no item: authz answers 404, as it does for
		// someone else's item, and audit logs not_found, keeping authz_fail
		// for the someone-else's-item requests that make a BOLA probe.
		{"not_found", "/v1/items/999", "GET /v1/items/{id}", "failure", "not_found", "", "demo-user", 404},
		{"http_request", "/healthz", "GET /healthz", "success", "", "", "", 200},
		// The revocation, logged by the handler while the request runs
		// (an application event: the route, not the URL), then the
		// request itself.
		{"authn_token_revoked", "", "DELETE /v1/admin/sessions/{sub}", "success", "", "", "reader-user", 0},
		{"http_request", "/v1/admin/sessions/reader-user", "DELETE /v1/admin/sessions/{sub}", "success", "", "", "admin-user", 200},
		{"authn_token_reuse", "/v1/items", "GET /v1/items", "failure", "invalid_token", "", "", 401},
	}
	for i, w := range want {
		if !sc.Scan() {
			t.Fatalf("no audit line %d: %v", i+1, sc.Err())
		}
		line := sc.Text()
		if strings.Contains(line, "secret-value") || strings.Contains(line, token) {
			t.Errorf("audit line holds a token: %s", line)
		}
		var e event
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("audit line %d is not JSON: %v\n%s", i+1, err, line)
		}
		if e.Event.Action != w.action || e.User.ID != w.user || e.URL.Path != w.path || e.Apishield.Route != w.route || e.Event.Outcome != w.outcome || e.Event.Reason != w.reason ||
			e.URL.Query != w.query || e.HTTP.Response.Status != w.status || e.Source.IP != "127.0.0.1" || e.Timestamp == "" {
			t.Errorf("audit line %d = %+v, want %+v", i+1, e, w)
		}
	}
}
