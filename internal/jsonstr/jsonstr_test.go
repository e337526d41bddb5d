package jsonstr

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"
)

// inputs are every byte alone and in runs, invalid UTF-8, the line
// separators, HTML's specials, and random strings over a hostile alphabet,
// at lengths that cross the eight-byte fast path's edges.
func inputs() []string {
	var in []string
	for b := range 256 {
		c := string([]byte{byte(b)})
		in = append(in, c, strings.Repeat(c, 9), "abcdefg"+c+"hijklmnop")
	}
	in = append(in, "", "plain ascii text", "\u2028x\u2029", "<a href=\"x\">&amp;</a>", "\xff\xfe", "é😀",
		"tab\there\nnew\rline\bbell\fform")
	rng := rand.New(rand.NewPCG(3, 4))
	alphabet := []string{"a", "Z", "0", " ", "\"", "\\", "<", ">", "&", "\n", "\b", "\f", "\x00", "\x1f", "\x7f",
		"é", "\u2028", "\xff", "😀", "/"}
	for range 5000 {
		var b strings.Builder
		for range rng.IntN(40) {
			b.WriteString(alphabet[rng.IntN(len(alphabet))])
		}
		in = append(in, b.String())
	}
	return in
}

// TestJSONIsEncodingJSON: the JSON dialect is encoding/json's without HTML
// escaping, and EscapeHTML with it is encoding/json's default.
func TestJSONIsEncodingJSON(t *testing.T) {
	t.Parallel()
	for _, s := range inputs() {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		enc.Encode(s)
		if got, want := string(Append(nil, s, JSON)), strings.TrimSuffix(buf.String(), "\n"); got != want {
			t.Fatalf("Append(%q, JSON) = %s, encoding/json %s", s, got, want)
		}
		want, _ := json.Marshal(s)
		if got := string(Append(nil, s, JSON|EscapeHTML)); got != string(want) {
			t.Fatalf("Append(%q, JSON|EscapeHTML) = %s, encoding/json %s", s, got, want)
		}
	}
}

// TestSlogIsSlog: the Slog dialect is log/slog's JSONHandler's, for keys
// and string values.
func TestSlogIsSlog(t *testing.T) {
	t.Parallel()
	for _, s := range inputs() {
		var buf bytes.Buffer
		h := slog.NewJSONHandler(&buf, &slog.HandlerOptions{ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey || a.Key == slog.LevelKey || a.Key == slog.MessageKey {
				return slog.Attr{}
			}
			return a
		}})
		slog.New(h).Info("", "k", s)
		want := strings.TrimSuffix(strings.TrimPrefix(strings.TrimSuffix(buf.String(), "\n"), `{"k":`), "}")
		if got := string(Append(nil, s, Slog)); got != want {
			t.Fatalf("Append(%q, Slog) = %s, slog %s", s, got, want)
		}
	}
}

// TestHTMLSafe: the problem bodies' dialect (Slog|EscapeHTML) has no raw
// <, > or &, and decodes back to the input (with invalid UTF-8 replaced).
func TestHTMLSafe(t *testing.T) {
	t.Parallel()
	for _, s := range inputs() {
		out := Append(nil, s, Slog|EscapeHTML)
		if bytes.ContainsAny(out, "<>&") {
			t.Fatalf("Append(%q, Slog|EscapeHTML) = %s holds raw HTML specials", s, out)
		}
		var back string
		if err := json.Unmarshal(out, &back); err != nil {
			t.Fatalf("Append(%q) = %s, not JSON: %v", s, out, err)
		}
		if want := strings.ToValidUTF8(s, "\ufffd"); back != want && strings.ToValidUTF8(s, "") == s {
			t.Fatalf("Append(%q) decodes to %q", s, back)
		}
	}
}

func BenchmarkAppend(b *testing.B) {
	s := "/v1/items/0190b6f6-7a3e-7c4e-9a1b-4f2b8c1d2e3f?limit=10 Mozilla/5.0 (X11; Linux x86_64)"
	buf := make([]byte, 0, 256)
	for _, m := range []struct {
		name string
		m    Mode
	}{{"slog", Slog}, {"json", JSON}, {"html", Slog | EscapeHTML}} {
		b.Run(m.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				buf = Append(buf[:0], s, m.m)
			}
		})
	}
}

// TestSafe8: the eight-byte test agrees with the tables for every byte at
// every position among safe ones, and for pairs of bytes next to each
// other (where a borrow could carry from one into the next), in both kinds
// of dialect.
func TestSafe8(t *testing.T) {
	t.Parallel()
	for _, html := range []bool{false, true} {
		table := &safePlain
		if html {
			table = &safeHTML
		}
		safe := func(b byte) bool { return b < utf8.RuneSelf && table[b] }
		for pos := range 8 {
			for b := range 256 {
				w := []byte("abcdefgh")
				w[pos] = byte(b)
				if got := safe8(string(w), 0, html); got != safe(byte(b)) {
					t.Errorf("safe8(%q, html %v) = %v, want %v", w, html, got, !got)
				}
			}
		}
		for b1 := range 256 {
			for b2 := range 256 {
				w := []byte{' ', ' ', ' ', byte(b1), byte(b2), '~', '~', '~'}
				if got, want := safe8(string(w), 0, html), safe(byte(b1)) && safe(byte(b2)); got != want {
					t.Fatalf("safe8(%q, html %v) = %v, want %v", w, html, got, want)
				}
			}
		}
	}
}

// FuzzAppend: for any input, the JSON dialects are encoding/json's and
// the HTML-safe one decodes as JSON without raw HTML specials.
func FuzzAppend(f *testing.F) {
	f.Add("a\b\f\x00\"\\<\u2028\xff")
	f.Fuzz(func(t *testing.T, s string) {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		enc.Encode(s)
		if got, want := string(Append(nil, s, JSON)), strings.TrimSuffix(buf.String(), "\n"); got != want {
			t.Fatalf("Append(%q, JSON) = %s, encoding/json %s", s, got, want)
		}
		want, _ := json.Marshal(s)
		if got := string(Append(nil, s, JSON|EscapeHTML)); got != string(want) {
			t.Fatalf("Append(%q, JSON|EscapeHTML) = %s, encoding/json %s", s, got, want)
		}
		if out := Append(nil, s, Slog|EscapeHTML); bytes.ContainsAny(out, "<>&") || !json.Valid(out) {
			t.Fatalf("Append(%q, Slog|EscapeHTML) = %s", s, out)
		}
	})
}
