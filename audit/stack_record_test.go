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

// loggingStore is a Store of the application's, which writes an audit
// event from the context it is given before the memory store decides.
type loggingStore struct {
	a *audit.Auditor
	m *ratelimit.MemoryStore
}

func (s loggingStore) Take(ctx context.Context, req *ratelimit.Request, d *ratelimit.Decision) error {
	s.a.Log(ctx, audit.Event{Action: "from_store"})
	return s.m.Take(ctx, req, d)
}

// auditingLog is an application's slog handler that writes an audit event
// from the context of each record it is given.
type auditingLog struct {
	a      *audit.Auditor
	action string
}

func (h auditingLog) Enabled(context.Context, slog.Level) bool { return true }
func (h auditingLog) Handle(ctx context.Context, _ slog.Record) error {
	return h.a.Log(ctx, audit.Event{Action: h.action})
}
func (h auditingLog) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h auditingLog) WithGroup(string) slog.Handler      { return h }

// TestApplicationCodeSeesTheRecord: errors, audit, ratelimit and auth hand
// a request to one another without copying it, finding the request record
// through the response writer. Whatever of the application's they call —
// a key function, a store, an authenticator, a PeerFunc, a renderer, a
// log handler, the handler — must still find the record in the context: an audit event written there carries the
// request's ID. And the ServeMux's pattern, set on the copy the
// application got, must reach the request's event.
func TestApplicationCodeSeesTheRecord(t *testing.T) {
	for _, tc := range []struct {
		name                 string
		byIP, ownStore, peer bool
	}{
		{"own key function, store and PeerFunc", false, true, true},
		{"ByIP, own store", true, true, false},
		{"ByIP, memory store", true, false, false},
	} {
		byIP := tc.byIP
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
		mem, err := ratelimit.NewMemoryStore(ratelimit.MemoryConfig{})
		if err != nil {
			t.Fatal(err)
		}
		var store ratelimit.Store = mem
		if tc.ownStore {
			store = loggingStore{a, mem}
		}
		rl, err := ratelimit.New(ratelimit.Config{Name: "test", Key: key, Store: store,
			Policies: []ratelimit.Policy{{Name: "p", Limit: 100, Period: time.Minute}}})
		if err != nil {
			t.Fatal(err)
		}
		acfg := auth.Config{Authenticators: []auth.Authenticator{loggingAuthenticator{a}},
			Logger: slog.New(auditingLog{a, "from_auth_log"})}
		if tc.peer {
			acfg.ClientCertificate = func(r *http.Request) (string, bool) {
				a.Log(r.Context(), audit.Event{Action: "from_peer_func"})
				return "", false
			}
		}
		am, err := auth.New(acfg)
		if err != nil {
			t.Fatal(err)
		}
		mux := http.NewServeMux()
		mux.HandleFunc("GET /v1/items/{id}", func(w http.ResponseWriter, r *http.Request) {
			a.Log(r.Context(), audit.Event{Action: "from_handler"})
		})
		rs, err := apierrors.NewResponder(apierrors.Config{Logger: slog.New(auditingLog{a, "from_error_log"}), Renderer: apierrors.RendererFunc(
			func(dst []byte, r *http.Request, e *apierrors.Envelope) ([]byte, string) {
				a.Log(r.Context(), audit.Event{Action: "from_renderer"})
				return apierrors.ProblemJSON.Render(dst, r, e)
			})})
		if err != nil {
			t.Fatal(err)
		}
		h := rs.Handler(a.Handler(rl.Handler(am.Handler(mux))))

		ids := map[string]bool{}
		for _, token := range []string{"t", "wrong", ""} {
			req := httptest.NewRequest("GET", "/v1/items/7", nil)
			if token != "" {
				req.Header.Set("Authorization", "Bearer "+token)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			ids[w.Header().Get("X-Request-Id")] = true
		}
		if err := a.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
		want := map[string]int{"from_handler": 1, "from_authenticator": 2, "from_key_function": 3,
			"from_store": 3, "from_peer_func": 1, "from_renderer": 2, "from_auth_log": 2, "from_error_log": 1}
		if byIP {
			delete(want, "from_key_function")
		}
		if !tc.ownStore {
			delete(want, "from_store")
		}
		if !tc.peer {
			delete(want, "from_peer_func")
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
				t.Errorf("%s: event %s has request ID %q, not one the responses carry (%v)", tc.name, ev.Event.Action, ev.HTTP.Request.ID, ids)
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
				t.Errorf("%s: %d %s events, want %d", tc.name, got[action], action, n)
			}
		}
		if routes == 0 {
			t.Errorf("%s: no event carries the ServeMux pattern:\n%s", tc.name, buf.b.String())
		}
	}
}
