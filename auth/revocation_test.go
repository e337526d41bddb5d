package auth_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"go.opentelemetry.io/otel/attribute"

	"github.com/apishield/apishield/auth"
	"github.com/apishield/apishield/internal/telemetry/telemetrytest"
)

func newRevocationList(t testing.TB, cfg auth.RevocationListConfig) *auth.RevocationList {
	t.Helper()
	l, err := auth.NewRevocationList(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

func TestRevocationValidate(t *testing.T) {
	t.Parallel()
	now := time.Now()
	exp := now.Add(time.Hour)
	long := strings.Repeat("x", auth.MaxRevocationField+1)
	bad := []struct {
		name string
		r    auth.Revocation
	}{
		{"no selector", auth.Revocation{Issuer: "https://idp", Expires: exp}},
		{"token ID and subject", auth.Revocation{TokenID: "j1", Subject: "alice", Expires: exp}},
		{"token ID issued before", auth.Revocation{TokenID: "j1", IssuedBefore: now, Expires: exp}},
		{"no expiry", auth.Revocation{TokenID: "j1"}},
		{"expiry in the past", auth.Revocation{TokenID: "j1", Expires: now.Add(-time.Second)}},
		{"expiry now", auth.Revocation{TokenID: "j1", Expires: now}},
		{"token ID too long", auth.Revocation{TokenID: long, Expires: exp}},
		{"subject too long", auth.Revocation{Subject: long, Expires: exp}},
		{"issuer too long", auth.Revocation{Subject: "alice", Issuer: long, Expires: exp}},
		{"issued before out of range", auth.Revocation{Subject: "alice", IssuedBefore: time.Date(1600, 1, 1, 0, 0, 0, 0, time.UTC), Expires: exp}},
		{"issued before after expiry", auth.Revocation{Subject: "alice", IssuedBefore: exp.Add(time.Second), Expires: exp}},
	}
	for _, tt := range bad {
		if err := tt.r.Validate(now); !errors.Is(err, auth.ErrInvalidRevocation) {
			t.Errorf("%s: Validate = %v, want ErrInvalidRevocation", tt.name, err)
		}
	}
	good := []auth.Revocation{
		{TokenID: "j1", Expires: exp},
		{TokenID: "j1", Issuer: "https://idp", Expires: exp},
		{Subject: "alice", Expires: exp},
		{Subject: "alice", Issuer: "https://idp", IssuedBefore: now, Expires: exp},
		{TokenID: strings.Repeat("x", auth.MaxRevocationField), Expires: exp},
	}
	for _, r := range good {
		if err := r.Validate(now); err != nil {
			t.Errorf("Validate(%+v) = %v, want nil", r, err)
		}
	}
}

func TestRevocationListSelectors(t *testing.T) {
	t.Parallel()
	now := time.Now()
	exp := now.Add(time.Hour)
	signOut := time.Unix(now.Unix(), 0)
	const iss, other = "https://idp.example", "https://other.example"
	tok := func(jti, sub, issuer string, iat time.Time) *auth.Principal {
		return &auth.Principal{TokenID: jti, Subject: sub, Issuer: issuer, IssuedAt: iat, Method: auth.MethodJWT}
	}
	apiKey := &auth.Principal{Subject: "alice", Method: auth.MethodAPIKey}
	tests := []struct {
		name string
		revs []auth.Revocation
		p    *auth.Principal
		want bool
	}{
		{"token ID", []auth.Revocation{{TokenID: "j1", Issuer: iss, Expires: exp}}, tok("j1", "alice", iss, now), true},
		{"other token ID", []auth.Revocation{{TokenID: "j1", Issuer: iss, Expires: exp}}, tok("j2", "alice", iss, now), false},
		{"token ID of another issuer", []auth.Revocation{{TokenID: "j1", Issuer: iss, Expires: exp}}, tok("j1", "alice", other, now), false},
		{"token ID of any issuer", []auth.Revocation{{TokenID: "j1", Expires: exp}}, tok("j1", "bob", other, now), true},
		{"token without ID", []auth.Revocation{{TokenID: "j1", Expires: exp}}, tok("", "alice", iss, now), false},
		{"subject", []auth.Revocation{{Subject: "alice", Issuer: iss, Expires: exp}}, tok("j1", "alice", iss, now), true},
		{"other subject", []auth.Revocation{{Subject: "alice", Issuer: iss, Expires: exp}}, tok("j1", "bob", iss, now), false},
		{"subject of another issuer", []auth.Revocation{{Subject: "alice", Issuer: iss, Expires: exp}}, tok("j1", "alice", other, now), false},
		{"subject of any issuer", []auth.Revocation{{Subject: "alice", Expires: exp}}, tok("j1", "alice", other, now), true},
		{"subject of any issuer, API key", []auth.Revocation{{Subject: "alice", Expires: exp}}, apiKey, true},
		{"subject of an issuer, API key", []auth.Revocation{{Subject: "alice", Issuer: iss, Expires: exp}}, apiKey, false},
		{"issued before", []auth.Revocation{{Subject: "alice", Issuer: iss, IssuedBefore: signOut, Expires: exp}}, tok("j1", "alice", iss, signOut.Add(-time.Second)), true},
		{"issued at the sign-out", []auth.Revocation{{Subject: "alice", Issuer: iss, IssuedBefore: signOut, Expires: exp}}, tok("j1", "alice", iss, signOut), false},
		{"issued after", []auth.Revocation{{Subject: "alice", Issuer: iss, IssuedBefore: signOut, Expires: exp}}, tok("j1", "alice", iss, signOut.Add(time.Second)), false},
		{"issued before, no iat", []auth.Revocation{{Subject: "alice", Issuer: iss, IssuedBefore: signOut, Expires: exp}}, tok("j1", "alice", iss, time.Time{}), true},
		{"issued before, other subject", []auth.Revocation{{Subject: "alice", Issuer: iss, IssuedBefore: signOut, Expires: exp}}, tok("j1", "bob", iss, signOut.Add(-time.Second)), false},
		{"two sign-outs: the later one counts", []auth.Revocation{
			{Subject: "alice", Issuer: iss, IssuedBefore: signOut.Add(-time.Minute), Expires: exp},
			{Subject: "alice", Issuer: iss, IssuedBefore: signOut, Expires: exp},
		}, tok("j1", "alice", iss, signOut.Add(-time.Second)), true},
		{"sign-out and all: all counts", []auth.Revocation{
			{Subject: "alice", Issuer: iss, IssuedBefore: signOut, Expires: exp},
			{Subject: "alice", Issuer: iss, Expires: exp},
		}, tok("j1", "alice", iss, signOut.Add(time.Minute)), true},
		{"sign-out of any issuer", []auth.Revocation{{Subject: "alice", IssuedBefore: signOut, Expires: exp}}, tok("j1", "alice", other, signOut.Add(-time.Second)), true},
		{"nothing revoked", nil, tok("j1", "alice", iss, now), false},
		{"nil principal", []auth.Revocation{{Subject: "alice", Expires: exp}}, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			l := newRevocationList(t, auth.RevocationListConfig{})
			for _, r := range tt.revs {
				if err := l.Revoke(context.Background(), r); err != nil {
					t.Fatal(err)
				}
			}
			err := l.Check(tt.p)
			if got := err != nil; got != tt.want {
				t.Fatalf("Check = %v, want revoked %v", err, tt.want)
			}
			if err != nil && (!errors.Is(err, auth.ErrRevoked) || !errors.Is(err, auth.ErrInvalidToken) || auth.CheckOf(err) != "token_revoked") {
				t.Errorf("Check = %v (check %q), want ErrRevoked, an invalid token, check token_revoked", err, auth.CheckOf(err))
			}
		})
	}
}

func TestRevocationListRevoke(t *testing.T) {
	t.Parallel()
	type ctxKey struct{}
	var got []auth.Revocation
	var gotCtx []any
	l := newRevocationList(t, auth.RevocationListConfig{OnRevoke: func(ctx context.Context, r auth.Revocation) {
		got = append(got, r)
		gotCtx = append(gotCtx, ctx.Value(ctxKey{}))
	}})
	ctx := context.WithValue(context.Background(), ctxKey{}, "admin-request")
	r := auth.Revocation{TokenID: "j1", Expires: time.Now().Add(time.Hour)}
	if err := l.Revoke(ctx, auth.Revocation{TokenID: "j1"}); !errors.Is(err, auth.ErrInvalidRevocation) {
		t.Fatalf("Revoke without expiry = %v, want ErrInvalidRevocation", err)
	}
	if len(got) != 0 || l.Len() != 0 {
		t.Fatalf("a refused revocation was applied (%d) or reported (%d)", l.Len(), len(got))
	}
	if err := l.Revoke(ctx, r); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0] != r || gotCtx[0] != "admin-request" {
		t.Fatalf("OnRevoke got %+v with %v, want %+v with Revoke's context", got, gotCtx, r)
	}
	if err := l.Revoke(ctx, r); err != nil || l.Len() != 1 {
		t.Fatalf("revoking twice: %v, %d entries, want one", err, l.Len())
	}

	// Add reports invalid revocations, skips expired ones, applies the
	// rest and calls no hook.
	err := l.Add(
		auth.Revocation{Subject: "bob", Expires: time.Now().Add(time.Hour)},
		auth.Revocation{Subject: "carol", Expires: time.Now().Add(-time.Hour)},
		auth.Revocation{TokenID: "j9", Subject: "dave", Expires: time.Now().Add(time.Hour)},
	)
	if !errors.Is(err, auth.ErrInvalidRevocation) {
		t.Errorf("Add with an invalid revocation = %v, want ErrInvalidRevocation", err)
	}
	if len(got) != 2 {
		t.Errorf("OnRevoke called %d times, want 2 (Add calls none)", len(got))
	}
	if l.Len() != 2 {
		t.Errorf("%d entries, want 2: j1 and bob", l.Len())
	}
	if l.Check(&auth.Principal{Subject: "bob"}) == nil {
		t.Error("bob, added, is not revoked")
	}
	if l.Check(&auth.Principal{Subject: "carol"}) != nil {
		t.Error("carol, whose revocation had expired, is revoked")
	}
	if l.Check(&auth.Principal{Subject: "dave", TokenID: "j9"}) != nil {
		t.Error("the invalid revocation was applied")
	}
}

// An entry disappears once it has expired, and a later revocation of the
// same selector extends it.
func TestRevocationListExpiry(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		l, err := auth.NewRevocationList(auth.RevocationListConfig{})
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		ctx := context.Background()
		p := &auth.Principal{TokenID: "j1"}
		l.Revoke(ctx, auth.Revocation{TokenID: "j1", Expires: time.Now().Add(2 * time.Minute)})
		l.Revoke(ctx, auth.Revocation{TokenID: "j2", Expires: time.Now().Add(2 * time.Minute)})
		l.Revoke(ctx, auth.Revocation{TokenID: "j2", Expires: time.Now().Add(10 * time.Minute)})
		time.Sleep(2*time.Minute + time.Second)
		synctest.Wait()
		if n := l.Len(); n != 1 {
			t.Fatalf("%d entries after the first expiry, want 1 (j2, extended)", n)
		}
		if err := l.Check(p); err != nil {
			t.Errorf("j1 after its revocation expired: %v", err)
		}
		if err := l.Check(&auth.Principal{TokenID: "j2"}); err == nil {
			t.Error("j2, extended, is no longer revoked")
		}
		time.Sleep(8 * time.Minute)
		synctest.Wait()
		if n := l.Len(); n != 0 {
			t.Fatalf("%d entries after every expiry, want 0", n)
		}
	})
}

// Checks run concurrently with revocations (go test -race).
func TestRevocationListConcurrent(t *testing.T) {
	t.Parallel()
	l := newRevocationList(t, auth.RevocationListConfig{})
	exp := time.Now().Add(time.Hour)
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := range 200 {
				id := strconv.Itoa(w*1000 + i)
				if err := l.Revoke(context.Background(), auth.Revocation{TokenID: id, Expires: exp}); err != nil {
					t.Error(err)
					return
				}
				if l.Check(&auth.Principal{TokenID: id}) == nil {
					t.Errorf("%s is not revoked right after Revoke returned", id)
					return
				}
			}
		})
		wg.Go(func() {
			for i := range 2000 {
				l.Check(&auth.Principal{TokenID: strconv.Itoa(i), Subject: "alice"})
			}
		})
	}
	wg.Wait()
	if n := l.Len(); n != 800 {
		t.Errorf("%d entries, want 800", n)
	}
}

// The list counts new revocations by selector, not repeats, and reports
// how many it holds.
func TestRevocationListMetrics(t *testing.T) {
	t.Parallel()
	m := telemetrytest.NewMetrics(t)
	l := newRevocationList(t, auth.RevocationListConfig{MeterProvider: m})
	exp := time.Now().Add(time.Hour)
	for _, r := range []auth.Revocation{
		{TokenID: "j1", Expires: exp},
		{TokenID: "j1", Expires: exp}, // a repeat
		{Subject: "alice", Expires: exp},
		{Subject: "alice", IssuedBefore: time.Now(), Expires: exp},
		{Subject: "bob", IssuedBefore: time.Now(), Expires: exp},
	} {
		if err := l.Revoke(context.Background(), r); err != nil {
			t.Fatal(err)
		}
	}
	for sel, want := range map[string]float64{"token_id": 1, "subject": 1, "issued_before": 2} {
		if got, _ := m.Value("apishield.auth.revocations.applied", attribute.String("selector", sel)); got != want {
			t.Errorf("applied{selector=%s} = %v, want %v", sel, got, want)
		}
	}
	if got, _ := m.Value("apishield.auth.revocations.entries"); got != 4 {
		t.Errorf("entries = %v, want 4", got)
	}
}
