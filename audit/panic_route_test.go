package audit_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/apishield/apishield/audit"
	apierrors "github.com/apishield/apishield/errors"
)

// TestPanicKeepsTheRoute: with the auditor outside the Responder, a
// handler's panic is still logged with the ServeMux pattern of its route.
// The Responder's recovery, which logs and renders the 500 with a copy of
// the request of its own, must not hide the request the mux served.
func TestPanicKeepsTheRoute(t *testing.T) {
	t.Parallel()
	for _, renderer := range []apierrors.Renderer{nil, apierrors.RendererFunc(
		func(dst []byte, r *http.Request, e *apierrors.Envelope) ([]byte, string) {
			return apierrors.ProblemJSON.Render(dst, r, e)
		})} {
		var buf lockedBuffer
		a, err := audit.New(audit.Config{Handlers: []slog.Handler{audit.NewJSONHandler(&buf, nil)}, Blocking: true})
		if err != nil {
			t.Fatal(err)
		}
		rs, err := apierrors.NewResponder(apierrors.Config{Logger: slog.New(slog.DiscardHandler), Renderer: renderer})
		if err != nil {
			t.Fatal(err)
		}
		mux := http.NewServeMux()
		mux.HandleFunc("GET /v1/items/{id}", func(http.ResponseWriter, *http.Request) { panic("boom") })
		w := httptest.NewRecorder()
		a.Handler(rs.Handler(mux)).ServeHTTP(w, httptest.NewRequest("GET", "/v1/items/7", nil))
		if err := a.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
		if w.Code != 500 {
			t.Fatalf("got %d, want 500", w.Code)
		}
		var ev struct {
			API struct {
				Route string `json:"route"`
			} `json:"apishield"`
		}
		if err := json.Unmarshal([]byte(strings.TrimSpace(buf.b.String())), &ev); err != nil {
			t.Fatalf("%v: %s", err, buf.b.String())
		}
		if ev.API.Route != "GET /v1/items/{id}" {
			t.Errorf("renderer %v: the panic's event has route %q, want the mux's pattern:\n%s", renderer != nil, ev.API.Route, buf.b.String())
		}
	}
}
