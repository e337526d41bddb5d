package record

import (
	"bufio"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync"
	"testing"
	"time"
)

func TestInstallIsIdempotent(t *testing.T) {
	t.Parallel()
	rr := httptest.NewRecorder()
	w1, r1, rec1 := Install(rr, httptest.NewRequest("GET", "/", nil))
	w2, r2, rec2 := Install(w1, r1)
	if rec1 != rec2 || w1 != w2 || r1 != r2 {
		t.Fatal("a second Install replaced the record, the writer or the request")
	}
	if From(r2.Context()) != rec1 {
		t.Fatal("From does not return the installed record")
	}
	if got := rr.Header().Get("X-Request-ID"); got != rec1.ID() || !ValidID(got) {
		t.Errorf("X-Request-ID = %q, record ID %q", got, rec1.ID())
	}
	if From(httptest.NewRequest("GET", "/", nil).Context()) != nil {
		t.Error("From found a record in a bare request")
	}
}

func TestWriterRecordsStatusAndBytes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		write      func(w http.ResponseWriter)
		wantStatus int
		wantBytes  int64
		wantWrote  bool
	}{
		{"nothing", func(w http.ResponseWriter) {}, 0, 0, false},
		{"implicit 200", func(w http.ResponseWriter) { w.Write([]byte("hello")) }, 200, 5, true},
		{"explicit 201", func(w http.ResponseWriter) { w.WriteHeader(201); w.Write([]byte("{}")) }, 201, 2, true},
		{"second WriteHeader ignored", func(w http.ResponseWriter) { w.WriteHeader(404); w.WriteHeader(500) }, 404, 0, true},
		{"1xx is not final", func(w http.ResponseWriter) { w.WriteHeader(103); w.WriteHeader(204) }, 204, 0, true},
		{"flush writes the header", func(w http.ResponseWriter) { w.(http.Flusher).Flush() }, 200, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w, _, rec := Install(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
			tt.write(w)
			status, n, wrote := rec.Status()
			if status != tt.wantStatus || n != tt.wantBytes || wrote != tt.wantWrote {
				t.Errorf("Status() = %d, %d, %v; want %d, %d, %v", status, n, wrote, tt.wantStatus, tt.wantBytes, tt.wantWrote)
			}
		})
	}
}

// TestWriterUnwrap proves http.ResponseController reaches the real writer
// through the wrapper, for deadlines that the wrapper does not implement.
func TestWriterUnwrap(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w, _, _ = Install(w, r)
		if err := http.NewResponseController(w).SetWriteDeadline(time.Now().Add(time.Minute)); err != nil {
			t.Errorf("SetWriteDeadline through the wrapper: %v", err)
		}
		conn, brw, err := w.(http.Hijacker).Hijack()
		if err != nil {
			t.Errorf("Hijack through the wrapper: %v", err)
			return
		}
		defer conn.Close()
		brw.WriteString("HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n")
		brw.Flush()
	}))
	defer srv.Close()
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 204 {
		t.Errorf("status = %d, want 204 from the hijacked connection", resp.StatusCode)
	}
}

func TestDecisionsAndFields(t *testing.T) {
	t.Parallel()
	_, _, rec := Install(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	rec.SetPrincipal(Principal{Subject: "alice", Method: "jwt"})
	rec.SetClientIP(netip.MustParseAddr("192.0.2.7"))
	rec.SetRoute("GET /v1/items/{id}")
	for _, d := range []Decision{
		{Package: "auth", Outcome: Allow, Rule: "jwt"},
		{Package: "authz", Outcome: Deny, Reason: "forbidden", Rule: "owner"},
	} {
		rec.AddDecision(d)
	}
	rec.AddFieldErrors(FieldError{Pointer: "/price", Detail: "must be >= 0"})
	if got := rec.Decisions(); len(got) != 2 || got[1].Rule != "owner" {
		t.Errorf("Decisions() = %+v", got)
	}
	if got := rec.Principal(); got.Subject != "alice" {
		t.Errorf("Principal() = %+v", got)
	}
	if rec.ClientIP() != netip.MustParseAddr("192.0.2.7") || rec.Route() != "GET /v1/items/{id}" {
		t.Errorf("ClientIP/Route = %v %q", rec.ClientIP(), rec.Route())
	}
	if got := rec.FieldErrors(); len(got) != 1 || got[0].Pointer != "/price" {
		t.Errorf("FieldErrors() = %+v", got)
	}
	// The copies are the caller's own.
	rec.Decisions()[0].Package = "mutated"
	if rec.Decisions()[0].Package != "auth" {
		t.Error("Decisions() returned the record's own slice")
	}
}

func TestAddDecisionDoesNotAllocate(t *testing.T) {
	_, _, rec := Install(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	allocs := testing.AllocsPerRun(100, func() {
		rec.mu.Lock()
		rec.decisions = rec.decisions[:0]
		rec.mu.Unlock()
		for range inlineDecisions {
			rec.AddDecision(Decision{Package: "authz", Outcome: Allow})
		}
	})
	if allocs != 0 {
		t.Errorf("AddDecision allocates %v times for %d decisions, want 0", allocs, inlineDecisions)
	}
}

func TestAddRouteDecision(t *testing.T) {
	t.Parallel()
	_, _, rec := Install(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	rec.SetRoute("GET /old")
	rec.AddRouteDecision("", Decision{Package: "a", Outcome: Allow})
	if rec.Route() != "GET /old" {
		t.Errorf("an empty pattern replaced the route: %q", rec.Route())
	}
	rec.AddRouteDecision("GET /v1/items/{id}", Decision{Package: "authz", Outcome: Allow})
	if got := rec.Decisions(); rec.Route() != "GET /v1/items/{id}" || len(got) != 2 || got[1].Package != "authz" {
		t.Errorf("route %q, decisions %+v", rec.Route(), got)
	}
}

func TestRateLimitKeepsTheDenial(t *testing.T) {
	t.Parallel()
	_, _, rec := Install(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	if _, ok := rec.RateLimit(); ok {
		t.Fatal("a fresh record has a rate-limit result")
	}
	rec.SetRateLimit(RateLimit{Policy: "ip", Allowed: true, Remaining: 9})
	rec.SetRateLimit(RateLimit{Policy: "subject", Allowed: false})
	rec.SetRateLimit(RateLimit{Policy: "route", Allowed: true})
	if got, _ := rec.RateLimit(); got.Policy != "subject" {
		t.Errorf("RateLimit().Policy = %q, want the denying policy kept", got.Policy)
	}
}

func TestConcurrentUse(t *testing.T) {
	t.Parallel()
	w, _, rec := Install(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			rec.AddDecision(Decision{Package: "p", Outcome: Allow})
			rec.SetRoute("r")
			rec.Status()
			if i == 0 {
				w.Write([]byte("x"))
			}
		})
	}
	wg.Wait()
	if n := len(rec.Decisions()); n != 8 {
		t.Errorf("%d decisions, want 8", n)
	}
}

func TestResetDecisions(t *testing.T) { // not parallel: AllocsPerRun
	_, _, rec := Install(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	rec.SetRoute("GET /x")
	rec.AddDecision(Decision{Package: "authz", Outcome: Allow})
	ResetDecisions(rec)
	if got := rec.Decisions(); len(got) != 0 || rec.Route() != "" {
		t.Fatalf("after ResetDecisions: decisions %v, route %q; want none", got, rec.Route())
	}
	allocs := testing.AllocsPerRun(100, func() {
		ResetDecisions(rec)
		rec.AddDecision(Decision{Package: "authz", Outcome: Allow})
	})
	if allocs != 0 {
		t.Errorf("reset and add allocate %v times, want 0 (the inline buffer is kept)", allocs)
	}
}
