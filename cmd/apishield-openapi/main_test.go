package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
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
