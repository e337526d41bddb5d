package redisstore

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel/attribute"

	"github.com/apishield/apishield/auth"
	"github.com/apishield/apishield/internal/redistest"
	"github.com/apishield/apishield/internal/telemetry/telemetrytest"
)

func revClient(t testing.TB, addr string) *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: addr, ContextTimeoutEnabled: true, MaxRetries: -1})
	t.Cleanup(func() { c.Close() })
	return c
}

func revClusterClient(t testing.TB, addrs []string) *redis.ClusterClient {
	c := redis.NewClusterClient(&redis.ClusterOptions{Addrs: addrs, ContextTimeoutEnabled: true, MaxRetries: -1})
	t.Cleanup(func() { c.Close() })
	return c
}

func newRevocations(t testing.TB, c redis.UniversalClient, cfg RevocationsConfig) *Revocations {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	s, err := NewRevocations(context.Background(), c, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// revWithin polls cond until it holds or d has passed, and returns how long
// it took, failing the test if it never held.
func revWithin(t testing.TB, d time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > d {
			t.Fatalf("%s: not within %v", what, d)
		}
		time.Sleep(2 * time.Millisecond)
	}
	return time.Since(start)
}

func inAnHour() time.Time { return time.Now().Add(time.Hour) }

func TestNewRevocationsConfig(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	c := revClient(t, srv.Addr)
	bad := []struct {
		name   string
		client redis.UniversalClient
		cfg    RevocationsConfig
	}{
		{"no client", nil, RevocationsConfig{}},
		{"prefix with a brace", c, RevocationsConfig{Prefix: "a{b"}},
		{"prefix with a space", c, RevocationsConfig{Prefix: "a b"}},
		{"prefix too long", c, RevocationsConfig{Prefix: strings.Repeat("p", maxRevocationsPrefix+1)}},
		{"MaxStale under SyncInterval", c, RevocationsConfig{SyncInterval: time.Minute, MaxStale: time.Second}},
		{"negative timeout", c, RevocationsConfig{Timeout: -time.Second}},
		{"negative sync interval", c, RevocationsConfig{SyncInterval: -time.Second}},
	}
	for _, tt := range bad {
		if _, err := NewRevocations(context.Background(), tt.client, tt.cfg); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("%s: %v, want ErrInvalidConfig", tt.name, err)
		}
	}
	down := redistest.Start(t)
	dc := revClient(t, down.Addr)
	down.Stop()
	if _, err := NewRevocations(context.Background(), dc, RevocationsConfig{Timeout: time.Second}); err == nil || errors.Is(err, ErrInvalidConfig) {
		t.Errorf("Redis down at start: %v, want a start-up error", err)
	}
}

// propagation revokes on one instance and measures how long the other
// takes to refuse, for each selector.
func revocationReaches(t *testing.T, a, b *Revocations) {
	t.Helper()
	signOut := time.Now()
	tests := []struct {
		name string
		r    auth.Revocation
		p    *auth.Principal
	}{
		{"token ID", auth.Revocation{TokenID: "j1", Issuer: "https://idp", Expires: inAnHour()}, &auth.Principal{TokenID: "j1", Issuer: "https://idp"}},
		{"subject", auth.Revocation{Subject: "bob", Expires: inAnHour()}, &auth.Principal{Subject: "bob", Method: auth.MethodAPIKey}},
		{"sign out everywhere", auth.Revocation{Subject: "carol", Issuer: "https://idp", IssuedBefore: signOut, Expires: inAnHour()},
			&auth.Principal{Subject: "carol", Issuer: "https://idp", IssuedAt: signOut.Add(-time.Second)}},
	}
	for _, tt := range tests {
		if err := b.Check(tt.p); err != nil {
			t.Fatalf("%s: refused before the revocation: %v", tt.name, err)
		}
		if err := a.Revoke(context.Background(), tt.r); err != nil {
			t.Fatal(err)
		}
		if err := a.Check(tt.p); !errors.Is(err, auth.ErrRevoked) {
			t.Errorf("%s: the revoking instance does not refuse at once: %v", tt.name, err)
		}
		d := revWithin(t, time.Second, tt.name+" reaching the other instance", func() bool { return errors.Is(b.Check(tt.p), auth.ErrRevoked) })
		t.Logf("%s: refused by the other instance after %v", tt.name, d)
	}
	after := &auth.Principal{Subject: "carol", Issuer: "https://idp", IssuedAt: signOut.Add(time.Second)}
	if err := b.Check(after); err != nil {
		t.Errorf("a token issued after the sign-out is refused: %v", err)
	}
}

func TestRevocationsPropagate(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	var revoked atomic.Int64
	a := newRevocations(t, revClient(t, srv.Addr), RevocationsConfig{OnRevoke: func(context.Context, auth.Revocation) { revoked.Add(1) }})
	var elsewhere atomic.Int64
	b := newRevocations(t, revClient(t, srv.Addr), RevocationsConfig{OnRevoke: func(context.Context, auth.Revocation) { elsewhere.Add(1) }})
	revocationReaches(t, a, b)
	if revoked.Load() != 3 || elsewhere.Load() != 0 {
		t.Errorf("OnRevoke: %d on the revoking instance, %d elsewhere; want 3 and 0", revoked.Load(), elsewhere.Load())
	}
	// An instance started later reads them all before NewRevocations
	// returns.
	c := newRevocations(t, revClient(t, srv.Addr), RevocationsConfig{})
	if c.Len() != 3 {
		t.Errorf("a new instance starts with %d revocations, want 3", c.Len())
	}
	// A refused revocation writes nothing.
	if err := a.Revoke(context.Background(), auth.Revocation{Subject: "dave", Expires: time.Now().Add(-time.Second)}); !errors.Is(err, auth.ErrInvalidRevocation) {
		t.Errorf("Revoke with a past expiry: %v, want ErrInvalidRevocation", err)
	}
	if revoked.Load() != 3 {
		t.Error("OnRevoke called for a refused revocation")
	}
}

func TestRevocationsCluster(t *testing.T) {
	t.Parallel()
	cl := redistest.StartCluster(t)
	a := newRevocations(t, revClusterClient(t, cl.Addrs), RevocationsConfig{})
	b := newRevocations(t, revClusterClient(t, cl.Addrs), RevocationsConfig{})
	revocationReaches(t, a, b)
	c := newRevocations(t, revClusterClient(t, cl.Addrs), RevocationsConfig{})
	if c.Len() != 3 {
		t.Errorf("a new instance starts with %d revocations, want 3", c.Len())
	}
}

// addQuietly writes a revocation to Redis without announcing it: a message
// an instance missed.
func addQuietly(t *testing.T, c redis.UniversalClient, r auth.Revocation) {
	t.Helper()
	if err := c.ZAdd(context.Background(), "{"+DefaultRevocationsPrefix+"}:entries", redis.Z{Score: float64(expiryMillis(r.Expires)), Member: entryJSON(t, entryOfRevocation(r))}).Err(); err != nil {
		t.Fatal(err)
	}
}

func entryJSON(t *testing.T, e revocationEntry) string {
	t.Helper()
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestRevocationsPeriodicSyncRepairs(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	c := revClient(t, srv.Addr)
	s := newRevocations(t, revClient(t, srv.Addr), RevocationsConfig{SyncInterval: 50 * time.Millisecond})
	addQuietly(t, c, auth.Revocation{TokenID: "missed", Expires: inAnHour()})
	p := &auth.Principal{TokenID: "missed"}
	revWithin(t, 5*time.Second, "the periodic read", func() bool { return s.Check(p) != nil })
}

// A lost subscription is re-established by go-redis, and its confirmation
// triggers a read at once, long before the next periodic one.
func TestRevocationsResubscribeSyncs(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	c := revClient(t, srv.Addr)
	s := newRevocations(t, revClient(t, srv.Addr), RevocationsConfig{SyncInterval: time.Hour, MaxStale: -1})
	addQuietly(t, c, auth.Revocation{Subject: "mallory", Expires: inAnHour()})
	if err := c.Do(context.Background(), "CLIENT", "KILL", "TYPE", "pubsub").Err(); err != nil {
		t.Fatal(err)
	}
	p := &auth.Principal{Subject: "mallory"}
	revWithin(t, 5*time.Second, "the read after resubscribing", func() bool { return s.Check(p) != nil })
	// Announcements arrive again on the new subscription.
	if err := newRevocations(t, c, RevocationsConfig{SyncInterval: time.Hour, MaxStale: -1}).Revoke(context.Background(), auth.Revocation{TokenID: "after", Expires: inAnHour()}); err != nil {
		t.Fatal(err)
	}
	revWithin(t, time.Second, "an announcement after resubscribing", func() bool { return s.Check(&auth.Principal{TokenID: "after"}) != nil })
}

// Invalid entries in Redis, and oversized ones, are skipped; the rest are
// read.
func TestRevocationsInvalidEntries(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	c := revClient(t, srv.Addr)
	key := "{" + DefaultRevocationsPrefix + "}:entries"
	exp := float64(inAnHour().UnixMilli())
	for _, m := range []string{"not json", `{"jti":"x","sub":"y"}`, `{}`, `{"jti":"` + strings.Repeat("a", maxRevocationEntry) + `"}`} {
		c.ZAdd(context.Background(), key, redis.Z{Score: exp, Member: m})
	}
	addQuietly(t, c, auth.Revocation{TokenID: "good", Expires: inAnHour()})
	var logs revLogBuffer
	s := newRevocations(t, c, RevocationsConfig{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if s.Len() != 1 || s.Check(&auth.Principal{TokenID: "good"}) == nil {
		t.Errorf("%d revocations read, want the one valid", s.Len())
	}
	if !strings.Contains(logs.String(), "count=4") {
		t.Errorf("log %q does not count the 4 invalid entries", logs.String())
	}
	// An invalid announcement is skipped too.
	c.Publish(context.Background(), "{"+DefaultRevocationsPrefix+"}:events", `{"jti":"x","sub":"y","exp":1}`)
	c.Publish(context.Background(), "{"+DefaultRevocationsPrefix+"}:events", `{"jti":"late","exp":`+strconv.FormatInt(inAnHour().UnixMilli(), 10)+`}`)
	revWithin(t, time.Second, "the valid announcement", func() bool { return s.Check(&auth.Principal{TokenID: "late"}) != nil })
	if s.Check(&auth.Principal{TokenID: "x", Subject: "y"}) != nil {
		t.Error("an invalid announcement was applied")
	}
}

// While Redis is down the view keeps what it knows; past MaxStale it
// refuses every credential, and answers again once Redis is back.
func TestRevocationsRedisDown(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	s := newRevocations(t, revClient(t, srv.Addr), RevocationsConfig{SyncInterval: 50 * time.Millisecond, MaxStale: 300 * time.Millisecond, Timeout: 200 * time.Millisecond})
	open := newRevocations(t, revClient(t, srv.Addr), RevocationsConfig{SyncInterval: 50 * time.Millisecond, MaxStale: -1, Timeout: 200 * time.Millisecond})
	if err := s.Revoke(context.Background(), auth.Revocation{TokenID: "j1", Expires: inAnHour()}); err != nil {
		t.Fatal(err)
	}
	revWithin(t, time.Second, "the announcement", func() bool { return open.Check(&auth.Principal{TokenID: "j1"}) != nil })
	srv.Stop()
	// open never turns stale, so its answers are the view's own.
	revoked, other := &auth.Principal{TokenID: "j1"}, &auth.Principal{TokenID: "j2"}
	if err := open.Check(revoked); !errors.Is(err, auth.ErrRevoked) {
		t.Errorf("a known revocation during the outage: %v, want ErrRevoked", err)
	}
	if err := open.Revoke(context.Background(), auth.Revocation{TokenID: "j3", Expires: inAnHour()}); err == nil || errors.Is(err, auth.ErrInvalidRevocation) {
		t.Errorf("Revoke with Redis down: %v, want Redis's error", err)
	}
	if err := open.Check(&auth.Principal{TokenID: "j3"}); err != nil {
		t.Errorf("a revocation Redis did not take was applied locally: %v", err)
	}
	revWithin(t, 5*time.Second, "refusing past MaxStale", func() bool { return errors.Is(s.Check(other), auth.ErrRevocationsStale) })
	if err := open.Check(other); err != nil {
		t.Errorf("with MaxStale negative: %v, want the old view's answer", err)
	}
	if err := open.Check(revoked); !errors.Is(err, auth.ErrRevoked) {
		t.Errorf("with MaxStale negative, a known revocation: %v", err)
	}
	srv.Restart()
	revWithin(t, 10*time.Second, "answering once Redis is back", func() bool { return s.Check(other) == nil })
}

// Close stops both goroutines; a closed store keeps answering.
func TestRevocationsClose(t *testing.T) {
	// Not parallel: it looks for the goroutines of any store in the
	// process.
	srv := redistest.Start(t)
	s, err := NewRevocations(context.Background(), revClient(t, srv.Addr), RevocationsConfig{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	s.Revoke(context.Background(), auth.Revocation{TokenID: "j1", Expires: inAnHour()})
	if !revocationGoroutines() {
		t.Fatal("no store goroutine found while the store is open: the test cannot see them")
	}
	if err := s.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	s.Close() // twice is harmless
	// Close waits for both to finish; give their last frames time to
	// return.
	revWithin(t, 2*time.Second, "the store's goroutines gone after Close", func() bool { return !revocationGoroutines() })
	if s.Check(&auth.Principal{TokenID: "j1"}) == nil {
		t.Error("a closed store forgot its revocations")
	}
}

func revocationGoroutines() bool {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	return bytes.Contains(buf, []byte("(*Revocations).receive")) || bytes.Contains(buf, []byte("(*Revocations).syncLoop"))
}

type revLogBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *revLogBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *revLogBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Syncs are counted by outcome, announcements received too, and the age
// of the view is reported.
func TestRevocationsMetrics(t *testing.T) {
	t.Parallel()
	m := telemetrytest.NewMetrics(t)
	srv := redistest.Start(t)
	s := newRevocations(t, revClient(t, srv.Addr), RevocationsConfig{SyncInterval: 50 * time.Millisecond, MaxStale: -1, Timeout: 200 * time.Millisecond, MeterProvider: m})
	value := func(name, outcome string) float64 {
		v, _ := m.Value(name, attribute.String("outcome", outcome))
		return v
	}
	if err := s.Revoke(context.Background(), auth.Revocation{TokenID: "j1", Expires: inAnHour()}); err != nil {
		t.Fatal(err)
	}
	revWithin(t, time.Second, "the announcement counted", func() bool { return value("apishield.auth.revocations.messages", "applied") >= 1 })
	revWithin(t, 5*time.Second, "a sync counted", func() bool { return value("apishield.auth.revocations.syncs", "success") >= 1 })
	if got, _ := m.Value("apishield.auth.revocations.applied", attribute.String("selector", "token_id")); got != 1 {
		t.Errorf("applied{selector=token_id} = %v, want 1: the announcement and reads of the same revocation are repeats", got)
	}
	srv.Stop()
	revWithin(t, 5*time.Second, "a failed sync counted", func() bool { return value("apishield.auth.revocations.syncs", "failure") >= 1 })
	revWithin(t, 5*time.Second, "the view aging", func() bool {
		age, ok := m.Value("apishield.auth.revocations.age")
		return ok && age >= 0.1
	})
}
