package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apishield/apishield/audit"
)

var key = []byte("0123456789abcdef0123456789abcdef")

func writeLog(t *testing.T) string {
	t.Helper()
	var buf bytes.Buffer
	a, err := audit.New(audit.Config{Handlers: []slog.Handler{audit.NewJSONHandler(&buf, nil)}, ChainKey: key})
	if err != nil {
		t.Fatal(err)
	}
	for _, act := range []string{"user_created", "authz_change", "user_deleted"} {
		a.Log(context.Background(), audit.Event{Action: act})
	}
	a.Close(context.Background())
	return buf.String()
}

func TestRun(t *testing.T) {
	t.Parallel()
	log := writeLog(t)
	lines := strings.SplitAfter(log, "\n")
	dir := t.TempDir()
	write := func(name, s string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	keyFile := write("key", string(key)+"\n")
	good := write("good.log", log)
	dropped := write("dropped.log", lines[0]+lines[2])
	noenv := func(string) string { return "" }
	hexenv := func(k string) string {
		if k == "APISHIELD_AUDIT_KEY" {
			return hex.EncodeToString(key)
		}
		return ""
	}
	tests := []struct {
		name   string
		args   []string
		stdin  string
		env    func(string) string
		status int
		out    string
	}{
		{"file ok", []string{"-key-file", keyFile, good}, "", noenv, 0, "ok: 3 events in 1 chain(s)"},
		{"stdin with env key", nil, log, hexenv, 0, "stdin: ok: 3 events"},
		{"dropped line", []string{"-key-file", keyFile, good, dropped}, "", noenv, 1, "dropped.log: FAILED: audit: line 2: sequence 3 after 1"},
		{"no key", []string{good}, "", noenv, 2, ""},
		{"missing file", []string{"-key-file", keyFile, filepath.Join(dir, "nope")}, "", noenv, 2, ""},
		{"short key", []string{good}, "", func(string) string { return "abcd" }, 2, ""},
		{"bad flag", []string{"-key", "x"}, "", noenv, 2, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var out, errOut bytes.Buffer
			status := run(tt.args, strings.NewReader(tt.stdin), &out, &errOut, tt.env)
			if status != tt.status || !strings.Contains(out.String(), tt.out) {
				t.Errorf("status %d, stdout %q, stderr %q; want %d and %q", status, out.String(), errOut.String(), tt.status, tt.out)
			}
		})
	}
}
