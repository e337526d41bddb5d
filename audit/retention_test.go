package audit_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"
	"weak"

	"github.com/apishield/apishield/audit"
	apierrors "github.com/apishield/apishield/errors"
)

// blockingSink holds the writer on its first event until released, so
// events wait in the queue.
type blockingSink struct{ release chan struct{} }

func (s blockingSink) Enabled(context.Context, slog.Level) bool { return true }
func (s blockingSink) Handle(context.Context, slog.Record) error {
	<-s.release
	return nil
}
func (s blockingSink) WithAttrs([]slog.Attr) slog.Handler { return s }
func (s blockingSink) WithGroup(string) slog.Handler      { return s }

// TestQueuedEventDoesNotHoldTheRequest: an event waiting for the writer
// keeps the request's record alive (through its ID), but not the request
// nor the copy the handler got: a flood of large requests must not be
// held in memory by the audit queue.
func TestQueuedEventDoesNotHoldTheRequest(t *testing.T) {
	sink := blockingSink{release: make(chan struct{})}
	a, err := audit.New(audit.Config{Handlers: []slog.Handler{sink}, Repeats: audit.Repeats{Disabled: true}})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close(context.Background())
	defer close(sink.release)
	var served weak.Pointer[http.Request]
	h := apierrors.Recover(a.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		served = weak.Make(r)
	})))
	var reqs []weak.Pointer[http.Request]
	for range 3 { // the first blocks the writer; the others wait in the queue
		req := httptest.NewRequest("GET", "/v1/items", nil)
		req.Header.Set("X-Large", strings.Repeat("x", 64<<10))
		reqs = append(reqs, weak.Make(req))
		h.ServeHTTP(httptest.NewRecorder(), req)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		runtime.GC()
		held := 0
		for _, p := range append(reqs, served) {
			if p.Value() != nil {
				held++
			}
		}
		if held == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d requests are still held while their events wait in the queue", held)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
