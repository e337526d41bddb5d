package auth

import "context"

// One-time tokens (JWTConfig.OneTime). A token is spent only after it
// passed every other check, so a forged or expired token naming someone
// else's jti cannot burn it. The replay key is the issuer and the jti,
// never the token's bytes: a token whose ECDSA signature was re-encoded
// (s and n−s both verify) differs from the original byte for byte, misses
// the verified-token cache, verifies, and is still the same use.

var (
	errJTIMissing    = invalid("jti_missing")
	errTokenReplayed = invalid("token_replayed")
)

// spend records the use of the verified token p in j.oneTime until its exp
// plus the leeway, the last instant Verify would accept it.
func (j *JWT) spend(ctx context.Context, p *Principal) error {
	jti := p.TokenID
	if jti == "" {
		return errJTIMissing
	}
	fresh, err := j.oneTime.Remember(ctx, replayKey("access_token", j.issuer, jti), p.Expiry.Add(j.leeway))
	switch {
	case err != nil:
		return &VerifyError{Check: "replay_cache_unavailable", Err: ErrKeysUnavailable, Cause: err}
	case !fresh:
		return errTokenReplayed
	}
	return nil
}
