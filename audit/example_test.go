package audit_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"

	"github.com/apishield/apishield/audit"
)

// stable drops the fields that change from run to run, so the example's
// output can be checked.
func stable(groups []string, a slog.Attr) slog.Attr {
	switch {
	case len(groups) == 0 && a.Key == "@timestamp",
		len(groups) == 1 && groups[0] == "event" && (a.Key == "start" || a.Key == "duration"):
		return slog.Attr{}
	case len(groups) == 2 && groups[0] == "http" && groups[1] == "request" && a.Key == "id":
		a.Value = slog.StringValue("<new ULID>")
	}
	return a
}

// Events fan out to two sinks: JSON lines to a file and to stdout.
func Example_fanout() {
	dir, _ := os.MkdirTemp("", "audit")
	defer os.RemoveAll(dir)
	f, _ := os.Create(filepath.Join(dir, "audit.log"))
	defer f.Close()

	opts := &slog.HandlerOptions{ReplaceAttr: stable}
	aud, err := audit.New(audit.Config{Handlers: []slog.Handler{
		audit.NewJSONHandler(f, opts),
		audit.NewJSONHandler(os.Stdout, opts),
	}})
	if err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/items/{id}", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{}`))
	})
	req := httptest.NewRequest("GET", "/v1/items/7?limit=5", nil)
	req.Header.Set("X-Request-ID", "req-1") // the client's: logged apart from the request ID
	req.Header.Set("Authorization", "Bearer never-logged")
	aud.Handler(mux).ServeHTTP(httptest.NewRecorder(), req)
	aud.Close(context.Background()) // flush before reading the file

	b, _ := os.ReadFile(f.Name())
	fmt.Println("file has the same line:", strings.Count(string(b), "\n") == 1 && strings.Contains(string(b), `"route":"GET /v1/items/{id}"`))
	// Output:
	// {"log.level":"info","message":"http_request","ecs":{"version":"8.11.0"},"event":{"kind":"event","category":["api","web"],"type":["access","allowed"],"action":"http_request","outcome":"success","dataset":"apishield.audit"},"http":{"request":{"method":"GET","id":"<new ULID>","body":{"bytes":0}},"response":{"status_code":200,"body":{"bytes":2}}},"url":{"path":"/v1/items/7","query":"limit=[REDACTED]"},"source":{"ip":"192.0.2.1"},"apishield":{"route":"GET /v1/items/{id}","client_request_id":"req-1"}}
	// file has the same line: true
}

// An application logs an admin action; fields with secret names are
// redacted.
func ExampleAuditor_Log() {
	aud, _ := audit.New(audit.Config{Handlers: []slog.Handler{
		audit.NewJSONHandler(os.Stdout, &slog.HandlerOptions{ReplaceAttr: stable}),
	}})
	aud.Log(context.Background(), audit.Event{
		Action:  audit.ActionPrivilegeChanged,
		Outcome: audit.Success,
		User:    "admin-7",
		Target:  "user:42",
		Attrs:   []slog.Attr{slog.String("role", "billing"), slog.String("password", "hunter2")},
	})
	aud.Close(context.Background())
	// Output:
	// {"log.level":"info","message":"privilege_permissions_changed","ecs":{"version":"8.11.0"},"event":{"kind":"event","category":["iam"],"type":["change"],"action":"privilege_permissions_changed","outcome":"success","dataset":"apishield.audit"},"user":{"id":"admin-7"},"apishield":{"target":"user:42","fields":{"role":"billing","password":"[REDACTED]"}}}
}

// Verify checks a chained log.
func ExampleVerify() {
	key := []byte("an example key of at least 32 bytes!")
	var log strings.Builder
	aud, _ := audit.New(audit.Config{Handlers: []slog.Handler{audit.NewJSONHandler(&log, nil)}, ChainKey: key})
	for range 3 {
		aud.Log(context.Background(), audit.Event{Action: audit.ActionAuthzChange})
	}
	aud.Close(context.Background())

	res, err := audit.Verify(strings.NewReader(log.String()), key)
	fmt.Println(res.Events, err)

	edited := strings.Replace(log.String(), "authz_change", "authz_fail", 1)
	_, err = audit.Verify(strings.NewReader(edited), key)
	fmt.Println(err)
	// Output:
	// 3 <nil>
	// audit: line 1: HMAC mismatch: the line was edited (or written with another key)
}
