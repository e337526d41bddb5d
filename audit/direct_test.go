package audit

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// twin returns an auditor for cfg writing to a plain NewJSONHandler, which
// the direct encoder serves, and a buffer holding what the slog path
// writes for the very same entries: a second auditor with the same config
// (and chain ID), forced onto the slog path, encodes every entry the first
// one encodes, in the same order. close flushes both.
func twin(t *testing.T, cfg Config) (a *Auditor, direct, viaSlog *syncBuffer, close func()) {
	t.Helper()
	direct, viaSlog = &syncBuffer{}, &syncBuffer{}
	ca, cb := cfg, cfg
	ca.Handlers = []slog.Handler{NewJSONHandler(direct, nil)}
	cb.Handlers = []slog.Handler{NewJSONHandler(viaSlog, nil)}
	a, err := New(ca)
	if err != nil {
		t.Fatal(err)
	}
	b, err := New(cb)
	if err != nil {
		t.Fatal(err)
	}
	b.wmu.Lock()
	b.w.direct = nil
	b.w.chainID = a.w.chainID
	b.wmu.Unlock()
	a.wmu.Lock()
	if a.w.direct == nil {
		t.Fatal("a plain NewJSONHandler does not get the direct encoder")
	}
	a.w.tee = func(e *entry) {
		b.wmu.Lock()
		defer b.wmu.Unlock()
		b.w.emit(e)
	}
	a.wmu.Unlock()
	done := false
	close = func() {
		if done {
			return
		}
		done = true
		if err := a.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
		if err := b.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(close)
	return a, direct, viaSlog, close
}

// sameLines fails unless the direct encoder wrote exactly the slog path's
// bytes, and returns the lines.
func sameLines(t *testing.T, direct, viaSlog *syncBuffer) []string {
	t.Helper()
	got, want := direct.String(), viaSlog.String()
	if got != want {
		gl, wl := strings.Split(got, "\n"), strings.Split(want, "\n")
		for i := range min(len(gl), len(wl)) {
			if gl[i] != wl[i] {
				t.Fatalf("line %d differs:\ndirect: %s\nslog:   %s", i+1, gl[i], wl[i])
			}
		}
		t.Fatalf("direct wrote %d lines, slog %d:\ndirect: %s\nslog:   %s", len(gl)-1, len(wl)-1, got, want)
	}
	return strings.Split(strings.TrimSuffix(got, "\n"), "\n")
}

// TestDirectEncoderMatchesSlog is the direct encoder's safety net: for
// every event kind, in both schemas, with and without a chain, its bytes
// are the slog path's bytes, and a chained log still verifies.
func TestDirectEncoderMatchesSlog(t *testing.T) {
	t.Parallel()
	for _, s := range []Schema{ECS, OCSF} {
		for _, chained := range []bool{false, true} {
			for _, k := range eventKinds() {
				name := schemaName(s) + "/" + k.name
				if chained {
					name += "/chain"
				}
				t.Run(name, func(t *testing.T) {
					t.Parallel()
					cfg := k.cfg
					cfg.Schema = s
					if chained && cfg.ChainKey == nil {
						cfg.ChainKey = make32()
					}
					a, direct, viaSlog, close := twin(t, cfg)
					k.run(t, a)
					close()
					lines := sameLines(t, direct, viaSlog)
					if len(lines) != k.lines {
						t.Errorf("%d lines, want %d", len(lines), k.lines)
					}
					if cfg.ChainKey != nil {
						res, err := Verify(strings.NewReader(direct.String()), cfg.ChainKey)
						if err != nil || res.Events != k.lines {
							t.Errorf("Verify = %+v, %v; want %d events", res, err, k.lines)
						}
					}
				})
			}
		}
	}
}

// TestDirectEncoderFallsBack: values the direct encoder does not encode
// itself (floats, which slog hands to encoding/json; an OCSF alert's
// evidence maps) go through slog, and the lines, chain included, are still
// the slog path's.
func TestDirectEncoderFallsBack(t *testing.T) {
	t.Parallel()
	for _, s := range []Schema{ECS, OCSF} {
		t.Run(schemaName(s), func(t *testing.T) {
			t.Parallel()
			key := make32()
			a, direct, viaSlog, close := twin(t, Config{Schema: s, ChainKey: key})
			ctx := context.Background()
			for _, ev := range []Event{
				{Action: "plain", Message: "before"},
				{Action: "float", Attrs: []slog.Attr{slog.Float64("ratio", 0.1), slog.Float64("big", 1e21)}},
				{Action: "plain", Message: "after"},
			} {
				if err := a.Log(ctx, ev); err != nil {
					t.Fatal(err)
				}
			}
			close()
			lines := sameLines(t, direct, viaSlog)
			if len(lines) != 3 || !strings.Contains(lines[1], `"big":1e+21`) {
				t.Errorf("lines = %q, want 3 with the float as encoding/json writes it", lines)
			}
			if _, err := Verify(strings.NewReader(direct.String()), key); err != nil {
				t.Errorf("Verify: %v", err)
			}
		})
	}
}

// TestDirectEncoderAttrs: application attributes of every kind, groups
// that end up empty, and strings slog and encoding/json escape
// differently.
func TestDirectEncoderAttrs(t *testing.T) {
	t.Parallel()
	odd := "a\b\f\x01\x7f\"\\<>&\u2028\u2029\xff\n\r\té"
	for _, s := range []Schema{ECS, OCSF} {
		t.Run(schemaName(s), func(t *testing.T) {
			t.Parallel()
			a, direct, viaSlog, close := twin(t, Config{Schema: s, Headers: []string{"X-Odd"}})
			ctx := context.Background()
			err := a.Log(ctx, Event{Action: "attrs", Message: odd, Target: odd, User: odd, Reason: odd, Attrs: []slog.Attr{
				slog.String(odd, odd), slog.Int("i", -3), slog.Uint64("u", math.MaxUint64), slog.Bool("b", true),
				slog.Duration("d", time.Second), slog.Time("t", time.Unix(1, 5)), slog.Any("err", errors.New(odd)),
				slog.Group("empty"), slog.Group("", slog.String("inline", "x")), slog.Any("nil", nil),
				slog.Group("g", slog.Group("h", slog.Group("i", slog.Group("j", slog.String("deep", "x"))))),
				{}, slog.Any("ptr", &struct{ A string }{odd}),
			}})
			if err != nil {
				t.Fatal(err)
			}
			r := httptest.NewRequest("POST", "/v1/x?q="+strings.Repeat("%01", 3), strings.NewReader("{}"))
			r.Header.Set("X-Odd", odd)
			r.Header.Set("User-Agent", odd)
			serve(a, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}), r)
			close()
			if lines := sameLines(t, direct, viaSlog); len(lines) != 2 {
				t.Errorf("%d lines, want 2", len(lines))
			}
		})
	}
}

func TestDirectSinks(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	plain := NewJSONHandler(&buf, nil)
	for _, tc := range []struct {
		name   string
		hs     []slog.Handler
		direct bool
	}{
		{"one plain handler", []slog.Handler{plain}, true},
		{"two plain handlers", []slog.Handler{plain, NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelWarn})}, true},
		{"user ReplaceAttr", []slog.Handler{NewJSONHandler(&buf, &slog.HandlerOptions{ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr { return a }})}, false},
		{"AddSource", []slog.Handler{NewJSONHandler(&buf, &slog.HandlerOptions{AddSource: true})}, false},
		{"WithAttrs", []slog.Handler{plain.WithAttrs([]slog.Attr{slog.String("k", "v")})}, false},
		{"WithGroup", []slog.Handler{plain.WithGroup("g")}, false},
		{"slog's own JSON handler", []slog.Handler{slog.NewJSONHandler(&buf, nil)}, false},
		{"a plain one beside another", []slog.Handler{plain, slog.DiscardHandler}, false},
	} {
		if got := directSinks(tc.hs) != nil; got != tc.direct {
			t.Errorf("%s: direct = %v, want %v", tc.name, got, tc.direct)
		}
	}
}

// TestDirectEncoderLevels: each sink gets the lines its level lets
// through, as with slog.
func TestDirectEncoderLevels(t *testing.T) {
	t.Parallel()
	all, warn := &syncBuffer{}, &syncBuffer{}
	a, err := New(Config{Handlers: []slog.Handler{NewJSONHandler(all, nil), NewJSONHandler(warn, &slog.HandlerOptions{Level: slog.LevelWarn})}})
	if err != nil {
		t.Fatal(err)
	}
	if a.w.direct == nil {
		t.Fatal("two plain handlers do not get the direct encoder")
	}
	ctx := context.Background()
	a.Log(ctx, Event{Action: "ok", Outcome: Success})
	a.Log(ctx, Event{Action: "bad", Outcome: Failure})
	a.Close(ctx)
	if n := len(parseLines(t, all.String())); n != 2 {
		t.Errorf("info handler: %d lines, want 2", n)
	}
	if ls := parseLines(t, warn.String()); len(ls) != 1 || str(ls[0], "event.action") != "bad" {
		t.Errorf("warn handler: %v, want the failure only", ls)
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errSink }

type panicWriter struct{}

func (panicWriter) Write([]byte) (int, error) { panic("writer exploded") }

// TestDirectEncoderSinkErrors: a failing or panicking writer is counted
// and reported as on the slog path, and does not stop the healthy sink.
func TestDirectEncoderSinkErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		ws        []interface{ Write([]byte) (int, error) }
		errs      uint64
		isSink    bool
		panicText string
	}{
		{"failing and panicking beside a healthy one", []interface{ Write([]byte) (int, error) }{failWriter{}, nil, panicWriter{}}, 2, true, "writer exploded"},
		{"one failing", []interface{ Write([]byte) (int, error) }{failWriter{}}, 1, true, ""},
		{"one panicking", []interface{ Write([]byte) (int, error) }{panicWriter{}}, 1, false, "audit: handler panicked: writer exploded"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			good := &syncBuffer{}
			var hs []slog.Handler
			for _, w := range tc.ws {
				if w == nil {
					w = good
				}
				hs = append(hs, NewJSONHandler(w, nil))
			}
			var reported []error
			a, err := New(Config{Handlers: hs, OnError: func(err error) { reported = append(reported, err) }})
			if err != nil {
				t.Fatal(err)
			}
			if a.w.direct == nil {
				t.Fatal("plain handlers do not get the direct encoder")
			}
			serve(a, http.NotFoundHandler(), httptest.NewRequest("GET", "/", nil))
			a.Close(context.Background())
			if s := a.Stats(); s.SinkErrors != tc.errs || s.Emitted != 1 {
				t.Errorf("SinkErrors = %d, Emitted = %d; want %d, 1", s.SinkErrors, s.Emitted, tc.errs)
			}
			if len(reported) != 1 || errors.Is(reported[0], errSink) != tc.isSink || !strings.Contains(reported[0].Error(), tc.panicText) {
				t.Errorf("OnError got %v", reported)
			}
			if len(tc.ws) > 1 && len(parseLines(t, good.String())) != 1 {
				t.Error("a failing sink stopped the healthy one")
			}
		})
	}
}

// FuzzDirectEncoder feeds arbitrary application events, chained, through
// both paths and requires the same bytes.
func FuzzDirectEncoder(f *testing.F) {
	f.Add("msg", "target", "user", "key", "value", int64(3), false)
	f.Add("\xff\u2028", "\b\f", "\x00", "", "<&>", int64(-1), true)
	f.Fuzz(func(t *testing.T, msg, target, user, key, value string, n int64, ocsf bool) {
		cfg := Config{ChainKey: make32()}
		if ocsf {
			cfg.Schema = OCSF
		}
		a, direct, viaSlog, close := twin(t, cfg)
		err := a.Log(context.Background(), Event{Action: "fuzz", Message: msg, Target: target, User: user, Reason: value,
			Attrs: []slog.Attr{slog.String(key, value), slog.Int64(value, n), slog.Group(key, slog.String(value, msg))}})
		if err != nil {
			t.Fatal(err)
		}
		close()
		sameLines(t, direct, viaSlog)
	})
}

func schemaName(s Schema) string {
	if s == OCSF {
		return "ocsf"
	}
	return "ecs"
}
