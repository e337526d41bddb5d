package auth

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// ErrInvalidRevocation is wrapped by every error [Revocation.Validate]
// returns, and so by Revoke and Add for a revocation they refuse.
var ErrInvalidRevocation = errors.New("auth: invalid revocation")

// ErrRevocationsUnavailable means a [Revocations] view could not be kept
// current for longer than it is allowed to answer from (a Redis view past
// its MaxStale), so it refuses every credential. The middleware answers it
// like an invalid token and records it as an error, not a denial.
var ErrRevocationsUnavailable = errors.New("auth: revocations unavailable")

// The errors a [Revocations] view returns. They are values, so that a
// check costs no allocation; CheckOf names them "token_revoked" and
// "revocations_stale".
var (
	// ErrRevoked is the error of a revoked credential: it wraps
	// [ErrInvalidToken] with the check "token_revoked".
	ErrRevoked error = &VerifyError{Check: "token_revoked", Err: ErrInvalidToken}
	// ErrRevocationsStale is the error of a view too old to answer: it
	// wraps [ErrRevocationsUnavailable] with the check "revocations_stale".
	ErrRevocationsStale error = &VerifyError{Check: "revocations_stale", Err: ErrRevocationsUnavailable}
)

// MaxRevocationField bounds the length, in bytes, of a [Revocation]'s
// TokenID, Subject and Issuer: revocations travel between instances, so
// what they hold is bounded before it is stored or parsed.
const MaxRevocationField = 1024

// A Revocation withdraws credentials before they expire. It has one of
// three selectors:
//
//   - TokenID: the one credential whose [Principal].TokenID (a JWT's jti)
//     it is;
//   - Subject: every credential of the subject;
//   - Subject and IssuedBefore ("sign out everywhere"): the subject's
//     credentials issued before IssuedBefore; those issued at or after it
//     keep working.
//
// Issuer narrows any selector to the credentials of one issuer: a jti is
// unique only within its issuer, and a subject names one user only within
// its issuer. Empty means every issuer, and also credentials that have
// none (API keys, client certificates).
//
// Expires is when the revocation may be forgotten: when every credential
// it could match has expired, such as now plus the longest token lifetime
// the issuer grants. It is required.
type Revocation struct {
	// TokenID is the jti of the credential to revoke. Exclusive with
	// Subject.
	TokenID string
	// Subject is the subject (sub) whose credentials are revoked.
	// Exclusive with TokenID.
	Subject string
	// Issuer, if not empty, restricts the revocation to credentials whose
	// Principal.Issuer equals it exactly.
	Issuer string
	// IssuedBefore, with Subject, revokes only the credentials whose
	// Principal.IssuedAt is before it. A credential issued at exactly
	// IssuedBefore is not revoked; one without IssuedAt is, since nothing
	// shows it was issued after. iat has a resolution of one second, so
	// time.Now() revokes every token issued before the call and those
	// issued later within the same second; if the issuer's clock runs
	// ahead of this one, add the skew. Zero means every credential of the
	// subject.
	IssuedBefore time.Time
	// Expires is when the revocation may be forgotten. Required; Revoke
	// refuses a time that has passed.
	Expires time.Time
}

// Validate reports whether r is a revocation that can be applied at now:
// one selector, fields within [MaxRevocationField], and Expires after now.
// The error wraps [ErrInvalidRevocation] and says which rule r breaks.
func (r Revocation) Validate(now time.Time) error {
	if err := r.validShape(); err != nil {
		return err
	}
	if !r.Expires.After(now) {
		return revocationErr("Expires (%s) is not in the future", r.Expires.UTC().Format(time.RFC3339))
	}
	return nil
}

// validShape is Validate without the expiry's comparison with now.
func (r Revocation) validShape() error {
	switch {
	case r.TokenID == "" && r.Subject == "":
		return revocationErr("TokenID or Subject is required")
	case r.TokenID != "" && r.Subject != "":
		return revocationErr("TokenID and Subject are exclusive: revoke one token, or a subject's tokens")
	case r.TokenID != "" && !r.IssuedBefore.IsZero():
		return revocationErr("IssuedBefore applies to a Subject, not a TokenID")
	case r.Expires.IsZero():
		return revocationErr("Expires is required")
	}
	for _, f := range [...]struct{ name, v string }{{"TokenID", r.TokenID}, {"Subject", r.Subject}, {"Issuer", r.Issuer}} {
		if len(f.v) > MaxRevocationField {
			return revocationErr("%s is longer than %d bytes", f.name, MaxRevocationField)
		}
	}
	if !r.IssuedBefore.IsZero() && (r.IssuedBefore.Before(minNanoTime) || r.IssuedBefore.After(maxNanoTime)) {
		return revocationErr("IssuedBefore is outside the years 1678 to 2262")
	}
	if !r.IssuedBefore.IsZero() && r.IssuedBefore.After(r.Expires) {
		return revocationErr("IssuedBefore is after Expires: the revocation would be forgotten before it starts to matter")
	}
	return nil
}

// The range of IssuedBefore: times whose UnixNano is defined, so that the
// key of a revocation is exact.
var (
	minNanoTime = time.Unix(0, math.MinInt64)
	maxNanoTime = time.Unix(0, math.MaxInt64)
)

func revocationErr(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidRevocation}, args...)...)
}

// Revocations is the view of revoked credentials that the middleware
// consults for every authenticated request ([Config].Revocations),
// whichever authenticator verified the credential, including requests a
// JWT verifier answers from its cache. [*RevocationList] and the Redis
// store of auth/redisstore implement it.
//
// Check returns nil when p's credential is not revoked, [ErrRevoked] (or
// another error wrapping [ErrInvalidToken]) when it is, and
// [ErrRevocationsStale] (or another error wrapping
// [ErrRevocationsUnavailable]) when the view cannot answer. It runs on
// every request: it must answer from memory, never over the network, and
// be safe for concurrent use.
type Revocations interface {
	Check(p *Principal) error
}
