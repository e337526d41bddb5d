package ipfilter_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"

	"github.com/apishield/apishield/audit"
	"github.com/apishield/apishield/ipfilter"
)

// lockedBuffer is a bytes.Buffer the auditor's writer and the test share.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestAuditSeesDecision: behind audit, as in the recommended stack, a
// refusal is logged with the filter's decision and the client address the
// filter used, which came through a CDN header.
func TestAuditSeesDecision(t *testing.T) {
	t.Parallel()
	var buf lockedBuffer
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	a, err := audit.New(audit.Config{
		Handlers:        []slog.Handler{slog.NewJSONHandler(&buf, nil)},
		TrustedProxies:  trusted,
		ForwardedHeader: "CF-Connecting-IP",
	})
	if err != nil {
		t.Fatal(err)
	}
	f := ipfilter.MustNew(ipfilter.Config{Deny: []string{"203.0.113.0/24"}, TrustedProxies: trusted, Header: "CF-Connecting-IP"})
	h := a.Handler(f.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})))
	req := httptest.NewRequest("GET", "/v1/items", nil)
	req.RemoteAddr = "10.0.0.2:443"
	req.Header.Set("CF-Connecting-IP", "203.0.113.9")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	if w.Code != http.StatusForbidden {
		t.Fatalf("status = %d, want 403", w.Code)
	}
	if err := a.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	line := buf.String()
	for _, want := range []string{`"ipfilter"`, `"address_not_allowed"`, `"deny 203.0.113.0/24"`, `"203.0.113.9"`} {
		if !strings.Contains(line, want) {
			t.Errorf("audit event %s lacks %s", line, want)
		}
	}
}
