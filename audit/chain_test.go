package audit

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"
)

// chainedLog writes n application events with a chain and returns the
// lines.
func chainedLog(t *testing.T, n int, cfg Config) []string {
	t.Helper()
	cfg.ChainKey = make32()
	a, _, buf := newTest(t, cfg)
	for i := range n {
		if err := a.Log(context.Background(), Event{Action: "user_updated", Target: "user:" + string(rune('a'+i))}); err != nil {
			t.Fatal(err)
		}
	}
	a.Close(context.Background())
	return strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
}

func verifyLines(lines []string) (VerifyResult, error) {
	return Verify(strings.NewReader(strings.Join(lines, "\n")+"\n"), make32())
}

func TestVerify(t *testing.T) {
	t.Parallel()
	for _, schema := range []Schema{ECS, OCSF} {
		lines := chainedLog(t, 5, Config{Schema: schema})
		res, err := verifyLines(lines)
		if err != nil || res.Events != 5 || len(res.Chains) != 1 {
			t.Fatalf("schema %d: Verify = %+v, %v; want 5 events in 1 chain", schema, res, err)
		}
	}
}

func TestVerifyCatchesTampering(t *testing.T) {
	t.Parallel()
	lines := chainedLog(t, 5, Config{})
	other := chainedLog(t, 3, Config{})
	edit := func(i int, old, new string) []string {
		out := append([]string(nil), lines...)
		if !strings.Contains(out[i], old) {
			t.Fatalf("line %d lacks %q", i, old)
		}
		out[i] = strings.Replace(out[i], old, new, 1)
		return out
	}
	tests := []struct {
		name     string
		lines    []string
		wantLine int
	}{
		{"edited field", edit(2, `"user:c"`, `"user:z"`), 3},
		{"edited outcome", edit(1, `"outcome":"unknown"`, `"outcome":"success"`), 2},
		{"edited message", edit(1, `"message":"user_updated"`, `"message":"nothing"`), 2},
		{"added field", edit(3, `"ecs":{`, `"x":1,"ecs":{`), 4},
		{"removed middle line", append(append([]string(nil), lines[:2]...), lines[3:]...), 3},
		{"removed first line", lines[1:], 1},
		{"swapped lines", []string{lines[0], lines[2], lines[1], lines[3], lines[4]}, 2},
		{"duplicated line", []string{lines[0], lines[1], lines[1], lines[2]}, 3},
		{"line from another chain spliced in", []string{lines[0], lines[1], other[1], lines[2]}, 3},
		{"not JSON", []string{lines[0], "hello"}, 2},
		{"unchained JSON", []string{lines[0], `{"event":{"action":"x"}}`}, 2},
		{"hmac removed", edit(0, `"hmac":"`, `"hmac_":"`), 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := verifyLines(tt.lines)
			var ve *VerifyError
			if !errors.As(err, &ve) || !errors.Is(err, ErrTampered) {
				t.Fatalf("Verify = %v, want a *VerifyError wrapping ErrTampered", err)
			}
			if ve.Line != tt.wantLine {
				t.Errorf("error at line %d (%v), want line %d", ve.Line, err, tt.wantLine)
			}
		})
	}
}

func TestVerifyWrongKey(t *testing.T) {
	t.Parallel()
	lines := chainedLog(t, 2, Config{})
	key := make32()
	key[0] ^= 1
	if _, err := Verify(strings.NewReader(strings.Join(lines, "\n")), key); !errors.Is(err, ErrTampered) {
		t.Errorf("Verify with another key = %v, want ErrTampered", err)
	}
	if _, err := Verify(strings.NewReader(lines[0]), key[:16]); err == nil || errors.Is(err, ErrTampered) {
		t.Errorf("Verify with a short key = %v, want a plain error", err)
	}
}

// TestVerifyInterleavedChains: two auditors (two processes, or a restart)
// writing to one file verify chain by chain.
func TestVerifyInterleavedChains(t *testing.T) {
	t.Parallel()
	a := chainedLog(t, 3, Config{})
	b := chainedLog(t, 3, Config{})
	res, err := verifyLines([]string{a[0], b[0], a[1], "", b[1], b[2], a[2]})
	if err != nil || res.Events != 6 || len(res.Chains) != 2 {
		t.Errorf("Verify = %+v, %v; want 6 events in 2 chains", res, err)
	}
}

// TestVerifyPlainSlogJSON: lines written by slog's own JSON handler (with
// "time", "level" and "msg") verify like NewJSONHandler's.
func TestVerifyPlainSlogJSON(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	a, err := New(Config{Handlers: []slog.Handler{slog.NewJSONHandler(&buf, nil)}, ChainKey: make32()})
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		a.Log(context.Background(), Event{Action: "authz_change", Message: "m"})
	}
	a.Close(context.Background())
	if !strings.Contains(buf.String(), `"level":"INFO"`) {
		t.Fatalf("not slog's own keys: %s", buf.String())
	}
	if res, err := Verify(&buf, make32()); err != nil || res.Events != 3 {
		t.Errorf("Verify = %+v, %v", res, err)
	}
}

func TestVerifyLineTooLong(t *testing.T) {
	t.Parallel()
	_, err := Verify(strings.NewReader(strings.Repeat("x", MaxLineBytes+1)), make32())
	if !errors.Is(err, ErrTampered) {
		t.Errorf("Verify of an over-long line = %v, want ErrTampered", err)
	}
}

// TestVerifyReencodedLog: a shipper that re-encodes each line (other key
// order, HTML escaping) does not break verification.
func TestVerifyReencodedLog(t *testing.T) {
	t.Parallel()
	lines := chainedLog(t, 4, Config{})
	for i, l := range lines {
		m, err := decodeLine([]byte(l))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(m)
		lines[i] = string(b)
	}
	if res, err := verifyLines(lines); err != nil || res.Events != 4 {
		t.Errorf("Verify of re-encoded lines = %+v, %v", res, err)
	}
}
