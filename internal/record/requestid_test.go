package record

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestNewID(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	prev := ""
	for range 1000 {
		id := NewID()
		if len(id) != 26 || !ValidID(id) || strings.Trim(id, crockford) != "" {
			t.Fatalf("NewID() = %q, want 26 Crockford base32 characters", id)
		}
		if seen[id] {
			t.Fatalf("NewID() repeated %q", id)
		}
		seen[id] = true
		if id[:10] < prev[:min(10, len(prev))] {
			t.Fatalf("time prefix went backwards: %q after %q", id, prev)
		}
		prev = id
	}
}

func TestULIDTimePrefix(t *testing.T) {
	t.Parallel()
	var b [16]byte // all zero: the Unix epoch, zero randomness
	if got := encodeULID(&b); got != strings.Repeat("0", 26) {
		t.Errorf("zero ULID = %q", got)
	}
	for i := range b {
		b[i] = 0xff
	}
	if got := encodeULID(&b); got != "7"+strings.Repeat("Z", 25) {
		t.Errorf("max ULID = %q, want 7ZZZ…", got)
	}
	// The first 10 characters encode the millisecond timestamp.
	before := time.Now().UnixMilli()
	id := NewID()
	var ms int64
	for _, c := range id[:10] {
		ms = ms<<5 | int64(strings.IndexRune(crockford, c))
	}
	if ms < before || ms > time.Now().UnixMilli() {
		t.Errorf("timestamp %d outside [%d, now]", ms, before)
	}
}

func TestRequestIDFromHeader(t *testing.T) {
	t.Parallel()
	req := httptest.NewRequest("GET", "/", nil)
	req.Header.Set("X-Request-ID", "ok-1")
	if got := RequestID(req); got != "ok-1" {
		t.Errorf("RequestID = %q, want ok-1", got)
	}
	req.Header.Set("X-Request-ID", "bad id")
	if got := RequestID(req); got == "bad id" || len(got) != 26 {
		t.Errorf("RequestID = %q, want a fresh ID", got)
	}
}

func FuzzValidID(f *testing.F) {
	f.Add("abc")
	f.Add("a\r\nb")
	f.Fuzz(func(t *testing.T, id string) {
		if !ValidID(id) {
			return
		}
		if len(id) > MaxIDLength || strings.ContainsAny(id, " \r\n\t\"\\<>{}") {
			t.Fatalf("ValidID(%q) = true", id)
		}
	})
}
