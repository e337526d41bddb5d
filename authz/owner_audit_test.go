package authz_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/apishield/apishield/audit"
	"github.com/apishield/apishield/authz"
	apierrors "github.com/apishield/apishield/errors"
)

// TestOwnerAuditEvents: through a real auditor, a request for someone
// else's object is authz_fail and one for a missing object not_found, while
// the two responses are the same.
func TestOwnerAuditEvents(t *testing.T) {
	t.Parallel()
	var log bytes.Buffer
	aud, err := audit.New(audit.Config{Handlers: []slog.Handler{audit.NewJSONHandler(&log, nil)}})
	if err != nil {
		t.Fatal(err)
	}
	owners := map[string]string{"1": "bob"}
	owner := authz.Owner(func(r *http.Request) (string, error) {
		if o, ok := owners[r.PathValue("id")]; ok {
			return o, nil
		}
		return "", authz.ErrNotFound
	})
	mux := http.NewServeMux()
	mux.Handle("GET /v1/items/{id}", authz.Require(owner)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})))
	h := apierrors.Recover(aud.Handler(testAuth(mux)))
	var answers []string
	for _, id := range []string{"1", "9"} {
		req := httptest.NewRequest("GET", "/v1/items/"+id, nil)
		req.Header.Set("X-Test-Subject", "alice")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		a := answerOf(t, w)
		answers = append(answers, strings.Replace(a, "/v1/items/"+id, "/v1/items/{id}", 1)) // the instance names the path
	}
	if answers[0] != answers[1] {
		t.Errorf("someone else's object:\n%s\na missing one:\n%s", answers[0], answers[1])
	}
	if err := aud.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, line := range strings.Split(strings.TrimSpace(log.String()), "\n") {
		var e struct {
			Event struct{ Action, Reason string }
		}
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("%v: %s", err, line)
		}
		actions = append(actions, e.Event.Action+" "+e.Event.Reason)
	}
	if got := strings.Join(actions, ", "); got != "authz_fail not_found, not_found not_found" {
		t.Errorf("audit events: %s; want authz_fail then not_found", got)
	}
}
