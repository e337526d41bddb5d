package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/apishield/apishield/auth/authtest"
)

// TestDevIssuer: the dev issuer's discovery document and key set are
// served beside the API, its demo token opens /v1/items, and an expired
// one from the same key is refused as token_expired.
func TestDevIssuer(t *testing.T) {
	t.Parallel()
	h, dev := stack(t)
	get := func(path, token string) (*http.Response, []byte) {
		req := httptest.NewRequest("GET", path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		return w.Result(), w.Body.Bytes()
	}
	_, body := get("/.well-known/openid-configuration", "")
	var meta struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	if err := json.Unmarshal(body, &meta); err != nil || meta.JWKSURI != dev.URL()+"/.well-known/jwks.json" || meta.Issuer != dev.URL() {
		t.Fatalf("discovery = %s", body)
	}
	_, body = get("/.well-known/jwks.json", "")
	var set struct{ Keys []map[string]any }
	if err := json.Unmarshal(body, &set); err != nil || len(set.Keys) != 1 || set.Keys[0]["kid"] != dev.KeyID() || set.Keys[0]["d"] != nil {
		t.Fatalf("key set = %s", body)
	}

	good := dev.Token(authtest.Claims{Subject: "demo-user", Scopes: []string{"items:read"}})
	if resp, body := get("/v1/items", good); resp.StatusCode != 200 {
		t.Fatalf("demo token: %d %s", resp.StatusCode, body)
	}
	expired := dev.Token(authtest.Claims{Subject: "demo-user", Scopes: []string{"items:read"}, TTL: -time.Hour})
	resp, body := get("/v1/items", expired)
	var prob struct{ Reason string }
	json.Unmarshal(body, &prob)
	if resp.StatusCode != 401 || prob.Reason != "token_expired" || resp.Header.Get("WWW-Authenticate") == "" {
		t.Fatalf("expired token: %d %s %v", resp.StatusCode, body, resp.Header)
	}
	if resp, _ := get("/healthz", ""); resp.StatusCode != 200 {
		t.Errorf("healthz needs no token: %d", resp.StatusCode)
	}
}
