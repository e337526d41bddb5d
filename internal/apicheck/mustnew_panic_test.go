package apicheck

import (
	"context"
	"errors"
	"log/slog"
	"testing"

	"github.com/apishield/apishield/audit"
	"github.com/apishield/apishield/auth"
	"github.com/apishield/apishield/authz"
	"github.com/apishield/apishield/limits"
)

// TestMustNewPanics shows the MustNew functions added for the rule do
// what New does and panic with New's error on a bad config. (The older
// ones have tests in their packages.)
func TestMustNewPanics(t *testing.T) {
	for _, tc := range []struct {
		name      string
		bad, good func() any
		sentinel  error
	}{
		{"audit", func() any { return audit.MustNew(audit.Config{}) },
			func() any {
				a := audit.MustNew(audit.Config{Handlers: []slog.Handler{slog.DiscardHandler}})
				a.Close(context.Background())
				return a
			}, audit.ErrInvalidConfig},
		{"auth", func() any { return auth.MustNew(auth.Config{}) },
			func() any {
				keys, err := auth.NewMemoryStore(nil)
				if err != nil {
					t.Fatal(err)
				}
				a, err := auth.NewAPIKeys(auth.APIKeysConfig{Store: keys})
				if err != nil {
					t.Fatal(err)
				}
				return auth.MustNew(auth.Config{Authenticators: []auth.Authenticator{a}})
			}, auth.ErrInvalidConfig},
		{"authz", func() any { return authz.MustNew(authz.Config{}) },
			func() any {
				return authz.MustNew(authz.Config{Routes: map[string]authz.Rule{"GET /x": authz.Public()}})
			}, authz.ErrInvalidConfig},
		{"limits", func() any { return limits.MustNew(limits.Config{Default: limits.Rules{MaxBodyBytes: -1}}) },
			func() any { return limits.MustNew(limits.Config{}) }, limits.ErrInvalidConfig},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if v := tc.good(); v == nil {
				t.Fatal("MustNew returned nil for a good config")
			}
			defer func() {
				err, _ := recover().(error)
				if !errors.Is(err, tc.sentinel) {
					t.Fatalf("MustNew panicked with %v, want an error wrapping %v", err, tc.sentinel)
				}
			}()
			tc.bad()
			t.Fatal("MustNew did not panic on a bad config")
		})
	}
}
