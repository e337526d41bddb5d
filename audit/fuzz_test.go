package audit

import (
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzClean: whatever a client sends, the logged value is valid UTF-8,
// holds no control or format character, and respects its size limit.
func FuzzClean(f *testing.F) {
	for _, s := range []string{"", "plain", "a\r\nb", "\u202e", "\xff\xfe", "Bearer " + testJWT, `\u000a`, "é" + strings.Repeat("x", 300)} {
		f.Add(s)
	}
	a, err := New(Config{Handlers: []slog.Handler{slog.DiscardHandler}, MaxValueBytes: 128, SecretPrefixes: []string{"ak_live_"}})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := a.clean(s, 0)
		if !utf8.ValidString(got) {
			t.Fatalf("clean(%q) = %q: invalid UTF-8", s, got)
		}
		if len(got) > 128 {
			t.Fatalf("clean(%q) is %d bytes, limit 128", s, len(got))
		}
		for _, r := range got {
			if needsEscape(r) {
				t.Fatalf("clean(%q) = %q holds %U", s, got, r)
			}
		}
		if strings.Contains(got, testJWT) {
			t.Fatalf("clean(%q) kept a JWT", s)
		}
	})
}

// FuzzCleanQuery: without LogQueryValues no value survives.
func FuzzCleanQuery(f *testing.F) {
	for _, s := range []string{"a=1&b=2", "x", "=v", "a=b=c&&d", "%ff=%zz"} {
		f.Add(s)
	}
	a, err := New(Config{Handlers: []slog.Handler{slog.DiscardHandler}})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		got := a.cleanQuery(raw)
		for _, part := range strings.Split(got, "&") {
			// The value is the mask, maybe followed by the cut marker, or
			// the mask itself cut by the size limit.
			if _, v, ok := strings.Cut(part, "="); ok && v != Redacted && !strings.HasPrefix(v, Redacted) &&
				!(strings.HasSuffix(v, truncated) && strings.HasPrefix(Redacted, strings.TrimSuffix(v, truncated))) {
				t.Fatalf("cleanQuery(%q) = %q leaks value %q", raw, got, v)
			}
		}
	})
}

// FuzzVerify: Verify never panics and never accepts a line it cannot
// check.
func FuzzVerify(f *testing.F) {
	f.Add(`{"apishield":{"chain":{"id":"x","seq":1,"prev_hash":"","hmac":"00"}}}`)
	f.Add(`{"unmapped":{"chain":{"id":1,"seq":"a"}}}`)
	f.Add("[1,2]\n{}")
	f.Fuzz(func(t *testing.T, s string) {
		res, err := Verify(strings.NewReader(s), make32())
		if err == nil && res.Events > 0 {
			t.Fatalf("Verify accepted %d forged events in %q", res.Events, s)
		}
	})
}

// FuzzCanonical: the canonical form does not depend on how a JSON encoder
// wrote the line (key order, whitespace, escaping), so a log re-encoded by
// a shipper still verifies; and it agrees with encoding/json on validity.
func FuzzCanonical(f *testing.F) {
	for _, s := range []string{`1`, `"a<b>&\u00e9\ud83d\ude00"`, `{"b":1,"a":[true,null,{"z":"\n"}]}`, `-0.5e+10`, `"\ud800"`, `"\xff"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		line := `{"apishield":{"chain":{"id":"x","seq":1,"prev_hash":""}},"v":` + s + `}`
		got, _, err := canonicalLine([]byte(line))
		if !json.Valid([]byte(line)) {
			if err == nil {
				t.Fatalf("canonicalLine accepted invalid JSON %q", line)
			}
			return
		}
		if err != nil {
			if strings.Contains(err.Error(), "duplicate key") || strings.Contains(err.Error(), "nested too deeply") {
				return
			}
			t.Fatalf("canonicalLine rejected valid JSON %q: %v", line, err)
		}
		m, err := decodeLine([]byte(line))
		if err != nil {
			t.Fatal(err)
		}
		re, err := json.MarshalIndent(m, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		again, _, err := canonicalLine(re)
		if err != nil || string(again) != string(got) {
			t.Fatalf("re-encoded line canonicalizes differently:\n%s\n%s\n(%v)", got, again, err)
		}
	})
}

// FuzzSealLine: the writer's sealing parse gives the canonical form and
// the verdict of the full one (Verify's), whatever the chain fields and
// the level hold: an empty or missing ID, a prev_hash that is not a
// string, a level in any case or script.
func FuzzSealLine(f *testing.F) {
	for _, s := range [][3]string{
		{`"x"`, `""`, `"INFO"`}, {`""`, `""`, `"info"`}, {`"x"`, `1`, `"Warn+2"`}, {`"\u0058"`, `"ab"`, `"İNFO"`},
		{`"x"`, `"ab"`, `5`}, {`null`, `""`, `"ÉRROR"`},
	} {
		f.Add(s[0], s[1], s[2])
	}
	var p canonParser // reused, as the writer's is
	f.Fuzz(func(t *testing.T, id, prev, level string) {
		line := `{"level":` + level + `,"apishield":{"chain":{"id":` + id + `,"seq":1,"prev_hash":` + prev + `}}}`
		want, _, werr := canonicalLine([]byte(line))
		got, err := p.sealLine([]byte(line))
		if (err == nil) != (werr == nil) || string(got) != string(want) {
			t.Fatalf("sealLine(%s) = %s, %v; line gives %s, %v", line, got, err, want, werr)
		}
	})
}
