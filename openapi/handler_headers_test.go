package openapi_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	apierrors "github.com/apishield/apishield/errors"
	"github.com/apishield/apishield/openapi"
)

// TestHandlerBodyHeadersTwice sends a body with its Content-Type or its
// Content-Encoding in two header lines. The contract reads the first
// Content-Type; a handler, framework or proxy that reads the last would
// decode a body the contract did not check as what it checked, so two are
// refused. Content-Encoding is a list, and a coding in any of its lines
// makes the body compressed.
func TestHandlerBodyHeadersTwice(t *testing.T) {
	t.Parallel()
	f := newFixture(t, readDoc(t, "items.yaml"), openapi.Config{}, nil)
	cases := []struct {
		name   string
		header http.Header
		status int
		reason string
	}{
		{"two Content-Types", http.Header{"Content-Type": {"application/json", "text/plain"}}, 400, apierrors.ReasonMalformedRequest},
		{"the same Content-Type twice", http.Header{"Content-Type": {"application/json", "application/json"}}, 400, apierrors.ReasonMalformedRequest},
		{"identity, then gzip", http.Header{"Content-Type": {"application/json"}, "Content-Encoding": {"identity", "gzip"}}, 415, apierrors.ReasonUnsupportedMediaType},
		{"identity twice", http.Header{"Content-Type": {"application/json"}, "Content-Encoding": {"identity", "Identity"}}, 200, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest("POST", "/v1/items", strings.NewReader(`{"name":"x"}`))
			r.Header = tc.header
			r.Header.Set("Authorization", "Bearer writer")
			w := httptest.NewRecorder()
			f.h.ServeHTTP(w, r)
			if tc.status == 200 {
				if w.Code != 200 {
					t.Fatalf("status = %d, want 200 from the handler; body %s", w.Code, w.Body)
				}
				return
			}
			wantProblem(t, w, tc.status, tc.reason)
		})
	}
}
