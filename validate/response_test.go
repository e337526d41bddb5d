package validate_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	apierrors "github.com/apishield/apishield/errors"
	"github.com/apishield/apishield/internal/record"
	"github.com/apishield/apishield/validate"
)

// quiet is apierrors.Recover with the 500s' causes logged nowhere: the
// tests provoke them on purpose.
var quiet = func() func(http.Handler) http.Handler {
	rs, err := apierrors.NewResponder(apierrors.Config{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		panic(err)
	}
	return rs.Handler
}()

// publicUser is the contract: the password hash and the email are not in it.
const publicUser = `{"type":"object","additionalProperties":false,"required":["id","name"],
  "properties":{"id":{"type":"integer"},"name":{"type":"string"}}}`

func userHandler(status int, ctype, body string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if ctype != "" {
			w.Header().Set("Content-Type", ctype)
		}
		w.Header().Set("Content-Length", "999")
		w.WriteHeader(status)
		// Written in two pieces, as encoders do.
		w.Write([]byte(body[:len(body)/2]))
		w.Write([]byte(body[len(body)/2:]))
	})
}

const leaky = `{"id":1,"name":"ann","password_hash":"$2b$10$SECRETSECRET"}`

func TestResponseEnforce(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	v := validate.MustNew(validate.Config{Response: []byte(publicUser), Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
	tests := []struct {
		name, ctype, body string
		status            int
		wantStatus        int
		wantBody          string // "" means a problem
	}{
		{"conforming", "application/json", `{"id":1,"name":"ann"}`, 200, 200, `{"id":1,"name":"ann"}`},
		{"leaking field", "application/json", leaky, 200, 500, ""},
		{"leak without content type", "", leaky, 200, 500, ""},
		{"leak as +json", "application/vnd.user+json", leaky, 201, 500, ""},
		{"not JSON at all", "application/json", `<html>`, 200, 500, ""},
		{"errors pass unchecked", "application/json", leaky, 404, 404, leaky},
		{"other media types pass", "text/csv", "id,name\n1,ann\n", 200, 200, "id,name\n1,ann\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var rec *record.Record
			h := quiet(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				rec = record.From(r.Context())
				v.Handler(userHandler(tc.status, tc.ctype, tc.body)).ServeHTTP(w, r)
			}))
			rr := httptest.NewRecorder()
			h.ServeHTTP(rr, httptest.NewRequest("GET", "/users/1", nil))
			if rr.Code != tc.wantStatus {
				t.Fatalf("status = %d, want %d; %s", rr.Code, tc.wantStatus, rr.Body)
			}
			if tc.wantBody != "" {
				if rr.Body.String() != tc.wantBody {
					t.Errorf("body = %q, want %q", rr.Body, tc.wantBody)
				}
				return
			}
			if strings.Contains(rr.Body.String(), "SECRET") || strings.Contains(rr.Body.String(), "password") {
				t.Errorf("the leaking body was sent: %s", rr.Body)
			}
			if ct := rr.Header().Get("Content-Type"); ct != "application/problem+json" {
				t.Errorf("Content-Type = %q, want a problem", ct)
			}
			if cl := rr.Header().Get("Content-Length"); cl == "999" {
				t.Error("the handler's Content-Length survived")
			}
			var denied bool
			for _, d := range rec.Decisions() {
				denied = denied || (d.Package == "validate" && d.Outcome == record.Deny && d.Rule == "response")
			}
			if !denied {
				t.Errorf("decisions %+v lack the response denial", rec.Decisions())
			}
		})
	}
}

func TestResponseReport(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	v := validate.MustNew(validate.Config{Response: []byte(publicUser), ResponseMode: validate.ResponseReport,
		Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
	var rec *record.Record
	h := quiet(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec = record.From(r.Context())
		v.Handler(userHandler(200, "application/json", leaky)).ServeHTTP(w, r)
	}))
	rr := httptest.NewRecorder()
	h.ServeHTTP(rr, httptest.NewRequest("GET", "/users/1", nil))
	if rr.Code != 200 || rr.Body.String() != leaky {
		t.Fatalf("report mode changed the response: %d %s", rr.Code, rr.Body)
	}
	if !strings.Contains(logs.String(), "/password_hash") || strings.Contains(logs.String(), "SECRETSECRET") {
		t.Errorf("log = %s; want the violating pointer and not the value", logs.String())
	}
	var skipped bool
	for _, d := range rec.Decisions() {
		skipped = skipped || (d.Outcome == record.Skip && d.Reason == "validation_failed" && d.Rule == "response")
	}
	fe := rec.FieldErrors()
	if !skipped || len(fe) != 1 || fe[0].In != "response" || fe[0].Pointer != "/password_hash" {
		t.Errorf("decisions %+v field errors %+v; want the reported violation recorded", rec.Decisions(), fe)
	}
}

func TestResponseTooLarge(t *testing.T) {
	t.Parallel()
	big := `{"id":1,"name":"` + strings.Repeat("a", 200) + `"}`
	for _, mode := range []validate.ResponseMode{validate.ResponseEnforce, validate.ResponseReport} {
		v := validate.MustNew(validate.Config{Response: []byte(publicUser), ResponseMode: mode, MaxResponseBytes: 100})
		rr := httptest.NewRecorder()
		quiet(v.Handler(userHandler(200, "application/json", big))).ServeHTTP(rr, httptest.NewRequest("GET", "/", nil))
		switch mode {
		case validate.ResponseEnforce:
			if rr.Code != 500 || strings.Contains(rr.Body.String(), "aaaa") {
				t.Errorf("enforce: %d %s, want a 500 problem", rr.Code, rr.Body)
			}
		case validate.ResponseReport:
			if rr.Code != 200 || rr.Body.String() != big {
				t.Errorf("report: %d %q, want the response unchanged", rr.Code, rr.Body)
			}
		}
	}
}

// TestResponseFlushHolds checks that a handler's Flush cannot push an
// unchecked response out early.
func TestResponseFlushHolds(t *testing.T) {
	t.Parallel()
	v := validate.MustNew(validate.Config{Response: []byte(publicUser)})
	rr := httptest.NewRecorder()
	quiet(v.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(leaky))
		if err := http.NewResponseController(w).Flush(); err != nil {
			t.Errorf("Flush: %v", err)
		}
	}))).ServeHTTP(rr, httptest.NewRequest("GET", "/", nil))
	if rr.Code != 500 || rr.Flushed {
		t.Fatalf("status %d flushed %v; want a 500 and nothing flushed", rr.Code, rr.Flushed)
	}
	var p problemBody
	if err := json.Unmarshal(rr.Body.Bytes(), &p); err != nil || p.Reason != "internal" {
		t.Fatalf("body %s: want an internal problem", rr.Body)
	}
}
