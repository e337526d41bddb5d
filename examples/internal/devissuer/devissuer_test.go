package devissuer

import (
	"context"
	"log/slog"
	"slices"
	"testing"
	"time"
)

// TestDemoTokensVerify: every demo token verifies with the issuer's own
// verifier and carries what its About line promises; a token for another
// audience or an expired one does not verify.
func TestDemoTokensVerify(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d, err := New("http://127.0.0.1:1", "test-api")
	if err != nil {
		t.Fatal(err)
	}
	jwt, err := d.Verifier(ctx, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	demos, err := d.DemoTokens(time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]struct {
		subject string
		scope   string
		role    bool
		mfa     bool
	}{
		"TOKEN":     {"demo-user", "items:write", false, false},
		"READER":    {"reader-user", "items:read", false, false},
		"ADMIN":     {"admin-user", "items:read", true, false},
		"ADMIN_MFA": {"admin-user", "items:read", true, true},
	}
	if len(demos) != len(want) {
		t.Fatalf("%d demo tokens, want %d", len(demos), len(want))
	}
	for _, demo := range demos {
		p, err := jwt.Verify(ctx, demo.Token)
		if err != nil {
			t.Fatalf("%s: %v", demo.Name, err)
		}
		w := want[demo.Name]
		if p.Subject != w.subject || !p.HasScope(w.scope) || p.HasRole("admin") != w.role || slices.Contains(p.AMR, "mfa") != w.mfa {
			t.Errorf("%s: principal %+v", demo.Name, p)
		}
		if demo.Name == "READER" && p.HasScope("items:write") {
			t.Errorf("READER can write")
		}
	}
	expired, _ := d.Token("demo-user", nil, -time.Hour, nil)
	if _, err := jwt.Verify(ctx, expired); err == nil {
		t.Error("an expired token verified")
	}
	other, _ := New("http://127.0.0.1:1", "other-api")
	foreign, _ := other.Token("demo-user", nil, time.Hour, nil)
	if _, err := jwt.Verify(ctx, foreign); err == nil {
		t.Error("a token from another key and audience verified")
	}
}
