package errors_test

import (
	"net/http"
	"os"
	"regexp"
	"strconv"
	"testing"

	apierrors "github.com/apishield/apishield/errors"
)

func TestRegistry(t *testing.T) {
	t.Parallel()
	snake := regexp.MustCompile(`^[a-z][a-z0-9]*(_[a-z0-9]+)*$`)
	seen := map[string]bool{}
	for _, ri := range apierrors.Reasons() {
		if !snake.MatchString(ri.Reason) {
			t.Errorf("reason %q is not snake_case", ri.Reason)
		}
		if seen[ri.Reason] {
			t.Errorf("reason %q registered twice", ri.Reason)
		}
		seen[ri.Reason] = true
		if ri.Status < 400 || ri.Status > 599 {
			t.Errorf("reason %q has status %d; problems are 4xx or 5xx", ri.Reason, ri.Status)
		}
		if ri.Title == "" || ri.Meaning == "" {
			t.Errorf("reason %q lacks a title or meaning", ri.Reason)
		}
		if got, ok := apierrors.Lookup(ri.Reason); !ok || got != ri {
			t.Errorf("Lookup(%q) = %+v, %v", ri.Reason, got, ok)
		}
		if p := apierrors.New(0, ri.Reason, ""); p.Status != ri.Status || p.Title() != ri.Title {
			t.Errorf("New(0, %q) = status %d title %q, want %d %q", ri.Reason, p.Status, p.Title(), ri.Status, ri.Title)
		}
	}
	// The reasons the issue tracker and the other packages rely on.
	for reason, status := range map[string]int{
		"unauthenticated": 401, "invalid_token": 401, "token_expired": 401, "insufficient_scope": 403,
		"forbidden": 403, "step_up_required": 401, "malformed_request": 400, "validation_failed": 422,
		"payload_too_large": 413, "unsupported_media_type": 415, "not_found": 404,
		"method_not_allowed": 405, "rate_limited": 429, "overloaded": 503, "upstream_unavailable": 502,
		"internal": 500,
	} {
		if ri, ok := apierrors.Lookup(reason); !ok || ri.Status != status {
			t.Errorf("Lookup(%q) = %+v, %v; want status %d", reason, ri, ok, status)
		}
	}
	if _, ok := apierrors.Lookup("no_such_reason"); ok {
		t.Error("Lookup of an unregistered reason succeeded")
	}
	if p := apierrors.New(http.StatusTeapot, "teapot", ""); p.Title() != http.StatusText(http.StatusTeapot) {
		t.Errorf("unregistered reason title = %q, want the status text", p.Title())
	}
}

// TestRegistryDocumented keeps the reason tables in doc.go and the README in
// step with the registry.
func TestRegistryDocumented(t *testing.T) {
	t.Parallel()
	for _, file := range []string{"doc.go", "../README.md"} {
		src, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		rows := map[string]string{}
		row := regexp.MustCompile("(?m)^(?://\\s+|\\|\\s*`?)([a-z_]+)`?\\s*\\|?\\s+(\\d{3})\\s*\\|?\\s+([A-Z][A-Za-z ]+?)\\s*\\|?\\s*$")
		for _, m := range row.FindAllStringSubmatch(string(src), -1) {
			rows[m[1]] = m[2] + " " + m[3]
		}
		for _, ri := range apierrors.Reasons() {
			if got, wantRow := rows[ri.Reason], strconv.Itoa(ri.Status)+" "+ri.Title; got != wantRow {
				t.Errorf("%s: row for %q = %q, want %q", file, ri.Reason, got, wantRow)
			}
			delete(rows, ri.Reason)
		}
		for reason := range rows {
			t.Errorf("%s documents %q, which is not registered", file, reason)
		}
	}
}
