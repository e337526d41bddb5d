//go:build unix

package cpubench

import (
	"net/http"
	"net/http/httptest"
	"syscall"
	"testing"
	"time"
)

// Now is the process's CPU time so far, user and system.
func Now(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// Serve checks that h answers req with want, then serves req through h
// b.N times and reports the process's CPU per request (cpu-ns/op). drain,
// if set, runs inside the measured span after the loop, so work a
// background writer still had queued is counted.
func Serve(b *testing.B, h http.Handler, req *http.Request, want int, drain func()) {
	b.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req.Clone(req.Context()))
	if rec.Code != want {
		b.Fatalf("status %d, want %d", rec.Code, want)
	}
	w := &Discard{H: http.Header{}}
	b.ReportAllocs()
	c0 := Now(b)
	for b.Loop() {
		clear(w.H)
		h.ServeHTTP(w, req)
	}
	if drain != nil {
		drain()
	}
	b.ReportMetric(float64(Now(b)-c0)/float64(b.N), "cpu-ns/op")
}
