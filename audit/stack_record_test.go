package audit_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"log/slog"

	"github.com/apishield/apishield/audit"
	"github.com/apishield/apishield/auth"
	apierrors "github.com/apishield/apishield/errors"
	"github.com/apishield/apishield/ratelimit"
)

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// loggingAuthenticator accepts the bearer token "t", writing an audit
// event from the context it is given.
type loggingAuthenticator struct{ a *audit.Auditor }

func (loggingAuthenticator) Kind() auth.CredentialKind { return auth.Bearer }

func (la loggingAuthenticator) Authenticate(ctx context.Context, cred string) (*auth.Principal, error) {
	la.a.Log(ctx, audit.Event{Action: "from_authenticator"})
	if cred != "t" {
		return nil, auth.ErrInvalidToken
	}
	return &auth.Principal{Subject: "user-1", Method: "test"}, nil
}

// TestApplicationCodeSeesTheRecord: errors, audit, ratelimit and auth hand
// a request to one another without copying it, finding the request record
// through the response writer. Whatever of the application's they call —
// a key function, an authenticator, the handler — must still find the
// record in the context: an audit event written there carries the
// request's ID. And the ServeMux's pattern, set on the copy the
// application got, must reach the request's event.
func TestApplicationCodeSeesTheRecord(t *testing.T) {
	for _, byIP := range []bool{false, true} {
		var buf lockedBuffer
		a, err := audit.New(audit.Config{Handlers: []slog.Handler{audit.NewJSONHandler(&buf, nil)}, Blocking: true})
		if err != nil {
			t.Fatal(err)
		}
		key := ratelimit.KeyFunc(func(dst []byte, r *http.Request) ([]byte, error) {
			a.Log(r.Context(), audit.Event{Action: "from_key_function"})
			return append(dst, "k"...), nil
		})
		if byIP {
			if key, err = ratelimit.ByIP(ratelimit.IPConfig{}); err != nil {
				t.Fatal(err)
			}
		}
		rl, err := ratelimit.New(ratelimit.Config{Name: "test", Key: key,
			Policies: []ratelimit.Policy{{Name: "p", Limit: 100, Period: time.Minute}}})
		if err != nil {
			t.Fatal(err)
		}
		am, err := auth.New(auth.Config{Authenticators: []auth.Authenticator{loggingAuthenticator{a}}})
		if err != nil {
			t.Fatal(err)
		}
		mux := http.NewServeMux()
		mux.HandleFunc("GET /v1/items/{id}", func(w http.ResponseWriter, r *http.Request) {
			a.Log(r.Context(), audit.Event{Action: "from_handler"})
		})
		h := apierrors.Recover(a.Handler(rl.Handler(am.Handler(mux))))

		ids := map[string]bool{}
		for _, token := range []string{"t", "wrong"} {
			req := httptest.NewRequest("GET", "/v1/items/7", nil)
			req.Header.Set("Authorization", "Bearer "+token)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			ids[w.Header().Get("X-Request-Id")] = true
		}
		if err := a.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
		want := map[string]int{"from_handler": 1, "from_authenticator": 2, "from_key_function": 2}
		if byIP {
			delete(want, "from_key_function")
		}
		got := map[string]int{}
		routes := 0
		for _, line := range strings.Split(strings.TrimSpace(buf.b.String()), "\n") {
			var ev struct {
				Event struct{ Action string } `json:"event"`
				HTTP  struct {
					Request struct{ ID string } `json:"request"`
				} `json:"http"`
				URL struct{ Path string } `json:"url"`
				API struct {
					Route string `json:"route"`
				} `json:"apishield"`
			}
			if err := json.Unmarshal([]byte(line), &ev); err != nil {
				t.Fatalf("%v: %s", err, line)
			}
			if !ids[ev.HTTP.Request.ID] {
				t.Errorf("byIP %v: event %s has request ID %q, not one the responses carry (%v)", byIP, ev.Event.Action, ev.HTTP.Request.ID, ids)
			}
			if _, ok := want[ev.Event.Action]; ok {
				got[ev.Event.Action]++
			}
			if strings.Contains(line, `"GET /v1/items/{id}"`) {
				routes++
			}
		}
		for action, n := range want {
			if got[action] != n {
				t.Errorf("byIP %v: %d %s events, want %d", byIP, got[action], action, n)
			}
		}
		if routes == 0 {
			t.Errorf("byIP %v: no event carries the ServeMux pattern:\n%s", byIP, buf.b.String())
		}
	}
}
