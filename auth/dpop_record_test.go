package auth_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apishield/apishield/auth"
	"github.com/apishield/apishield/internal/record"
)

// recordingReplay is a ReplayCache of the application's that notes
// whether the context it is given carries the request record.
type recordingReplay struct {
	fakeReplay
	calls, withRecord atomic.Int32
}

func (c *recordingReplay) Remember(ctx context.Context, key string, exp time.Time) (bool, error) {
	c.calls.Add(1)
	if record.From(ctx) != nil {
		c.withRecord.Add(1)
	}
	return c.fakeReplay.Remember(ctx, key, exp)
}

// TestDPoPReplayCacheSeesTheRecord: auth's Handler finds the record
// through its writer, and need not put it in the request's context; a
// ReplayCache of the application's is still given a context that carries
// it, as an Authenticator is, so that what it logs or audits names the
// request.
func TestDPoPReplayCacheSeesTheRecord(t *testing.T) {
	t.Parallel()
	client := newDPoPClient(t)
	bound := boundToken(t, client.jkt)
	cache := &recordingReplay{fakeReplay: *newFakeReplay()}
	j := newVerifier(t, newJWKSServer(standardSet(t)), func(c *auth.JWTConfig) {
		c.DPoP = auth.DPoPConfig{Mode: auth.DPoPAllowed, PublicOrigin: testOrigin, ReplayCache: cache}
	})
	m, err := auth.New(auth.Config{Authenticators: []auth.Authenticator{j}, Logger: discardLogger()})
	if err != nil {
		t.Fatal(err)
	}
	h := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	req := httptest.NewRequest("GET", "/v1/items", nil)
	req.Header.Set("Authorization", "DPoP "+bound)
	req.Header.Set("DPoP", client.standardProof(t, "GET", "/v1/items", bound, ""))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	if w.Code != 200 {
		t.Fatalf("got %d %s", w.Code, w.Body)
	}
	if n, with := cache.calls.Load(), cache.withRecord.Load(); n != 1 || with != 1 {
		t.Errorf("the replay cache was called %d times, %d of them with the record in the context; want 1 and 1", n, with)
	}
}
