package redisstore

import (
	"errors"
	"testing"
	"time"

	"github.com/apishield/apishield/auth"
)

// FuzzDecodeEntry feeds arbitrary sorted-set members and announcements to
// the decoder: it never panics, refuses what is over its bound, and what
// it accepts becomes a revocation that the view either applies or refuses
// as invalid.
func FuzzDecodeEntry(f *testing.F) {
	for _, s := range []string{
		`{"jti":"j1","iss":"https://idp"}`,
		`{"sub":"alice","before":1700000000000000000,"exp":1900000000000}`,
		`{"jti":"x","sub":"y"}`, `{}`, `null`, `[]`, `{"before":-1}`, `{"exp":"1"}`, "",
	} {
		f.Add(s)
	}
	l, err := auth.NewRevocationList(auth.RevocationListConfig{})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { l.Close() })
	f.Fuzz(func(t *testing.T, s string) {
		e, err := decodeRevocation(s)
		if len(s) > maxRevocationEntry && err == nil {
			t.Fatalf("an entry of %d bytes was parsed", len(s))
		}
		if err != nil {
			return
		}
		r := e.revocation(time.Now().Add(time.Hour).UnixMilli())
		if err := l.Add(r); err != nil && !errors.Is(err, auth.ErrInvalidRevocation) {
			t.Fatalf("Add(%+v) = %v, want nil or ErrInvalidRevocation", r, err)
		}
	})
}
