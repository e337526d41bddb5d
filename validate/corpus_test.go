package validate_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/apishield/apishield/validate"
)

func corpusRequest(c validate.HostileCase) *http.Request {
	req := httptest.NewRequest("POST", "/v1/items", bytes.NewReader(c.Body))
	req.Header.Set("Content-Type", c.ContentType)
	return req
}

// TestHostileCorpus sends every corpus case through the middleware and
// checks its status and reason. Its benchmark twin, BenchmarkHostileCorpus,
// shows what each costs.
func TestHostileCorpus(t *testing.T) {
	t.Parallel()
	schema, cases := validate.LoadCorpus(t)
	if len(cases) < 50 {
		t.Fatalf("only %d corpus cases", len(cases))
	}
	v := validate.MustNew(validate.Config{Body: schema})
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			t.Parallel()
			rr, p := serve(t, v, corpusRequest(c))
			if rr.Code != c.Status {
				t.Fatalf("status = %d, want %d; %s", rr.Code, c.Status, truncate(rr.Body.String()))
			}
			if p.Reason != c.Reason {
				t.Errorf("reason = %q, want %q", p.Reason, c.Reason)
			}
			if c.Status == 400 && !strings.Contains(p.Detail, "at byte") {
				t.Errorf("400 detail %q does not say where", p.Detail)
			}
			if rr.Code >= 400 && rr.Body.Len() > 2048 {
				t.Errorf("problem body is %d bytes; it must not grow with the input", rr.Body.Len())
			}
		})
	}
}

func truncate(s string) string {
	if len(s) > 300 {
		return s[:300] + "…"
	}
	return s
}
