package audit

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
	"testing/synctest"
	"time"

	"github.com/apishield/apishield/internal/record"
)

// authFail serves one request that auth denies, from ip.
func authFail(a *Auditor, ip, subject string) {
	req := httptest.NewRequest("GET", "/v1/items", nil)
	req.RemoteAddr = ip + ":1234"
	a.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := record.From(r.Context())
		if subject != "" {
			rec.SetPrincipal(record.Principal{Subject: subject})
		}
		rec.AddDecision(record.Decision{Package: "auth", Outcome: record.Deny, Reason: "invalid_token"})
		w.WriteHeader(401)
	})).ServeHTTP(httptest.NewRecorder(), req)
}

func alerts(lines []map[string]any) []map[string]any {
	var out []map[string]any
	for _, m := range lines {
		if str(m, "event.action") == ActionBruteForceSuspected {
			out = append(out, m)
		}
	}
	return out
}

func TestBruteForceByIP(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		a, flush, _ := newTest(t, Config{BruteForce: BruteForce{Threshold: 3, Window: time.Minute}})
		for range 5 { // 3 raise the alert, 2 more in the same window do not
			authFail(a, "198.51.100.1", "")
		}
		authFail(a, "198.51.100.2", "") // another IP, below the threshold
		time.Sleep(61 * time.Second)    // fake time: a new window
		for range 3 {
			authFail(a, "198.51.100.1", "")
		}
		lines := flush()
		al := alerts(lines)
		if len(al) != 2 {
			t.Fatalf("%d alerts, want 2 (one per window)", len(al))
		}
		for _, m := range al {
			if str(m, "source.ip") != "198.51.100.1" || num(m, "apishield.brute_force.failures") != 3 ||
				num(m, "apishield.brute_force.window_ms") != 60000 || str(m, "event.kind") != "alert" || str(m, "log.level") != "warn" {
				t.Errorf("alert = %v", m)
			}
		}
		if s := a.Stats(); s.BruteForceSuspected != 2 || s.AuthFailures != 9 {
			t.Errorf("Stats: BruteForceSuspected %d, AuthFailures %d; want 2, 9", s.BruteForceSuspected, s.AuthFailures)
		}
	})
}

func TestBruteForceBySubjectAcrossIPs(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		a, flush, _ := newTest(t, Config{BruteForce: BruteForce{Threshold: 4}})
		for i := range 4 { // a password spray on one account from 4 addresses
			ip := netip.AddrFrom4([4]byte{203, 0, 113, byte(i + 1)}).String()
			a.Log(context.Background(), Event{Action: ActionAuthnLoginFail, Outcome: Failure, User: "bob"})
			authFail(a, ip, "")
		}
		al := alerts(flush())
		if len(al) != 1 || str(al[0], "user.id") != "bob" {
			t.Fatalf("alerts = %v, want one for user bob", al)
		}
	})
}

func TestBruteForceBounded(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		a, flush, _ := newTest(t, Config{BruteForce: BruteForce{Threshold: 2, MaxKeys: 3}})
		for i := range 5 {
			authFail(a, netip.AddrFrom4([4]byte{192, 0, 2, byte(i + 1)}).String(), "")
		}
		flush()
		if s := a.Stats(); s.MonitorOverflow != 2 {
			t.Errorf("MonitorOverflow = %d, want 2 (5 keys, room for 3)", s.MonitorOverflow)
		}
	})
}

func TestBruteForceDisabled(t *testing.T) {
	t.Parallel()
	a, flush, _ := newTest(t, Config{BruteForce: BruteForce{Disabled: true, Threshold: 1}})
	authFail(a, "192.0.2.9", "x")
	if al := alerts(flush()); len(al) != 0 {
		t.Errorf("alerts with detection disabled: %v", al)
	}
}
