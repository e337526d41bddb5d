package oidctest

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// TestDoNonceRetry checks Do against a resource server that demands a
// nonce (RFC 9449 §9): one retry with the nonce it gave, the body sent
// again, the nonce remembered for the next request, and no second retry
// when the server refuses again.
func TestDoNonceRetry(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	const token = "tok"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		body, _ := io.ReadAll(r.Body)
		claims, err := Payload(r.Header.Get("DPoP"))
		if err != nil || r.Header.Get("Authorization") != "DPoP "+token || string(body) != "payload" {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		if claims["nonce"] != "n-1" || r.URL.Query().Get("refuse") != "" {
			w.Header().Set("DPoP-Nonce", "n-1")
			w.Header().Set("WWW-Authenticate", `DPoP error="use_dpop_nonce"`)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	key := NewDPoPKey(t)
	do := func(url string) int {
		t.Helper()
		req, err := http.NewRequest(http.MethodPost, url, strings.NewReader("payload"))
		if err != nil {
			t.Fatal(err)
		}
		resp, err := key.Do(context.Background(), srv.Client(), req, token)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}

	if got := do(srv.URL + "/items"); got != http.StatusNoContent || calls.Load() != 2 {
		t.Errorf("first request: status %d after %d calls, want 204 after 2", got, calls.Load())
	}
	if got := do(srv.URL + "/items"); got != http.StatusNoContent || calls.Load() != 3 {
		t.Errorf("with the remembered nonce: status %d after %d calls, want 204 after 3", got, calls.Load())
	}
	if got := do(srv.URL + "/items?refuse=1"); got != http.StatusUnauthorized || calls.Load() != 5 {
		t.Errorf("server refusing the nonce: status %d after %d calls, want 401 after 5 (one retry, no second)", got, calls.Load())
	}
}
