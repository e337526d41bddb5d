package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"sync/atomic"
	"time"
)

// Defaults and bounds of DPoPNonceConfig.
const (
	DefaultDPoPNoncePeriod = 5 * time.Minute
	// MinDPoPNonceKeySize is the shortest nonce key accepted: 256 bits,
	// the size of HMAC-SHA256's output.
	MinDPoPNonceKeySize = 32
	minDPoPNoncePeriod  = 10 * time.Second
	maxDPoPNoncePeriod  = 24 * time.Hour
)

// DPoPNonceConfig configures server-provided DPoP nonces (RFC 9449 §8),
// which bound how far in advance a stolen client could have made proofs.
//
// Nonces are stateless, so every instance that shares Keys accepts the
// nonces of every other: a nonce is base64url(bucket || HMAC-SHA256(key,
// bucket)), where bucket is the current period's number (Unix time divided
// by Period). A proof's nonce must be of the current or the previous
// period, and MAC'd by one of Keys. Instances' clocks must agree to well
// within Period.
type DPoPNonceConfig struct {
	// Keys are the HMAC keys, each at least 32 random bytes. The first
	// makes new nonces; every one verifies them, so a key is rotated by
	// putting the new one first and dropping the old one after two
	// periods. Empty means no nonces are required.
	Keys [][]byte
	// Period is how long a nonce is current; it is accepted for one more
	// period after that. Zero means 5 minutes; it must be between 10 s
	// and 24 h.
	Period time.Duration
}

// A nonceSource makes and checks nonces.
type nonceSource struct {
	keys   [][]byte
	period int64 // seconds
	cur    atomic.Pointer[issuedNonce]
}

// issuedNonce is the nonce of one bucket, made once.
type issuedNonce struct {
	bucket uint64
	nonce  string
}

// nonceDomain separates these MACs from any other use of the keys.
const nonceDomain = "apishield dpop nonce v1\x00"

// nonceEncodedLen is the length of a nonce: 8 bytes of bucket and a
// 32-byte MAC, in base64url.
var nonceEncodedLen = b64.EncodedLen(8 + sha256.Size)

func newNonceSource(cfg DPoPNonceConfig) (*nonceSource, error) {
	if len(cfg.Keys) == 0 {
		if cfg.Period != 0 {
			return nil, configErr("DPoP.Nonce.Period is set without Keys")
		}
		return nil, nil
	}
	period := orDefault(cfg.Period, DefaultDPoPNoncePeriod)
	if period < minDPoPNoncePeriod || period > maxDPoPNoncePeriod || period%time.Second != 0 {
		return nil, configErr("DPoP.Nonce.Period must be whole seconds between %v and %v", minDPoPNoncePeriod, maxDPoPNoncePeriod)
	}
	n := &nonceSource{period: int64(period / time.Second)}
	for i, k := range cfg.Keys {
		if len(k) < MinDPoPNonceKeySize {
			return nil, configErr("DPoP.Nonce.Keys[%d] is %d bytes; at least %d are required", i, len(k), MinDPoPNonceKeySize)
		}
		n.keys = append(n.keys, append([]byte(nil), k...))
	}
	return n, nil
}

func (n *nonceSource) bucket(now time.Time) uint64 { return uint64(now.Unix() / n.period) }

// macNonce appends the MAC of bucket under key to dst.
func macNonce(dst, key []byte, bucket uint64) []byte {
	m := hmac.New(sha256.New, key)
	var b [len(nonceDomain) + 8]byte
	copy(b[:], nonceDomain)
	binary.BigEndian.PutUint64(b[len(nonceDomain):], bucket)
	m.Write(b[:])
	return m.Sum(dst)
}

// issue returns the nonce of now's bucket, made at most once per bucket.
func (n *nonceSource) issue(now time.Time) string {
	b := n.bucket(now)
	if c := n.cur.Load(); c != nil && c.bucket == b {
		return c.nonce
	}
	raw := binary.BigEndian.AppendUint64(make([]byte, 0, 8+sha256.Size), b)
	raw = macNonce(raw, n.keys[0], b)
	c := &issuedNonce{bucket: b, nonce: b64.EncodeToString(raw)}
	n.cur.Store(c)
	return c.nonce
}

// check verifies a proof's nonce at now. current reports whether it is of
// the current bucket (so the client needs no new one). check is "" for an
// accepted nonce, else the failed check: dpop_nonce_missing,
// dpop_nonce_invalid (not one this service made) or dpop_nonce_stale.
func (n *nonceSource) check(nonce string, now time.Time) (current bool, check string) {
	if nonce == "" {
		return false, "dpop_nonce_missing"
	}
	var raw [8 + sha256.Size]byte
	if len(nonce) != nonceEncodedLen {
		return false, "dpop_nonce_invalid"
	}
	if k, err := b64.Decode(raw[:], bytesOf(nonce)); err != nil || k != len(raw) {
		return false, "dpop_nonce_invalid"
	}
	b := binary.BigEndian.Uint64(raw[:8])
	var mac [sha256.Size]byte
	valid := false
	for _, key := range n.keys {
		if hmac.Equal(macNonce(mac[:0], key, b), raw[8:]) {
			valid = true
			break
		}
	}
	if !valid {
		return false, "dpop_nonce_invalid"
	}
	cur := n.bucket(now)
	switch b {
	case cur:
		return true, ""
	case cur - 1:
		return false, ""
	}
	return false, "dpop_nonce_stale"
}
