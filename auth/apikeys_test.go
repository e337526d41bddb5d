package auth_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apishield/apishield/auth"
)

func newAPIKeys(t *testing.T) (*auth.APIKeys, string, string) {
	t.Helper()
	key, rec, err := auth.GenerateAPIKey()
	if err != nil {
		t.Fatal(err)
	}
	rec.Subject, rec.Scopes, rec.Roles = "billing-service", []string{"items:read"}, []string{"service"}
	expiredKey, rec2, _ := auth.GenerateAPIKey()
	rec2.Subject, rec2.Expires = "old", time.Now().Add(-time.Minute)
	store, err := auth.NewMemoryStore([]auth.APIKeyRecord{rec, rec2})
	if err != nil {
		t.Fatal(err)
	}
	a, err := auth.NewAPIKeys(auth.APIKeysConfig{Store: store})
	if err != nil {
		t.Fatal(err)
	}
	return a, key, expiredKey
}

func TestAPIKeys(t *testing.T) {
	t.Parallel()
	a, key, expired := newAPIKeys(t)
	if !strings.HasPrefix(key, "ask_") || len(key) != 64 {
		t.Fatalf("key %q does not have the documented format", key)
	}
	p, err := a.Verify(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	if p.Subject != "billing-service" || p.Method != auth.MethodAPIKey || !p.HasScope("items:read") || !p.HasRole("service") || p.ClientID != key[4:20] {
		t.Errorf("principal = %+v", p)
	}
	other, _, _ := auth.GenerateAPIKey()
	wrongSecret := key[:21] + other[21:]
	cases := []struct{ name, key, want string }{
		{"unknown id", other, "unknown_api_key"},
		{"right id, wrong secret", wrongSecret, "api_key_mismatch"},
		{"expired", expired, "api_key_expired"},
		{"truncated", key[:60], "malformed_api_key"},
		{"uppercase id", "ask_" + strings.ToUpper(key[4:20]) + key[20:], "malformed_api_key"},
		{"wrong prefix", "sk__" + key[4:], "malformed_api_key"},
		{"non-canonical secret", key[:63] + "B", "malformed_api_key"},
		{"empty", "", "malformed_api_key"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := a.Verify(context.Background(), tc.key)
			if got := auth.CheckOf(err); got != tc.want {
				t.Fatalf("check = %q (%v), want %q", got, err, tc.want)
			}
		})
	}
	if _, err := a.Verify(context.Background(), expired); !errors.Is(err, auth.ErrTokenExpired) {
		t.Errorf("expired key: %v, want ErrTokenExpired", err)
	}
}

type failingStore struct{}

func (failingStore) LookupAPIKey(context.Context, string) (auth.APIKeyRecord, bool, error) {
	return auth.APIKeyRecord{}, false, errors.New("db down")
}

// recordStore is a custom store that answers every lookup with rec.
type recordStore struct{ rec auth.APIKeyRecord }

func (s recordStore) LookupAPIKey(context.Context, string) (auth.APIKeyRecord, bool, error) {
	return s.rec, true, nil
}

// TestAPIKeyStoreScopes: a custom store's scopes are held to the token
// claims' syntax, so authz sees one kind of scope whatever the credential.
func TestAPIKeyStoreScopes(t *testing.T) {
	t.Parallel()
	key, rec, _ := auth.GenerateAPIKey()
	rec.Subject = "svc"
	for _, tc := range []struct {
		name   string
		scopes []string
		want   string
	}{
		{"scope tokens", []string{"items:read", "items:write"}, ""},
		{"two tokens in one", []string{"items:read admin"}, "api_key_scope_syntax"},
		{"NBSP", []string{"items:read\u00a0admin"}, "api_key_scope_syntax"},
		{"empty", []string{""}, "api_key_scope_syntax"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := rec
			r.Scopes = tc.scopes
			a, err := auth.NewAPIKeys(auth.APIKeysConfig{Store: recordStore{r}})
			if err != nil {
				t.Fatal(err)
			}
			p, err := a.Verify(context.Background(), key)
			if got := auth.CheckOf(err); got != tc.want {
				t.Fatalf("got check %q (%v, %+v), want %q", got, err, p, tc.want)
			}
		})
	}
}

func TestAPIKeyStoreDown(t *testing.T) {
	t.Parallel()
	a, _ := auth.NewAPIKeys(auth.APIKeysConfig{Store: failingStore{}})
	key, _, _ := auth.GenerateAPIKey()
	if _, err := a.Verify(context.Background(), key); !errors.Is(err, auth.ErrKeysUnavailable) {
		t.Fatalf("store down: %v, want ErrKeysUnavailable", err)
	}
	if _, err := auth.NewAPIKeys(auth.APIKeysConfig{}); !errors.Is(err, auth.ErrInvalidConfig) {
		t.Errorf("no store: %v", err)
	}
}

func TestAPIKeyFile(t *testing.T) {
	t.Parallel()
	key, rec, _ := auth.GenerateAPIKey()
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("good.json", `{"keys":[{"id":"`+rec.ID+`","hash":"`+rec.Hash+`","subject":"svc","scopes":["a"]}]}`)
	store, err := auth.LoadAPIKeysFile(good)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := auth.NewAPIKeys(auth.APIKeysConfig{Store: store})
	if p, err := a.Verify(context.Background(), key); err != nil || p.Subject != "svc" {
		t.Fatalf("key from file: %v, %v", p, err)
	}
	bad := map[string]string{
		"unknown field":         `{"keys":[{"id":"` + rec.ID + `","hash":"` + rec.Hash + `","subject":"svc","scope":["a"]}]}`,
		"plaintext hash":        `{"keys":[{"id":"` + rec.ID + `","hash":"` + key + `","subject":"svc"}]}`,
		"no subject":            `{"keys":[{"id":"` + rec.ID + `","hash":"` + rec.Hash + `"}]}`,
		"bad id":                `{"keys":[{"id":"XYZ","hash":"` + rec.Hash + `","subject":"svc"}]}`,
		"duplicate":             `{"keys":[{"id":"` + rec.ID + `","hash":"` + rec.Hash + `","subject":"a"},{"id":"` + rec.ID + `","hash":"` + rec.Hash + `","subject":"b"}]}`,
		"trailing data":         `{"keys":[]} {}`,
		"scope with two tokens": `{"keys":[{"id":"` + rec.ID + `","hash":"` + rec.Hash + `","subject":"svc","scopes":["a b"]}]}`,
		"scope with NBSP":       `{"keys":[{"id":"` + rec.ID + `","hash":"` + rec.Hash + `","subject":"svc","scopes":["a\u00a0b"]}]}`,
		"empty scope":           `{"keys":[{"id":"` + rec.ID + `","hash":"` + rec.Hash + `","subject":"svc","scopes":[""]}]}`,
		"scope with a control":  `{"keys":[{"id":"` + rec.ID + `","hash":"` + rec.Hash + `","subject":"svc","scopes":["a\u0000"]}]}`,
		"not JSON":              `keys`,
	}
	for name, body := range bad {
		t.Run(name, func(t *testing.T) {
			if _, err := auth.LoadAPIKeysFile(write(name+".json", body)); !errors.Is(err, auth.ErrInvalidConfig) {
				t.Fatalf("LoadAPIKeysFile = %v, want ErrInvalidConfig", err)
			}
		})
	}
	if _, err := auth.LoadAPIKeysFile(filepath.Join(dir, "missing.json")); err == nil {
		t.Error("missing file accepted")
	}
	if got := auth.HashAPIKey(key); got != rec.Hash {
		t.Errorf("HashAPIKey = %q, want %q", got, rec.Hash)
	}
}
