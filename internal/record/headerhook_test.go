package record

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// countHook sets X-Hook to how many times it ran, and records the status
// the record held when it ran.
type countHook struct {
	runs   int
	status int
}

func (c *countHook) BeforeHeader(rec *Record, h http.Header) {
	c.runs++
	c.status, _, _ = rec.Status()
	h.Set("X-Hook", "ran")
}

func TestHeaderHookRunsOnceBeforeTheHeader(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		write      func(w http.ResponseWriter)
		wantRuns   int
		wantStatus int
	}{
		{"WriteHeader", func(w http.ResponseWriter) { w.WriteHeader(http.StatusTeapot) }, 1, http.StatusTeapot},
		{"implicit Write", func(w http.ResponseWriter) { _, _ = w.Write([]byte("x")) }, 1, http.StatusOK},
		{"Flush", func(w http.ResponseWriter) { w.(http.Flusher).Flush() }, 1, http.StatusOK},
		{"twice", func(w http.ResponseWriter) {
			w.WriteHeader(http.StatusNoContent)
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write(nil)
		}, 1, http.StatusNoContent},
		{"1xx first", func(w http.ResponseWriter) {
			w.WriteHeader(http.StatusEarlyHints)
			w.WriteHeader(http.StatusCreated)
		}, 1, http.StatusCreated},
		{"nothing written", func(http.ResponseWriter) {}, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rr := httptest.NewRecorder()
			w, _, rec := Install(rr, httptest.NewRequest("GET", "/", nil))
			hook := &countHook{}
			rec.SetHeaderHook(hook)
			tt.write(w)
			if hook.runs != tt.wantRuns {
				t.Fatalf("hook ran %d times, want %d", hook.runs, tt.wantRuns)
			}
			if hook.status != tt.wantStatus {
				t.Errorf("status seen by the hook = %d, want %d", hook.status, tt.wantStatus)
			}
			if tt.wantRuns > 0 && rr.Header().Get("X-Hook") != "ran" {
				t.Error("the hook's header edit did not reach the response")
			}
		})
	}
}

func TestHeaderHookReplacedByLaterOne(t *testing.T) {
	t.Parallel()
	w, _, rec := Install(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	outer, inner := &countHook{}, &countHook{}
	rec.SetHeaderHook(outer)
	rec.SetHeaderHook(inner)
	w.WriteHeader(http.StatusOK)
	if outer.runs != 0 || inner.runs != 1 {
		t.Errorf("outer ran %d, inner ran %d; want 0 and 1", outer.runs, inner.runs)
	}
}

func TestRunHeaderHookOnlyWhenUnwritten(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		write    func(w http.ResponseWriter)
		wantRuns int
	}{
		{"nothing written", func(http.ResponseWriter) {}, 1},
		{"written", func(w http.ResponseWriter) { w.WriteHeader(http.StatusOK) }, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rr := httptest.NewRecorder()
			w, _, rec := Install(rr, httptest.NewRequest("GET", "/", nil))
			hook := &countHook{}
			rec.SetHeaderHook(hook)
			tt.write(w)
			rec.RunHeaderHook(w.Header())
			rec.RunHeaderHook(w.Header())
			if hook.runs != tt.wantRuns {
				t.Errorf("hook ran %d times, want %d", hook.runs, tt.wantRuns)
			}
			if rr.Header().Get("X-Hook") != "ran" {
				t.Error("the hook's header edit did not reach the response")
			}
		})
	}
}
