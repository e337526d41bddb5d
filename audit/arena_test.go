package audit

import (
	"bytes"
	"context"
	"log/slog"
	"net/netip"
	"testing"
	"time"
)

// slogLine is the line slog's JSON handler writes for a record holding at
// alone.
func slogLine(t *testing.T, at slog.Attr) string {
	t.Helper()
	var b bytes.Buffer
	r := slog.NewRecord(time.Time{}, slog.LevelInfo, "", 0)
	r.AddAttrs(at)
	if err := slog.NewJSONHandler(&b, nil).Handle(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestArenaValues: the times and addresses an arena boxes encode, on the
// direct path and through slog (when a line falls back), exactly as the
// strings they stand for, which is what the slog path without an arena
// writes.
func TestArenaValues(t *testing.T) {
	t.Parallel()
	east := time.FixedZone("east", 5*3600+30*60)
	times := []struct {
		name string
		t    time.Time
	}{
		{"millis", time.Date(2026, 3, 1, 12, 0, 0, 250_000_000, time.UTC)},
		{"nanos", time.Date(2026, 3, 1, 12, 0, 0, 123_456_789, time.UTC)},
		{"whole second", time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)},
		{"other zone", time.Date(2026, 3, 1, 23, 59, 59, 1, east)},
		{"local monotonic", time.Now()},
		{"year 10000", time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}, // time.Time's MarshalJSON refuses it
		{"year -1", time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC)},
		{"zero", time.Time{}},
	}
	addrs := []string{"203.0.113.7", "0.0.0.0", "2001:db8::1", "::ffff:203.0.113.7", "::", "fe80::1%eth0", "fe80::1%\b\"x"}
	type tc struct {
		name       string
		arena, ref func(ar *attrArena) slog.Attr
	}
	var cases []tc
	for _, c := range times {
		cases = append(cases, tc{"time/" + c.name,
			func(ar *attrArena) slog.Attr { return ar.time("k", c.t, 1) },
			func(*attrArena) slog.Attr { return slog.String("k", c.t.UTC().Format(time.RFC3339Nano)) }})
	}
	for _, s := range addrs {
		ip := netip.MustParseAddr(s)
		cases = append(cases, tc{"ip/" + s,
			func(ar *attrArena) slog.Attr { return ar.ip("k", ip) },
			func(*attrArena) slog.Attr { return slog.String("k", ip.String()) }})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var ar attrArena
			want := slogLine(t, c.ref(nil))
			if got := slogLine(t, c.arena(nil)); got != want {
				t.Errorf("without an arena: %s, want %s", got, want)
			}
			at := c.arena(&ar)
			if got := slogLine(t, at); got != want {
				t.Errorf("arena value through slog: %s, want %s", got, want)
			}
			l := lineEnc{ok: true}
			l.attr(at, false)
			if got := `{"level":"INFO","msg":"",` + string(l.buf) + "}\n"; !l.ok || got != want {
				t.Errorf("arena value direct: %s (ok %v), want %s", got, l.ok, want)
			}
		})
	}
}
