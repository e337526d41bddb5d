package audit

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/apishield/apishield/internal/record"
)

// TestNotFoundIsItsOwnEvent: a request some package recorded as not_found
// (an Owner resolver found no object) is a not_found event, not authz_fail,
// and is counted apart from denials; a denial of someone else's object,
// answered with the same 404, stays authz_fail.
func TestNotFoundIsItsOwnEvent(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		decisions []record.Decision
		status    int
		action    string
	}{
		{"object missing", []record.Decision{{Package: "authz", Outcome: record.NotFound, Reason: "not_found", Rule: "owner"}}, 404, ActionNotFound},
		{"someone else's object", []record.Decision{{Package: "authz", Outcome: record.Deny, Reason: "not_found", Rule: "owner"}}, 404, ActionAuthzFail},
		{"a rate limit outranks it", []record.Decision{{Package: "ratelimit", Outcome: record.Deny, Reason: "rate_limited"},
			{Package: "authz", Outcome: record.NotFound, Reason: "not_found"}}, 429, ActionRateLimitExceeded},
		{"it outranks a validation failure", []record.Decision{{Package: "validate", Outcome: record.Deny, Reason: "validation_failed"},
			{Package: "authz", Outcome: record.NotFound, Reason: "not_found"}}, 404, ActionNotFound},
		{"a denial outranks it", []record.Decision{{Package: "authz", Outcome: record.NotFound, Reason: "not_found"},
			{Package: "authz", Outcome: record.Deny, Reason: "forbidden"}}, 403, ActionAuthzFail},
		{"an unknown route is a request", nil, 404, ActionRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a, flush, _ := newTest(t, Config{})
			serveRec(a, httptest.NewRequest("GET", "/v1/items/9", nil), func(w http.ResponseWriter, r *http.Request, rec *record.Record) {
				for _, d := range tt.decisions {
					rec.AddDecision(d)
				}
				rec.SetProblem(record.Problem{Status: tt.status, Reason: "not_found"})
				w.WriteHeader(tt.status)
			})
			m := flush()[0]
			if got := str(m, "event.action"); got != tt.action {
				t.Errorf("event.action = %q, want %q", got, tt.action)
			}
			if str(m, "event.outcome") != "failure" {
				t.Errorf("event.outcome = %q, want failure", str(m, "event.outcome"))
			}
			s := a.Stats()
			if (s.NotFound == 1) != (tt.action == ActionNotFound) || (s.Denials == 1) != (tt.action == ActionAuthzFail) {
				t.Errorf("Stats NotFound %d Denials %d for a %s event", s.NotFound, s.Denials, tt.action)
			}
		})
	}
}
