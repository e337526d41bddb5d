package auth

import (
	"context"
	"time"
)

// A ReplayCache remembers one-time identifiers until they expire, so that a
// second use of one is refused: DPoP proofs' jti (RFC 9449 §11.1) and, when
// configured, access tokens that may be used once.
//
// Callers derive the key from what identifies a use (an issuer or key
// thumbprint and a jti), never from the bytes of a signature, so a
// re-encoded ECDSA signature (s and n−s both verify) cannot make a second
// entry. Implementations must be safe for concurrent use.
type ReplayCache interface {
	// Remember records key until exp and reports whether it was new. false
	// means key was recorded before and has not expired: a replay. An error
	// means the cache could not answer; the caller refuses the request
	// unless it was configured otherwise.
	Remember(ctx context.Context, key string, exp time.Time) (fresh bool, err error)
}
