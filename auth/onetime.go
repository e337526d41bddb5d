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
// spendOnce spends p's token if j takes one-time tokens (JWTConfig.OneTime);
// callers call it after every other check has passed.
func (j *JWT) spendOnce(ctx context.Context, p *Principal) error {
	if j.oneTime == nil {
		return nil
	}
	return j.spend(ctx, p)
}

// A spender is an authenticator whose principals may need spending after
// the middleware's own checks (one-time tokens; see binder).
type spender interface {
	spendOnce(ctx context.Context, p *Principal) error
}

// spendOnce spends p's token with the verifier of its issuer.
func (is *Issuers) spendOnce(ctx context.Context, p *Principal) error {
	if j, ok := is.byIssuer[p.Issuer]; ok {
		return j.spendOnce(ctx, p)
	}
	return nil
}

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
