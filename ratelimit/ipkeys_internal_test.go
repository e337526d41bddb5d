package ratelimit

import (
	"net/http"
	"runtime"
	"testing"
	"time"
)

// TestIPKeysForgetUnusedKeyFuncs: ByIP's registry holds its closures
// weakly, so KeyFuncs made by configuration reloads and dropped do not
// pile up; one still in use is still recognised, and a function of the
// application's never is.
func TestIPKeysForgetUnusedKeyFuncs(t *testing.T) {
	count := func() (n int) {
		ipKeys.Range(func(any, any) bool { n++; return true })
		return n
	}
	kept, err := ByIP(IPConfig{})
	if err != nil {
		t.Fatal(err)
	}
	before := count()
	for range 100 {
		if _, err := ByIP(IPConfig{}); err != nil {
			t.Fatal(err)
		}
	}
	if count() < before+100 {
		t.Fatalf("%d entries after 100 more ByIP calls, from %d", count(), before)
	}
	deadline := time.Now().Add(5 * time.Second)
	for count() > before {
		if time.Now().After(deadline) {
			t.Fatalf("%d entries remain after the dropped KeyFuncs were collected, want %d", count(), before)
		}
		runtime.GC()
		time.Sleep(5 * time.Millisecond)
	}
	if ipKeyOf(kept) == nil {
		t.Error("a KeyFunc still in use is no longer recognised")
	}
	own := KeyFunc(func(dst []byte, r *http.Request) ([]byte, error) { return dst, nil })
	if ipKeyOf(own) != nil {
		t.Error("an application's KeyFunc is taken for ByIP's")
	}
	runtime.KeepAlive(kept)
}
