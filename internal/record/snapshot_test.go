package record

import (
	"net/http/httptest"
	"net/netip"
	"testing"
)

// Not parallel: AllocsPerRun refuses to run beside parallel tests.
func TestSnapshot(t *testing.T) {
	req := httptest.NewRequest("GET", "/", nil)
	req.Header.Set("X-Request-ID", "client-7")
	w, _, rec := Install(httptest.NewRecorder(), req)
	var s Snapshot
	rec.Snapshot(&s)
	if s.WroteHeader || s.HasRateLimit || len(s.Decisions) != 0 || s.ClientIP.IsValid() || s.ClientRequestID != "client-7" {
		t.Fatalf("snapshot of a fresh record = %+v", s)
	}
	rec.SetClientIP(netip.MustParseAddr("192.0.2.1"))
	rec.SetRoute("GET /x")
	rec.SetPrincipal(Principal{Subject: "alice"})
	rec.AddDecision(Decision{Package: "auth", Outcome: Allow})
	rec.AddDecision(Decision{Package: "authz", Outcome: Deny, Reason: "forbidden"})
	rec.SetRateLimit(RateLimit{Policy: "ip", Allowed: true})
	rec.SetProblem(Problem{Status: 403, Reason: "forbidden"})
	w.WriteHeader(403)
	w.Write([]byte("no"))
	s.Decisions = append(s.Decisions, Decision{Package: "stale"})
	rec.Snapshot(&s)
	if s.ClientIP.String() != "192.0.2.1" || s.Route != "GET /x" || s.Principal.Subject != "alice" ||
		len(s.Decisions) != 2 || s.Decisions[1].Reason != "forbidden" || !s.HasRateLimit || s.RateLimit.Policy != "ip" ||
		s.Problem.Reason != "forbidden" || s.Status != 403 || s.Bytes != 2 || !s.WroteHeader {
		t.Errorf("Snapshot = %+v", s)
	}
	if n := testing.AllocsPerRun(100, func() { rec.Snapshot(&s) }); n != 0 {
		t.Errorf("Snapshot into a reused value allocates %v times", n)
	}
}
