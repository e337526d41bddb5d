package main

import (
	"net/http"
	"testing"
)

// TestUnderscoreTwinsRefused: a header whose name, with "_" read as "-", is
// one the gateway sets or forwards is refused. CGI, WSGI, Rack and PHP upstreams name
// both spellings HTTP_X_APISHIELD_SUBJECT, so the forged one would merge
// with, or replace, the verified one.
func TestUnderscoreTwinsRefused(t *testing.T) {
	t.Parallel()
	up := newRecordingUpstream(t)
	g := start(t, "-upstream", up.URL)
	for _, name := range []string{
		"X_Apishield_Subject",
		"x_apishield_scopes",
		"X-Apishield_Subject",
		"X_APISHIELD-AUTH-METHOD",
		"X_Apishield_Roles", // not one the gateway sets today, but under its prefix
		"X_Request_Id",
		"X_Forwarded_For",
		"X_Forwarded_Host",
		"X.Apishield.Subject", // Apache's CGI reads every non-alphanumeric as "_"
		"Content_Type",        // twins of the forwarded headers, too
		"Accept_Language",
	} {
		t.Run(name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", g.Base+"/v1/items", nil)
			req.Header.Set("Authorization", "Bearer "+g.Env["READER"])
			req.Header[name] = []string{"admin"} // as written: Go's client sends the name as it is
			status, body := do(t, req)
			if status != http.StatusBadRequest || reason(body) != "malformed_request" {
				t.Errorf("got status %d, body %q; want 400 malformed_request", status, body)
			}
		})
	}
	if got := up.received(); len(got) != 0 {
		t.Errorf("upstream received %d requests, want none: %v", len(got), got)
	}
	// A name with "_" that stands for nothing the gateway sets is no forgery.
	req, _ := http.NewRequest("GET", g.Base+"/v1/items", nil)
	req.Header.Set("Authorization", "Bearer "+g.Env["READER"])
	req.Header["X_Custom_Thing"] = []string{"1"}
	if status, body := do(t, req); status != http.StatusOK {
		t.Errorf("X_Custom_Thing: got status %d, body %q; want 200", status, body)
	}
}
