package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestAuditEventsOnStdout runs the quickstart, sends a request that fails
// and one that succeeds, and reads their audit events from stdout: one JSON
// line each, in the Elastic Common Schema.
func TestAuditEventsOnStdout(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-addr", "127.0.0.1:0"}, pw, io.Discard)
		pw.Close()
	}()
	defer func() {
		cancel()
		go io.Copy(io.Discard, pr)
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	}()
	sc := bufio.NewScanner(pr)
	base := ""
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "apishield quickstart listening on ") {
			base = strings.TrimPrefix(line, "apishield quickstart listening on ")
		}
		if line == "Press Ctrl-C to stop." {
			break
		}
	}
	client := &http.Client{Timeout: 10 * time.Second}
	for _, path := range []string{"/v1/items/999?token=secret-value", "/healthz"} {
		req, _ := http.NewRequest("GET", base+path, nil)
		req.Header.Set("Authorization", "Bearer secret-value")
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	type event struct {
		Timestamp string `json:"@timestamp"`
		Event     struct {
			Action  string `json:"action"`
			Outcome string `json:"outcome"`
			Reason  string `json:"reason"`
		} `json:"event"`
		HTTP struct {
			Route    string `json:"route"`
			Response struct {
				Status int `json:"status_code"`
			} `json:"response"`
		} `json:"http"`
		URL struct {
			Path  string `json:"path"`
			Query string `json:"query"`
		} `json:"url"`
		Source struct {
			IP string `json:"ip"`
		} `json:"source"`
	}
	want := []struct {
		path, route, outcome, reason, query string
		status                              int
	}{
		{"/v1/items/999", "GET /v1/items/{id}", "failure", "not_found", "token=[REDACTED]", 404},
		{"/healthz", "GET /healthz", "success", "", "", 200},
	}
	for i, w := range want {
		if !sc.Scan() {
			t.Fatalf("no audit line %d: %v", i+1, sc.Err())
		}
		line := sc.Text()
		if strings.Contains(line, "secret-value") {
			t.Errorf("audit line holds the secret: %s", line)
		}
		var e event
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("audit line %d is not JSON: %v\n%s", i+1, err, line)
		}
		if e.URL.Path != w.path || e.HTTP.Route != w.route || e.Event.Outcome != w.outcome || e.Event.Reason != w.reason ||
			e.URL.Query != w.query || e.HTTP.Response.Status != w.status || e.Source.IP != "127.0.0.1" || e.Timestamp == "" {
			t.Errorf("audit line %d = %+v, want %+v", i+1, e, w)
		}
	}
}
