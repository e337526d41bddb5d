package auth

import "errors"

// ErrInvalidConfig is wrapped by every error that a constructor returns for a
// configuration it refuses.
var ErrInvalidConfig = errors.New("auth: invalid configuration")

// Verification outcomes. Every error that Verify or an [Authenticator]
// returns for a bad credential wraps exactly one of them, so callers branch
// with errors.Is; the [*VerifyError] in the chain says which check failed.
var (
	// ErrNoCredentials means the request carried no credential at all.
	ErrNoCredentials = errors.New("auth: no credentials")
	// ErrInvalidToken means the credential is malformed, forged, revoked,
	// or not meant for this API.
	ErrInvalidToken = errors.New("auth: invalid token")
	// ErrTokenExpired means the credential was valid in every other respect
	// but its lifetime is over.
	ErrTokenExpired = errors.New("auth: token expired")
	// ErrKeysUnavailable means the issuer's keys could not be obtained (or
	// the last good set is older than the allowed stale age), or a store
	// that verification needs could not answer (an API key store, a
	// replay cache), so nothing can be verified. The middleware answers
	// it like an invalid token.
	ErrKeysUnavailable = errors.New("auth: keys unavailable")
	// ErrInvalidDPoPProof means the request's DPoP proof (RFC 9449) is
	// missing, malformed, forged, stale, replayed or not for this request
	// or token. The middleware answers it with 401 invalid_dpop_proof.
	ErrInvalidDPoPProof = errors.New("auth: invalid DPoP proof")
	// ErrUseDPoPNonce means the DPoP proof lacks the server nonce the API
	// requires, or carries a stale or forged one: the client must retry
	// with the nonce of the response's DPoP-Nonce header. The middleware
	// answers it with 401 use_dpop_nonce.
	ErrUseDPoPNonce = errors.New("auth: DPoP nonce required")
)

// A VerifyError says which check refused a credential. Check is a stable
// snake_case name such as "alg_not_allowed" or "bad_signature", meant for
// logs and the request record; clients never see it.
type VerifyError struct {
	Check string // the check that failed
	Err   error  // one of the outcome sentinels above
	Cause error  // an underlying error, if any (for example a fetch failure)
}

func (e *VerifyError) Error() string {
	s := e.Err.Error() + ": " + e.Check
	if e.Cause != nil {
		s += ": " + e.Cause.Error()
	}
	return s
}

// Unwrap returns the outcome sentinel and the cause.
func (e *VerifyError) Unwrap() []error {
	if e.Cause != nil {
		return []error{e.Err, e.Cause}
	}
	return []error{e.Err}
}

// invalid returns a VerifyError for a check that makes the token invalid.
// The common ones are preallocated values so that refusing costs nothing.
func invalid(check string) error { return &VerifyError{Check: check, Err: ErrInvalidToken} }

// CheckOf returns the name of the check that refused err, or "" if err
// carries no [*VerifyError].
func CheckOf(err error) string {
	// The chain is walked by hand: errors.As would move its target to the
	// heap, an allocation on every refusal.
	for err != nil {
		switch e := err.(type) {
		case *VerifyError:
			return e.Check
		case interface{ Unwrap() []error }:
			var ve *VerifyError
			if errors.As(err, &ve) {
				return ve.Check
			}
			return ""
		}
		err = errors.Unwrap(err)
	}
	return ""
}
