package auth

import (
	"context"
	"fmt"
)

// Issuers verifies tokens from several issuers. Each token goes to the
// verifier of the issuer its iss names, and is checked against that
// issuer's keys only: a key of one issuer never verifies a token that
// claims another. It is safe for concurrent use.
type Issuers struct {
	byIssuer map[string]*JWT
	maxSize  int
}

// NewIssuers builds one verifier per config with [NewJWT]. Issuers must be
// distinct.
func NewIssuers(ctx context.Context, cfgs ...JWTConfig) (*Issuers, error) {
	if len(cfgs) == 0 {
		return nil, configErr("NewIssuers needs at least one issuer")
	}
	is := &Issuers{byIssuer: make(map[string]*JWT, len(cfgs))}
	for _, cfg := range cfgs {
		if _, dup := is.byIssuer[cfg.Issuer]; dup {
			return nil, configErr("issuer %q configured twice", cfg.Issuer)
		}
		j, err := NewJWT(ctx, cfg)
		if err != nil {
			return nil, fmt.Errorf("issuer %q: %w", cfg.Issuer, err)
		}
		is.byIssuer[cfg.Issuer] = j
		is.maxSize = max(is.maxSize, j.maxSize)
	}
	return is, nil
}

// Verify reads the token's iss without trusting it, and verifies the token
// with that issuer's verifier. An unknown issuer is an invalid token.
func (is *Issuers) Verify(ctx context.Context, token string) (*Principal, error) {
	j, err := is.verifier(token)
	if err != nil {
		return nil, err
	}
	return j.Verify(ctx, token)
}

// verifier returns the verifier of the issuer token claims.
func (is *Issuers) verifier(token string) (*JWT, error) {
	iss, err := peekIssuer(token, is.maxSize)
	if err != nil {
		return nil, err
	}
	j, ok := is.byIssuer[iss]
	if !ok {
		return nil, invalid("unknown_issuer")
	}
	return j, nil
}

// authenticateBound lets the middleware check bound tokens against the
// binding policy of the token's own issuer (see binder).
func (is *Issuers) authenticateBound(ctx context.Context, credential string) (*Principal, *binding, error) {
	j, err := is.verifier(credential)
	if err != nil {
		return nil, nil, err
	}
	return j.authenticateBound(ctx, credential)
}

// Kind reports that Issuers verifies bearer tokens.
func (is *Issuers) Kind() CredentialKind { return Bearer }

// Authenticate verifies a bearer token; see [Issuers.Verify].
func (is *Issuers) Authenticate(ctx context.Context, credential string) (*Principal, error) {
	return is.Verify(ctx, credential)
}
