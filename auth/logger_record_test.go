package auth_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/apishield/apishield/auth"
	apierrors "github.com/apishield/apishield/errors"
	"github.com/apishield/apishield/internal/record"
)

// contextLog is an application's slog handler at debug level that notes,
// for Enabled and Handle, whether the context it is given carries the
// request record.
type contextLog struct {
	mu               sync.Mutex
	calls, bare      int
	enabledBare      int
	enabled, handled int
}

func (h *contextLog) note(ctx context.Context, enabled bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.calls++
	if enabled {
		h.enabled++
	} else {
		h.handled++
	}
	if record.From(ctx) == nil {
		h.bare++
		if enabled {
			h.enabledBare++
		}
	}
}

func (h *contextLog) Enabled(ctx context.Context, _ slog.Level) bool {
	h.note(ctx, true)
	return true
}
func (h *contextLog) Handle(ctx context.Context, _ slog.Record) error {
	h.note(ctx, false)
	return nil
}
func (h *contextLog) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *contextLog) WithGroup(string) slog.Handler      { return h }

// TestLoggersSeeTheRecord: auth's Handler and errors' Responder find the
// record through the response writer; an application's log handler they
// ask whether to log, and then give the line, must find the record in
// the context either way, as it did when the request carried it.
func TestLoggersSeeTheRecord(t *testing.T) {
	t.Parallel()
	authLog, errLog := &contextLog{}, &contextLog{}
	j := newVerifier(t, newJWKSServer(standardSet(t)), nil)
	m, err := auth.New(auth.Config{Authenticators: []auth.Authenticator{j}, Logger: slog.New(authLog)})
	if err != nil {
		t.Fatal(err)
	}
	rs, err := apierrors.NewResponder(apierrors.Config{Logger: slog.New(errLog)})
	if err != nil {
		t.Fatal(err)
	}
	h := rs.Handler(m.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})))
	req := httptest.NewRequest("GET", "/v1/items", nil)
	req.Header.Set("Authorization", "Bearer not-a-token")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	if w.Code != 401 {
		t.Fatalf("got %d, want 401", w.Code)
	}
	for name, l := range map[string]*contextLog{"auth's": authLog, "the Responder's": errLog} {
		if l.handled == 0 || l.bare != 0 {
			t.Errorf("%s log handler: %d calls (%d Enabled), %d of them (%d Enabled) without the record in the context; want lines, and none without",
				name, l.calls, l.enabled, l.bare, l.enabledBare)
		}
	}
}
