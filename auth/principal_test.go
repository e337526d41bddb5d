package auth_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/apishield/apishield/auth"
)

func TestPrincipalContext(t *testing.T) {
	t.Parallel()
	if _, ok := auth.FromContext(context.Background()); ok {
		t.Fatal("FromContext found a principal in an empty context")
	}
	if _, ok := auth.FromContext(auth.NewContext(context.Background(), nil)); ok {
		t.Fatal("FromContext reported a nil principal as present")
	}
	p := &auth.Principal{Subject: "alice", Scopes: []string{"items:read"}, Roles: []string{"admin"}}
	got, ok := auth.FromContext(auth.NewContext(context.Background(), p))
	if !ok || got != p {
		t.Fatalf("FromContext = %v, %v; want the principal put in", got, ok)
	}
	if !got.HasScope("items:read") || got.HasScope("items:write") || got.HasScope("items") {
		t.Error("HasScope does not match exactly")
	}
	if !got.HasRole("admin") || got.HasRole("Admin") {
		t.Error("HasRole does not match exactly")
	}
}

func TestPrincipalLogValueHidesClaims(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	p := &auth.Principal{Subject: "alice", Method: auth.MethodJWT, Claims: map[string]any{"email": "alice@example.com"}}
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("x", "principal", p)
	if strings.Contains(buf.String(), "alice@example.com") || !strings.Contains(buf.String(), `"subject":"alice"`) {
		t.Errorf("log line = %s", buf.String())
	}
}
