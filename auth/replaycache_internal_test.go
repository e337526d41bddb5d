package auth

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"testing"
	"testing/synctest"
	"time"
)

func TestReplayKey(t *testing.T) {
	t.Parallel()
	distinct := [][]string{
		{"ab", "c"}, {"a", "bc"}, {"abc"}, {"abc", ""}, {"", "abc"}, {"a", "b", "c"},
		{"dpop", "thumb", "j1"}, {"access_token", "thumb", "j1"}, {},
		// A part that spells another's length prefix cannot shift the boundary.
		{"a\x00\x00\x00\x00\x00\x00\x00\x01b"}, {"a", "b"},
	}
	seen := map[string][]string{}
	for _, parts := range distinct {
		k := replayKey(parts...)
		if len(k) != 43 {
			t.Errorf("replayKey(%q) is %d bytes, want 43", parts, len(k))
		}
		if prev, ok := seen[k]; ok {
			t.Errorf("replayKey(%q) = replayKey(%q)", parts, prev)
		}
		seen[k] = parts
		if again := replayKey(parts...); again != k {
			t.Errorf("replayKey(%q) is not deterministic", parts)
		}
	}
	long := string(make([]byte, 10_000))
	if k := replayKey("dpop", long, long); len(k) != 43 {
		t.Errorf("a key from 20 kB of parts is %d bytes, want 43", len(k))
	}
}

// TestReplayKeyMalleability: an ECDSA signature (r, s) has a twin (r, n−s)
// that verifies too, so a proof can be re-encoded by anyone who saw it.
// The replay key is built from the key thumbprint and the jti, never from
// signature bytes, so both encodings map to one entry and the second is
// refused.
func TestReplayKeyMalleability(t *testing.T) {
	t.Parallel()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	enc := base64.RawURLEncoding
	input := enc.EncodeToString([]byte(`{"typ":"dpop+jwt","alg":"ES256"}`)) + "." +
		enc.EncodeToString([]byte(`{"jti":"e1j3V_bKic8-LAEB","htm":"GET","htu":"https://api.example/items","iat":1700000000}`))
	digest := sha256.Sum256([]byte(input))
	r, s, err := ecdsa.Sign(rand.Reader, priv, digest[:])
	if err != nil {
		t.Fatal(err)
	}
	twin := new(big.Int).Sub(elliptic.P256().Params().N, s)
	sig := func(s *big.Int) string {
		b := make([]byte, 64)
		r.FillBytes(b[:32])
		s.FillBytes(b[32:])
		return enc.EncodeToString(b)
	}
	proof1, proof2 := input+"."+sig(s), input+"."+sig(twin)
	if proof1 == proof2 {
		t.Fatal("the twin signature encodes the same")
	}
	for _, sv := range []*big.Int{s, twin} {
		if !ecdsa.Verify(&priv.PublicKey, digest[:], r, sv) {
			t.Fatal("a signature of the pair does not verify")
		}
	}
	// The RFC 7638 thumbprint of the proof key, and the proof's jti: the
	// same for both proofs, whatever their signature bytes.
	x, y := make([]byte, 32), make([]byte, 32)
	priv.X.FillBytes(x)
	priv.Y.FillBytes(y)
	jwk := `{"crv":"P-256","kty":"EC","x":"` + enc.EncodeToString(x) + `","y":"` + enc.EncodeToString(y) + `"}`
	tp := sha256.Sum256([]byte(jwk))
	thumbprint := enc.EncodeToString(tp[:])
	// What a proof contributes to its key is its jti, read from the
	// payload, beside the thumbprint of its key.
	keyOf := func(proof string) string {
		c, err := splitCompact(proof, DefaultMaxTokenSize)
		if err != nil {
			t.Fatal(err)
		}
		var claims struct{ JTI string }
		if err := json.Unmarshal(c.payload, &claims); err != nil || claims.JTI == "" {
			t.Fatalf("proof payload: %v", err)
		}
		return replayKey("dpop", thumbprint, claims.JTI)
	}
	c := newTestMemoryReplay(t, MemoryReplayConfig{})
	exp := time.Now().Add(time.Minute)
	if fresh, err := c.Remember(context.Background(), keyOf(proof1), exp); !fresh || err != nil {
		t.Fatalf("first proof: fresh=%v err=%v, want fresh", fresh, err)
	}
	if fresh, err := c.Remember(context.Background(), keyOf(proof2), exp); fresh || err != nil {
		t.Fatalf("twin proof: fresh=%v err=%v, want a replay", fresh, err)
	}
}

func TestMemoryReplayCacheShards(t *testing.T) {
	t.Parallel()
	for _, n := range []int{1, 7, 1023, 1024, 2048, 5000, 65536, 1 << 18, 1<<20 + 3} {
		c := newTestMemoryReplay(t, MemoryReplayConfig{MaxEntries: n})
		total := 0
		for i := range c.shards {
			total += c.shards[i].max
		}
		if total != n {
			t.Errorf("MaxEntries %d: shards hold %d in total", n, total)
		}
		if s := len(c.shards); s&(s-1) != 0 || s > 64 || (n >= 2048 && s < 2) {
			t.Errorf("MaxEntries %d: %d shards", n, s)
		}
	}
}

// TestMemoryReplayCacheMemory: under a steady stream of new keys that each
// live a second, the cache holds about a second's worth, never its bound,
// and its expiry heap stays as small as its map.
func TestMemoryReplayCacheMemory(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		c := newTestMemoryReplay(t, MemoryReplayConfig{MaxEntries: 1 << 16})
		ctx := context.Background()
		for i := range 20_000 {
			if fresh, err := c.Remember(ctx, replayKey("t", string(rune(i))), time.Now().Add(time.Second)); !fresh || err != nil {
				t.Fatalf("key %d: fresh=%v err=%v", i, fresh, err)
			}
			if i%100 == 99 {
				time.Sleep(10 * time.Millisecond) // 10 000 keys a second
			}
		}
		if n := c.Len(); n > 10_100 {
			t.Errorf("the cache holds %d keys, want about a second's worth (10000)", n)
		}
		q := 0
		for i := range c.shards {
			q += len(c.shards[i].q)
		}
		if q > c.Len()+2*len(c.shards) {
			t.Errorf("the expiry heaps hold %d items for %d keys", q, c.Len())
		}
	})
}

func TestUnixNanoClamps(t *testing.T) {
	t.Parallel()
	if got := unixNano(time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)); got <= time.Now().UnixNano() {
		t.Errorf("year 9999 clamps to %d, before now", got)
	}
	if got := unixNano(time.Time{}); got >= 0 {
		t.Errorf("the zero time is %d, want before 1970", got)
	}
}

func newTestMemoryReplay(t testing.TB, cfg MemoryReplayConfig) *MemoryReplayCache {
	t.Helper()
	c, err := NewMemoryReplayCache(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
