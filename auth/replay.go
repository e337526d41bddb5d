package auth

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"time"
)

// A ReplayCache remembers one-time identifiers until they expire, so that a
// second use of one is refused: DPoP proofs' jti (RFC 9449 §11.1) and, when
// configured ([JWTConfig].OneTime), access tokens that may be used once.
// [NewMemoryReplayCache] keeps them in this process; package
// auth/redisstore shares them between instances through Redis.
//
// Callers derive the key from what identifies a use (an issuer or key
// thumbprint and a jti), never from the bytes of a signature, so a
// re-encoded ECDSA signature (s and n−s both verify) cannot make a second
// entry. Implementations must be safe for concurrent use, and should hash
// keys they store, so that the size of a stored entry does not depend on
// the caller's input.
type ReplayCache interface {
	// Remember records key until exp and reports whether it was new. false
	// means key was recorded before and has not expired: a replay. exp is
	// the last instant at which the caller would still accept the use,
	// leeway included; an exp already past records nothing, and reports
	// whether an unexpired record exists. An error means the cache could
	// not answer, and the caller refuses the use: a cache configured to
	// fail open answers fresh without an error instead.
	Remember(ctx context.Context, key string, exp time.Time) (fresh bool, err error)
}

// replayKey returns the replay cache key of the use that parts identify,
// such as ("dpop", thumbprint, jti) or ("access_token", issuer, jti): the
// unpadded base64url SHA-256 of the parts, each preceded by its length, so
// that distinct tuples give distinct keys (("ab", "c") is not ("a", "bc"))
// and every key is 43 bytes, whatever the parts. The first part should
// name the kind of use, so that kinds sharing one cache cannot collide.
//
// The parts must identify the use, not its encoding: no signature, and no
// token or proof bytes, which a holder of an ECDSA signature can change
// without the key (s and n−s).
func replayKey(parts ...string) string {
	var buf [256]byte // room for the usual parts, on the stack
	b := buf[:0]
	for _, p := range parts {
		b = binary.BigEndian.AppendUint64(b, uint64(len(p)))
		b = append(b, p...)
	}
	sum := sha256.Sum256(b)
	return base64.RawURLEncoding.EncodeToString(sum[:])
}
