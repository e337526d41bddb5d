package errors_test

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	apierrors "github.com/apishield/apishield/errors"
)

func TestRecover(t *testing.T) {
	t.Parallel()
	var logBuf bytes.Buffer
	rs, _ := apierrors.NewResponder(apierrors.Config{Logger: slog.New(slog.NewJSONHandler(&logBuf, nil))})
	rr := serve(rs.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var items []string
		_ = items[len(r.URL.Path)] // an index-out-of-range panic
	})), httptest.NewRequest("POST", "/v1/items", nil))
	if rr.Code != 500 {
		t.Fatalf("status = %d, want 500", rr.Code)
	}
	checkErrorHeaders(t, rr, "application/problem+json")
	b := decode(t, rr)
	if b.Reason != "internal" || b.Detail != "" {
		t.Errorf("body = %+v, want reason internal and no detail", b)
	}
	for _, leak := range []string{"panic", "index out of range", "goroutine", "recover_test.go"} {
		if strings.Contains(rr.Body.String(), leak) {
			t.Errorf("body leaks %q: %s", leak, rr.Body.String())
		}
	}
	log := logBuf.String()
	for _, want := range []string{"index out of range", "recover_test.go", b.RequestID} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q: %s", want, log)
		}
	}
}

func TestRecoverRepanicsAbortHandler(t *testing.T) {
	t.Parallel()
	h := apierrors.Recover(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		panic(http.ErrAbortHandler)
	}))
	defer func() {
		if v := recover(); v != http.ErrAbortHandler {
			t.Errorf("recovered %v, want http.ErrAbortHandler re-panicked", v)
		}
	}()
	serve(h, httptest.NewRequest("GET", "/", nil))
	t.Error("ErrAbortHandler was swallowed")
}

func TestRecoverAfterResponseStarted(t *testing.T) {
	t.Parallel()
	rs, _ := apierrors.NewResponder(apierrors.Config{Logger: slog.New(slog.DiscardHandler)})
	rr := httptest.NewRecorder()
	func() {
		defer func() {
			if v := recover(); v != http.ErrAbortHandler {
				t.Errorf("recovered %v, want http.ErrAbortHandler so net/http aborts the connection", v)
			}
		}()
		rs.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(200)
			io.WriteString(w, `{"items":[`)
			panic("half way")
		})).ServeHTTP(rr, httptest.NewRequest("GET", "/", nil))
	}()
	if rr.Code != 200 || rr.Body.String() != `{"items":[` {
		t.Errorf("got %d %q: the started response must not be double-written", rr.Code, rr.Body.String())
	}
}

// TestRecoverOverRealServer checks the behaviour a client sees through a real
// net/http server: a problem before the response starts, an aborted
// connection after.
func TestRecoverOverRealServer(t *testing.T) {
	t.Parallel()
	rs, _ := apierrors.NewResponder(apierrors.Config{Logger: slog.New(slog.DiscardHandler)})
	mux := http.NewServeMux()
	mux.HandleFunc("/early", func(http.ResponseWriter, *http.Request) { panic("early") })
	mux.HandleFunc("/late", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "100")
		w.WriteHeader(200)
		io.WriteString(w, "partial")
		http.NewResponseController(w).Flush()
		panic("late")
	})
	srv := httptest.NewUnstartedServer(rs.Handler(mux))
	srv.Config.ErrorLog = nil
	srv.Start()
	defer srv.Close()

	resp, err := http.Get(srv.URL + "/early")
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 500 || resp.Header.Get("Content-Type") != "application/problem+json" {
		t.Errorf("early panic: %d %s, want a 500 problem", resp.StatusCode, resp.Header.Get("Content-Type"))
	}

	resp, err = http.Get(srv.URL + "/late")
	if err != nil {
		t.Fatal(err)
	}
	_, err = io.ReadAll(resp.Body)
	resp.Body.Close()
	if err == nil {
		t.Error("late panic: body read cleanly; want the connection aborted")
	}
}
