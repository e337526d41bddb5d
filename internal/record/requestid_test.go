package record

import (
	"net/http/httptest"
	"strings"
	"sync"
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
	encode := func(b *[16]byte) string {
		var out [26]byte
		encodeULID(&out, b)
		return string(out[:])
	}
	if got := encode(&b); got != strings.Repeat("0", 26) {
		t.Errorf("zero ULID = %q", got)
	}
	for i := range b {
		b[i] = 0xff
	}
	if got := encode(&b); got != "7"+strings.Repeat("Z", 25) {
		t.Errorf("max ULID = %q, want 7ZZZ…", got)
	}
	// The first 10 characters encode the millisecond timestamp, of NewID's
	// IDs and of those Install gives a request, whose bytes live in the
	// record.
	before := time.Now().UnixMilli()
	id := NewID()
	_, _, rec := Install(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	if rid := rec.ID(); len(rid) != 26 || strings.Trim(rid, crockford) != "" || rid[:7] != id[:7] {
		t.Errorf("Install's ID %q beside NewID's %q", rid, id)
	}
	var ms int64
	for _, c := range id[:10] {
		ms = ms<<5 | int64(strings.IndexRune(crockford, c))
	}
	if ms < before || ms > time.Now().UnixMilli() {
		t.Errorf("timestamp %d outside [%d, now]", ms, before)
	}
}

// TestIncomingIDNeverTheRequestID: a client's X-Request-ID is not the
// request's ID unless the caller vouches for it; an acceptable one is kept
// aside as the client's.
func TestIncomingIDNeverTheRequestID(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		header     []string // X-Request-ID lines; nil for none
		trusted    bool
		wantID     string // "" means a fresh ULID
		wantClient string
	}{
		{"none", nil, false, "", ""},
		{"none from a trusted proxy", nil, true, "", ""},
		{"forged", []string{"victim-request-1"}, false, "", "victim-request-1"},
		{"from a trusted proxy", []string{"proxy-id-1"}, true, "proxy-id-1", ""},
		{"unacceptable", []string{"bad id"}, false, "", ""},
		{"unacceptable from a trusted proxy", []string{"bad id"}, true, "", ""},
		{"too long", []string{strings.Repeat("a", MaxIDLength+1)}, false, "", ""},
		{"longest", []string{strings.Repeat("a", MaxIDLength)}, false, "", strings.Repeat("a", MaxIDLength)},
		{"two lines", []string{"a", "b"}, true, "", ""},
		{"empty", []string{""}, true, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req := httptest.NewRequest("GET", "/", nil)
			if tt.header != nil {
				req.Header["X-Request-Id"] = tt.header
			}
			rr := httptest.NewRecorder()
			_, r, rec := InstallTrusted(rr, req, tt.trusted)
			id := rec.ID()
			if tt.wantID != "" && id != tt.wantID {
				t.Errorf("ID() = %q, want %q", id, tt.wantID)
			}
			if tt.wantID == "" && (len(id) != 26 || strings.Trim(id, crockford) != "") {
				t.Errorf("ID() = %q, want a fresh ULID", id)
			}
			if got := rec.ClientRequestID(); got != tt.wantClient {
				t.Errorf("ClientRequestID() = %q, want %q", got, tt.wantClient)
			}
			if got := rr.Header().Values("X-Request-ID"); len(got) != 1 || got[0] != id {
				t.Errorf("X-Request-ID response header = %q, want [%q]", got, id)
			}
			if got := RequestID(r); got != id {
				t.Errorf("RequestID = %q, want the record's %q", got, id)
			}
		})
	}
}

// TestInstallIgnoresIncomingID: Install is InstallTrusted without trust.
func TestInstallIgnoresIncomingID(t *testing.T) {
	t.Parallel()
	req := httptest.NewRequest("GET", "/", nil)
	req.Header.Set("X-Request-ID", "forged-1")
	_, _, rec := Install(httptest.NewRecorder(), req)
	if rec.ID() == "forged-1" || rec.ClientRequestID() != "forged-1" {
		t.Errorf("ID() = %q, ClientRequestID() = %q; want a fresh ID and the client's forged-1", rec.ID(), rec.ClientRequestID())
	}
}

// TestRequestIDWithoutRecord: without a record, a new ID, never the
// header.
func TestRequestIDWithoutRecord(t *testing.T) {
	t.Parallel()
	req := httptest.NewRequest("GET", "/", nil)
	req.Header.Set("X-Request-ID", "ok-1")
	if got := RequestID(req); got == "ok-1" || len(got) != 26 {
		t.Errorf("RequestID = %q, want a fresh ID", got)
	}
	if got, ok := IncomingID(req); got != "ok-1" || !ok {
		t.Errorf("IncomingID = %q, %v; want ok-1, true", got, ok)
	}
}

// TestIDHeaderIsTheCallersToChange: the response header shares storage
// with the record, so appending to it must not write into the record.
func TestIDHeaderIsTheCallersToChange(t *testing.T) {
	t.Parallel()
	rr := httptest.NewRecorder()
	_, _, rec := Install(rr, httptest.NewRequest("GET", "/", nil))
	id := rec.ID()
	rr.Header().Add("X-Request-ID", "second")
	rr.Header()["X-Request-Id"][0] = "replaced"
	if rec.ID() != id {
		t.Errorf("ID() = %q after the header changed, want %q", rec.ID(), id)
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

// TestNewIDConcurrent: IDs made at once on many goroutines, each drawing
// from the pool of generators, never repeat, and their random parts differ
// across generators seeded separately.
func TestNewIDConcurrent(t *testing.T) {
	t.Parallel()
	const goroutines, each = 8, 2000
	ids := make(chan string, goroutines*each)
	var wg sync.WaitGroup
	for range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				ids <- NewID()
			}
		}()
	}
	wg.Wait()
	close(ids)
	seen := map[string]bool{}
	randomParts := map[string]bool{}
	for id := range ids {
		if seen[id] {
			t.Fatalf("NewID() repeated %q", id)
		}
		seen[id] = true
		randomParts[id[10:]] = true
	}
	if len(randomParts) != goroutines*each {
		t.Errorf("%d distinct random parts in %d IDs", len(randomParts), goroutines*each)
	}
}
