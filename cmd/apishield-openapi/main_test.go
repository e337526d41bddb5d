package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apishield/apishield/openapi"
)

func writeFile(t *testing.T, dir, name, data string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// runCmd runs the command and returns its exit status and output.
func runCmd(args ...string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	code = run(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestUsage(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"no document", nil, "want one document, got 0 arguments"},
		{"two documents", []string{"a.yaml", "b.yaml"}, "want one document, got 2 arguments"},
		{"bad format", []string{"-format", "html", "a.yaml"}, `-format "html": want markdown or json`},
		{"bad fail-on", []string{"-fail-on", "error", "a.yaml"}, `-fail-on "error": want warning or none`},
		{"bad undeclared", []string{"-undeclared", "open", "a.yaml"}, `-undeclared "open": want authenticated, deny or public`},
		{"unknown flag", []string{"-verbose", "a.yaml"}, "flag provided but not defined: -verbose"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			code, stdout, stderr := runCmd(c.args...)
			if code != exitError || stdout != "" || !strings.Contains(stderr, c.want) || !strings.Contains(stderr, "usage: apishield-openapi") {
				t.Errorf("got %d, stdout %q, stderr %q; want %d and %q with the usage", code, stdout, stderr, exitError, c.want)
			}
		})
	}
	if code, _, stderr := runCmd("-h"); code != exitClean || !strings.Contains(stderr, "usage:") {
		t.Errorf("-h: got %d, %q", code, stderr)
	}
}

func TestMissingDocument(t *testing.T) {
	t.Parallel()
	code, stdout, stderr := runCmd(filepath.Join(t.TempDir(), "none.yaml"))
	if code != exitError || stdout != "" || !strings.Contains(stderr, "none.yaml") {
		t.Errorf("got %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}

// The documents of package openapi's inventory tests: shop31.yaml spreads
// over two files and names a limiter and a rule; notes30.json declares
// no security.
const testdata = "../../openapi/testdata/inventory/"

func decodeReport(t *testing.T, stdout string) *openapi.Inventory {
	t.Helper()
	var inv openapi.Inventory
	if err := json.Unmarshal([]byte(stdout), &inv); err != nil {
		t.Fatalf("stdout is not the JSON report: %v\n%s", err, stdout)
	}
	return &inv
}

func TestReportJSON(t *testing.T) {
	t.Parallel()
	code, stdout, stderr := runCmd("-format", "json", testdata+"shop31.yaml")
	if code != exitFindings || stderr != "apishield-openapi: 5 warnings\n" {
		t.Errorf("got %d, stderr %q; want %d and the count", code, stderr, exitFindings)
	}
	inv := decodeReport(t, stdout)
	if inv.Title != "Shop" || len(inv.Operations) != 6 || inv.Totals.Warnings != 5 {
		t.Fatalf("got %q with %d operations and %d warnings", inv.Title, len(inv.Operations), inv.Totals.Warnings)
	}
	// The placeholders let the document load; the report names what the
	// document names.
	byID := map[string]openapi.OperationReport{}
	for _, op := range inv.Operations {
		byID[op.ID] = op
	}
	if op := byID["createOrder"]; op.RateLimit != "per-user" || op.Cost != 5 {
		t.Errorf("createOrder: got %q × %d", op.RateLimit, op.Cost)
	}
	if op := byID["cancelOrder"]; op.Owner != "order-owner" || !op.Deprecated || op.Deprecation == nil {
		t.Errorf("cancelOrder: got %+v", op)
	}
	if got := inv.Totals.ByCode[openapi.WarnPublicWrite]; got != 1 {
		t.Errorf("public-write: got %d, want 1", got)
	}

	// -fail-on none: the same report, exit 0.
	code2, stdout2, stderr2 := runCmd("-format", "json", "-fail-on", "none", testdata+"shop31.yaml")
	if code2 != exitClean || stdout2 != stdout || stderr2 != "" {
		t.Errorf("-fail-on none: got %d, stderr %q, same report %v", code2, stderr2, stdout2 == stdout)
	}
}

func TestReportMarkdown(t *testing.T) {
	t.Parallel()
	code, stdout, _ := runCmd(testdata + "shop31.yaml")
	if code != exitFindings {
		t.Errorf("got %d, want %d", code, exitFindings)
	}
	for _, want := range []string{
		"# API inventory: Shop 2.0.0\n",
		"| `POST /orders` createOrder | apiKey and oauth (orders:write) |",
		"| `PUT /uploads` upload | `public-write` | `/paths/~1uploads/put` |",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("the report lacks %q:\n%s", want, stdout)
		}
	}
}

func TestUndeclaredFlag(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		flag        string
		publicWrite int
	}{{"authenticated", 0}, {"deny", 0}, {"public", 1}} {
		_, stdout, _ := runCmd("-format", "json", "-undeclared", c.flag, testdata+"notes30.json")
		inv := decodeReport(t, stdout)
		if inv.Undeclared != c.flag || inv.Totals.Undeclared != 2 || inv.Totals.ByCode[openapi.WarnPublicWrite] != c.publicWrite {
			t.Errorf("-undeclared %s: got %q, totals %+v", c.flag, inv.Undeclared, inv.Totals)
		}
	}
}

func TestCleanDocument(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	doc := writeFile(t, dir, "openapi.yaml", `openapi: 3.1.0
info: {title: Clean, version: "1"}
security:
  - bearer: []
paths:
  /items/{id}:
    get:
      operationId: getItem
      deprecated: true
      parameters:
        - {name: id, in: path, required: true, schema: {type: integer}}
      responses:
        '200': {description: ok}
components:
  securitySchemes:
    bearer: {type: http, scheme: bearer}
`)
	code, stdout, stderr := runCmd("-format", "json", doc)
	if code != exitClean || stderr != "" {
		t.Fatalf("got %d, stderr %q", code, stderr)
	}
	// deprecated: true without a date loads for inspection, and the
	// report shows no date the document does not give.
	op := decodeReport(t, stdout).Operations[0]
	if !op.Deprecated || op.Deprecation != nil {
		t.Errorf("got deprecated %v, %+v", op.Deprecated, op.Deprecation)
	}
}

func TestLoadError(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	doc := writeFile(t, dir, "openapi.yaml", `openapi: 3.1.0
info: {title: Bad, version: "1"}
paths:
  /items:
    get:
      x-apishield-rate-limt: typo
      responses:
        '200': {description: ok}
`)
	code, stdout, stderr := runCmd(doc)
	if code != exitError || stdout != "" || !strings.Contains(stderr, "x-apishield-rate-limt") {
		t.Errorf("got %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}
