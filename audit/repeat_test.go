package audit

import (
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/apishield/apishield/internal/record"
)

// refuse serves one request from addr to path that auth refused without a
// credential (401 unauthenticated), or, with reason rate_limited, one a
// limiter refused (429), or with invalid_token one whose credential was
// bad.
func refuse(a *Auditor, addr, path, reason string) {
	req := httptest.NewRequest("GET", path, nil)
	req.RemoteAddr = addr
	serveRec(a, req, func(w http.ResponseWriter, r *http.Request, rec *record.Record) {
		switch reason {
		case "rate_limited":
			deny(w, rec, "ratelimit", reason, 429)
		default:
			rec.AddRouteDecision("GET /v1/items/{id}", record.Decision{Package: "auth", Outcome: record.Deny, Reason: reason, Rule: "bearer:x"})
			rec.SetProblem(record.Problem{Status: 401, Reason: reason})
			w.WriteHeader(401)
		}
	})
}

// TestRepeatsSummarise: refusals without a credential from one client on
// one route get one event, then one summary that counts the rest; nothing
// is lost from Stats.
func TestRepeatsSummarise(t *testing.T) {
	t.Parallel()
	for _, schema := range []Schema{ECS, OCSF} {
		a, flush, _ := newTest(t, Config{Schema: schema, Repeats: Repeats{Window: time.Hour}, BruteForce: BruteForce{Disabled: true}})
		for i := range 100 {
			refuse(a, "192.0.2.7:4000", "/v1/items/"+strconv.Itoa(i), "unauthenticated")
		}
		lines := flush()
		if len(lines) != 2 {
			t.Fatalf("schema %d: %d lines, want the first request's event and one summary", schema, len(lines))
		}
		first, sum := lines[0], lines[1]
		s := a.Stats()
		if s.Requests != 100 || s.AuthFailures != 100 || s.Repeated != 99 || s.ByReason["unauthenticated"] != 100 {
			t.Errorf("Stats = %+v, want 100 requests and auth failures, 99 repeated", s)
		}
		switch schema {
		case ECS:
			if str(first, "url.path") != "/v1/items/0" || get(first, "apishield.repeated") != nil {
				t.Errorf("first event: url.path %q, repeated %v", str(first, "url.path"), get(first, "apishield.repeated"))
			}
			if n := num(sum, "apishield.repeated.count"); n != 99 {
				t.Errorf("summary apishield.repeated.count = %d, want 99", n)
			}
			if str(sum, "event.action") != ActionAuthnLoginFail || str(sum, "event.reason") != "unauthenticated" ||
				num(sum, "http.response.status_code") != 401 || str(sum, "source.ip") != "192.0.2.7" ||
				str(sum, "apishield.route") != "GET /v1/items/{id}" {
				t.Errorf("summary does not name the refusal it counts: %v", sum)
			}
			if get(sum, "url") != nil || get(sum, "http.request.id") != nil {
				t.Errorf("summary names one request's path or ID: %v", sum)
			}
			start, _ := time.Parse(time.RFC3339Nano, str(sum, "event.start"))
			end, _ := time.Parse(time.RFC3339Nano, str(sum, "@timestamp"))
			if start.IsZero() || end.Before(start) {
				t.Errorf("summary spans %q to %q", str(sum, "event.start"), str(sum, "@timestamp"))
			}
		case OCSF:
			if n := num(sum, "count"); n != 99 {
				t.Errorf("summary count = %d, want 99", n)
			}
			if get(first, "count") != nil {
				t.Errorf("first event has count %v", get(first, "count"))
			}
		}
	}
}

// TestRepeatsKeepApart: what differs gets its own event: another client,
// another route, another status; refusals of a bad credential are never
// summarised.
func TestRepeatsKeepApart(t *testing.T) {
	t.Parallel()
	a, flush, _ := newTest(t, Config{Repeats: Repeats{Window: time.Hour}, BruteForce: BruteForce{Disabled: true}})
	for i := range 5 {
		refuse(a, "192.0.2."+strconv.Itoa(i+1)+":4000", "/v1/items/1", "unauthenticated") // 5 clients
	}
	for range 5 {
		refuse(a, "192.0.2.1:4000", "/v1/items/1", "invalid_token") // a bad credential, every time
	}
	refuse(a, "192.0.2.1:4000", "/nowhere", "rate_limited")
	refuse(a, "192.0.2.1:4000", "/elsewhere", "rate_limited") // no route: the path tells them apart
	refuse(a, "192.0.2.1:4000", "/elsewhere", "rate_limited")
	lines := flush()
	if got, want := len(lines), 5+5+2+1; got != want {
		t.Fatalf("%d lines, want %d", got, want)
	}
	if s := a.Stats(); s.Repeated != 1 {
		t.Errorf("Stats.Repeated = %d, want 1", s.Repeated)
	}
	last := lines[len(lines)-1]
	if num(last, "apishield.repeated.count") != 1 || num(last, "http.response.status_code") != 429 {
		t.Errorf("last line is not the one summary: %v", last)
	}
}

// TestRepeatsWindow: a summary is written when its window ends, without
// Close, and the next refusal starts a new one with its own event.
func TestRepeatsWindow(t *testing.T) {
	t.Parallel()
	a, flush, buf := newTest(t, Config{Repeats: Repeats{Window: 20 * time.Millisecond}})
	for range 3 {
		refuse(a, "192.0.2.7:4000", "/v1/items/1", "unauthenticated")
	}
	deadline := time.Now().Add(5 * time.Second)
	for len(parseLines(t, buf.String())) < 2 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if got := parseLines(t, buf.String()); len(got) != 2 || num(got[1], "apishield.repeated.count") != 2 {
		t.Fatalf("before Close, %d lines, want the event and a summary of 2", len(got))
	}
	refuse(a, "192.0.2.7:4000", "/v1/items/1", "unauthenticated")
	lines := flush()
	if len(lines) != 3 || get(lines[2], "apishield.repeated") != nil {
		t.Fatalf("%d lines; the refusal after the window must get its own event", len(lines))
	}
}

// TestRepeatsFeedTheMonitor: refusals summarised still count toward a
// brute-force alert, with their number.
func TestRepeatsFeedTheMonitor(t *testing.T) {
	t.Parallel()
	a, flush, _ := newTest(t, Config{Repeats: Repeats{Window: time.Hour}, BruteForce: BruteForce{Threshold: 10}})
	for range 12 {
		refuse(a, "192.0.2.7:4000", "/v1/items/1", "unauthenticated")
	}
	lines := flush()
	var alerts int
	for _, m := range lines {
		if str(m, "event.action") == ActionBruteForceSuspected {
			alerts++
			if n := num(m, "apishield.brute_force.failures"); n != 12 {
				t.Errorf("alert counts %d failures, want 12", n)
			}
		}
	}
	if alerts != 1 || a.Stats().BruteForceSuspected != 1 {
		t.Errorf("%d alerts, want 1", alerts)
	}
}

// TestRepeatsBounded: keys beyond MaxKeys get their own events, so a spray
// from many addresses cannot grow the table.
func TestRepeatsBounded(t *testing.T) {
	t.Parallel()
	a, flush, _ := newTest(t, Config{Repeats: Repeats{Window: time.Hour, MaxKeys: repeatShards}, BruteForce: BruteForce{Disabled: true}}) // one key per shard
	for i := range 200 {
		addr := "198.51.100." + strconv.Itoa(i%100+1) + ":4000"
		refuse(a, addr, "/v1/items/1", "unauthenticated")
	}
	lines := flush()
	s := a.Stats()
	if uint64(len(lines))+s.Repeated < 200 || s.Repeated == 0 || s.Repeated > 100 {
		t.Errorf("%d lines and %d repeated for 200 requests", len(lines), s.Repeated)
	}
	var open int
	for i := range a.repeats.shards {
		open += len(a.repeats.shards[i].runs)
	}
	if open != 0 {
		t.Errorf("%d runs left after Close", open)
	}
}

// TestRepeatsDisabled: every refusal gets its event.
func TestRepeatsDisabled(t *testing.T) {
	t.Parallel()
	a, flush, _ := newTest(t, Config{Repeats: Repeats{Disabled: true}})
	for range 5 {
		refuse(a, "192.0.2.7:4000", "/v1/items/1", "unauthenticated")
	}
	if lines := flush(); len(lines) != 5 || a.Stats().Repeated != 0 {
		t.Errorf("%d lines, want 5", len(lines))
	}
}

func TestRepeatsConfig(t *testing.T) {
	t.Parallel()
	for _, r := range []Repeats{{Window: -time.Second}, {MaxKeys: -1}} {
		if _, err := New(Config{Handlers: []slog.Handler{NewJSONHandler(io.Discard, nil)}, Repeats: r}); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("Repeats %+v: err = %v, want ErrInvalidConfig", r, err)
		}
	}
}
