package auth

import (
	"context"
	"log/slog"
	"slices"
	"time"
)

// A Principal is an authenticated caller: who they are, how they proved it,
// and what their credential grants. Authenticators create it; authz and
// application code read it with [FromContext]. A Principal is not modified
// after it is put in a context, so it is safe for concurrent reads.
type Principal struct {
	// Subject identifies the caller: the token's sub, or the API key's owner.
	Subject string
	// Issuer is the token's iss; empty for API keys.
	Issuer string
	// ClientID is the OAuth client the token was issued to (client_id or azp).
	ClientID string
	// Audience is the token's aud.
	Audience []string
	// Scopes are the granted OAuth scopes, from a "scope" string or an "scp"
	// array or string: RFC 6749 scope tokens, never empty, never holding a
	// space, control byte, quote, backslash or non-ASCII byte.
	Scopes []string
	// Roles are the caller's roles, read from the configured claim paths.
	Roles []string
	// ACR is the authentication context class reference (acr).
	ACR string
	// AMR lists the authentication methods used (amr), e.g. "pwd", "mfa", "otp", "hwk".
	AMR []string
	// AuthTime is when the user last authenticated (auth_time); zero if absent.
	AuthTime time.Time
	// Expiry is when the credential expires; zero if it does not.
	Expiry time.Time
	// TokenID identifies the credential for revocation by ID: the token's
	// jti, or an API key's ID (the 16 hex digits after "ask_"). Empty when
	// the credential has none; an application's Authenticator may set it
	// to its own credential's unique ID.
	TokenID string
	// IssuedAt is when the credential was issued (the token's iat); zero
	// if unknown. A sign-out-everywhere revocation (see
	// [Revocation].IssuedBefore) refuses a credential without it, so an
	// application's Authenticator should set it when it can.
	IssuedAt time.Time
	// Method is how the caller authenticated: "jwt", "api_key", "mtls" or
	// "introspection".
	Method string
	// Claims holds the token's raw claims, for rules that need other ones.
	// Nil for credentials without claims.
	Claims map[string]any
	// Binding says how the token was bound to its sender, and proven so on
	// this request: [BindingDPoP] ("dpop", a DPoP proof of the key in
	// cnf.jkt) or [BindingMTLS] ("mtls", the client certificate in
	// cnf["x5t#S256"]). Empty for a bearer token or another credential.
	Binding string
}

// Authentication methods recorded in Principal.Method.
const (
	MethodJWT    = "jwt"
	MethodAPIKey = "api_key"
	MethodMTLS   = "mtls"
)

// HasScope reports whether the principal was granted scope, matched exactly.
func (p *Principal) HasScope(scope string) bool { return slices.Contains(p.Scopes, scope) }

// HasRole reports whether the principal has role, matched exactly.
func (p *Principal) HasRole(role string) bool { return slices.Contains(p.Roles, role) }

// LogValue logs who the principal is and how they authenticated, never
// their claims, which may hold personal data.
func (p *Principal) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("subject", p.Subject),
		slog.String("issuer", p.Issuer),
		slog.String("client_id", p.ClientID),
		slog.String("method", p.Method),
	)
}

type principalKey struct{}

// NewContext returns a copy of ctx that carries p.
func NewContext(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// FromContext returns the principal in ctx, if any.
func FromContext(ctx context.Context) (*Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(*Principal)
	return p, ok && p != nil
}
