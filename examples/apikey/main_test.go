package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"strings"
	"testing"

	"github.com/apishield/apishield/auth"
)

// TestPrintedKeyVerifies: the printed record, loaded as a key file,
// verifies the printed key with the requested grants.
func TestPrintedKeyVerifies(t *testing.T) {
	var out bytes.Buffer
	if err := run([]string{"-subject", "svc", "-scopes", "a, b", "-roles", "r", "-ttl", "1h"}, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(out.String(), "\n")
	key, rec := strings.TrimSpace(lines[1]), strings.TrimSpace(lines[4])
	if strings.Contains(rec, key) {
		t.Fatal("the record contains the key itself")
	}
	store, err := auth.ParseAPIKeys(strings.NewReader(`{"keys":[` + rec + `]}`))
	if err != nil {
		t.Fatalf("record %s: %v", rec, err)
	}
	a, _ := auth.NewAPIKeys(auth.APIKeysConfig{Store: store})
	p, err := a.Verify(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal([]any{p.Subject, p.Scopes, p.Roles})
	if string(got) != `["svc",["a","b"],["r"]]` || p.Expiry.IsZero() {
		t.Errorf("principal = %s, expiry %v", got, p.Expiry)
	}
	if err := run(nil, io.Discard, io.Discard); err == nil {
		t.Error("no -subject accepted")
	}
}
