package auth

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"github.com/apishield/apishield/internal/jsonpointer"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"go.opentelemetry.io/otel/metric"
	"golang.org/x/sync/singleflight"
)

// MethodIntrospection is Principal.Method for a token the issuer vouched
// for through its introspection endpoint (RFC 7662).
const MethodIntrospection = "introspection"

// Defaults of IntrospectionConfig; each is a field's zero value.
const (
	DefaultIntrospectionTimeout     = 5 * time.Second
	DefaultMaxIntrospectionResponse = 64 << 10
	DefaultIntrospectionCacheTTL    = 5 * time.Minute
	DefaultIntrospectionNegativeTTL = 10 * time.Second
)

// ErrIntrospectionUnavailable is in the chain of every error for a token
// whose introspection got no usable answer: the endpoint could not be
// reached or timed out, or it answered with a status other than 200, a
// content type other than JSON, a body over the size limit, or a body that
// is not an introspection response. The outcome of such an error is
// [ErrKeysUnavailable], as when a key set cannot be fetched: the issuer's
// word could not be had, so nothing can be verified, and the middleware
// refuses the request as invalid_token and records an error rather than a
// denial. These refusals are never cached.
var ErrIntrospectionUnavailable = errors.New("auth: introspection failed")

// A ClientAuthMethod is how the API authenticates itself to the
// introspection endpoint (the token endpoint authentication methods of
// RFC 7591 §2).
type ClientAuthMethod string

// Client authentication methods.
const (
	// ClientSecretBasic sends the client ID and secret in an HTTP Basic
	// Authorization header, each form-encoded first (RFC 6749 §2.3.1).
	ClientSecretBasic ClientAuthMethod = "client_secret_basic"
	// ClientSecretPost sends the client ID and secret as form parameters.
	ClientSecretPost ClientAuthMethod = "client_secret_post"
	// PrivateKeyJWT sends a client assertion: a short-lived JWT signed
	// with the client's private key (RFC 7523 §2.2, OpenID Connect Core
	// §9).
	PrivateKeyJWT ClientAuthMethod = "private_key_jwt"
)

// IntrospectionConfig configures an [Introspection]. The zero value of
// every optional field is the default it documents. A config must not be
// modified after it is passed to [NewIntrospection].
type IntrospectionConfig struct {
	// Endpoint is the issuer's introspection endpoint. Required. It must
	// be an https URL, or http for a loopback host.
	Endpoint string
	// Issuer identifies the authorization server. Required; an https
	// URL, or http for a loopback host. A response's iss, if present,
	// must equal it exactly; Principal.Issuer is Issuer either way.
	Issuer string
	// Audience lists the accepted aud values: a response's aud must name
	// at least one of them. Required.
	Audience []string
	// AllowMissingAudience accepts responses without aud. False means
	// such a response is refused (check "audience_missing"): a token
	// whose audience is unknown may have been issued for another API of
	// the same issuer. Set it only for an issuer that leaves aud out of
	// its introspection responses, and then make sure it issues tokens
	// for this API alone.
	AllowMissingAudience bool

	// ClientID is the API's client ID at the issuer. Required.
	ClientID string
	// ClientSecret is the client's secret, for ClientSecretBasic and
	// ClientSecretPost. It is never logged.
	ClientSecret string
	// PrivateKey signs the client assertions of PrivateKeyJWT. It may be
	// any crypto.Signer whose public key is RSA (2048 bits or more),
	// ECDSA (P-256, P-384, P-521) or Ed25519, such as a key held in a KMS.
	PrivateKey crypto.Signer
	// KeyID is the kid of the assertions' header. Empty means none.
	KeyID string
	// Algorithm is the assertions' JWS algorithm. Empty means RS256 for an
	// RSA key, ES256, ES384 or ES512 for the ECDSA curves, EdDSA for
	// Ed25519. It must fit the key; HMAC and "none" are refused.
	Algorithm string
	// AssertionAudience is the aud of the assertions. Empty means Issuer,
	// as the IETF's revision of RFC 7523 (draft-ietf-oauth-rfc7523bis)
	// asks: with an endpoint URL as aud, an assertion made for one server
	// could be accepted by another that lists the same URL. Set it to the
	// endpoint URL for an issuer that wants that (Okta does).
	AssertionAudience string
	// AuthMethod selects the client authentication. Empty means
	// PrivateKeyJWT when PrivateKey is set and ClientSecretBasic when
	// ClientSecret is; setting both without AuthMethod is refused.
	AuthMethod ClientAuthMethod

	// JWT, if not nil, verifies the bearer tokens that have the shape of
	// a JWT (three dot-separated segments, the first starting "eyJ", the
	// base64url of `{"`), which are then never introspected: the
	// middleware takes one Authenticator per credential kind, so this
	// is how an API accepts both an issuer's JWTs, verified locally,
	// and its opaque tokens. A token the JWT refuses is refused. Nil
	// means every bearer token is introspected, JWTs included.
	JWT Authenticator

	// Leeway absorbs clock skew in exp, nbf and iat. Zero means
	// [DefaultLeeway] (30 s); more than [MaxLeeway] (5 min) is refused.
	Leeway time.Duration
	// RolePaths are JSON Pointers to the members holding roles, as
	// JWTConfig.RolePaths. Empty means {"/roles"}.
	RolePaths []string
	// MaxTokenSize bounds a token before it is sent. Zero means
	// [DefaultMaxTokenSize] (8 KiB).
	MaxTokenSize int

	// HTTPClient makes the introspection requests. Nil means a client
	// with Timeout. Redirects are never followed (a redirected request
	// fails), whatever the client's CheckRedirect.
	HTTPClient *http.Client
	// Timeout bounds each introspection request. Zero means
	// [DefaultIntrospectionTimeout] (5 s).
	Timeout time.Duration
	// MaxResponseSize bounds the response body, read no further before
	// it is parsed. Zero means [DefaultMaxIntrospectionResponse] (64 KiB).
	MaxResponseSize int64

	// CacheTTL is the longest an active token's answer is reused; it is
	// reused no longer than the token's exp either. A token revoked at
	// the issuer is accepted until then. Zero means
	// [DefaultIntrospectionCacheTTL] (5 min); negative means active
	// tokens are not cached.
	CacheTTL time.Duration
	// NegativeTTL is how long a refused token's answer (inactive,
	// expired, or not for this API) is reused. Zero means
	// [DefaultIntrospectionNegativeTTL] (10 s); negative means refusals
	// are not cached. Failures to introspect are never cached.
	NegativeTTL time.Duration
	// CacheSize bounds each of the two caches (active and refused
	// tokens), in tokens. Zero means [DefaultCacheSize] (10000); negative
	// disables both.
	CacheSize int

	// DPoP accepts opaque tokens bound to a DPoP key, as the introspection
	// response's cnf.jkt says, exactly as JWTConfig.DPoP does for JWTs
	// (see [DPoPConfig]); the zero value refuses them.
	DPoP DPoPConfig
	// CertificateBinding accepts opaque tokens bound to a client
	// certificate (cnf["x5t#S256"] in the response), as
	// JWTConfig.CertificateBinding does for JWTs; the zero value refuses
	// them.
	CertificateBinding CertificateBindingConfig

	// Logger receives failed introspections (never a token or secret).
	// Nil means slog.Default().
	Logger *slog.Logger
	// MeterProvider receives the introspection calls, their latency and
	// the cache lookups: apishield.auth.introspection.calls (attribute
	// outcome: active, inactive, invalid, failure),
	// apishield.auth.introspection.duration (seconds, same attribute)
	// and apishield.auth.introspection.cache.lookups (attribute result:
	// hit, negative_hit, miss). Nil means the global provider of
	// go.opentelemetry.io/otel when NewIntrospection runs.
	MeterProvider metric.MeterProvider
}

// LogValue logs the configuration without its secret or key.
func (c IntrospectionConfig) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("endpoint", c.Endpoint),
		slog.String("issuer", c.Issuer),
		slog.String("client_id", c.ClientID),
		slog.String("auth_method", string(c.AuthMethod)),
	)
}

// An Introspection verifies opaque bearer tokens by asking the issuer's
// introspection endpoint (RFC 7662) whether they are active, and builds
// the principal from the answer as [JWT] does from a token's claims. It
// is an [Authenticator] of [Bearer] credentials, safe for concurrent use.
//
// Each request POSTs token and token_type_hint=access_token with the
// configured client authentication, and accepts only a 200 response of
// Content-Type application/json, read up to MaxResponseSize and decoded
// by the claims decoder (duplicate members, invalid UTF-8 and deep nesting
// are refused). active must be the JSON value true: false is
// invalid_token ("token_inactive"), anything else or its absence is a
// failed introspection. Then iss, if present, must equal Issuer; aud must
// name one of Audience (see AllowMissingAudience); exp, nbf and iat, when
// present, are checked with Leeway (an active token past its exp is
// token_expired); token_type, if present, must be Bearer, DPoP or
// access_token, so a refresh token the endpoint reports active is
// refused (as is Keycloak's typ Refresh, Offline or ID); a DPoP token must
// carry cnf. The Principal has the response's sub, client_id, scope,
// roles, acr, amr, auth_time and exp as for a JWT, Method
// "introspection", and every member in Claims, cnf included, so that the
// middleware's check of sender-constrained tokens applies.
//
// Answers are cached by the token's SHA-256: an active token until its
// exp or for CacheTTL, whichever is sooner; a refused one for
// NegativeTTL. Concurrent requests with the same uncached token share one
// introspection. Endpoint failures are not cached; they refuse the token
// with an error wrapping [ErrKeysUnavailable] and
// [ErrIntrospectionUnavailable].
type Introspection struct {
	endpoint     string
	issuer       string
	audience     []string
	allowNoAud   bool
	client       clientAuth
	jwt          Authenticator
	leeway       time.Duration
	roles        []jsonpointer.Pointer
	maxToken     int
	http         *http.Client
	timeout      time.Duration
	maxBody      int64
	ttl, negTTL  time.Duration
	active, gone *answerCache // nil when disabled
	flights      singleflight.Group
	logger       *slog.Logger
	metrics      introspectionMetrics
	binding      *binding // DPoP and certificate binding; nil: neither
}

// NewIntrospection validates cfg and returns the authenticator. It makes
// no request: the endpoint is first called for the first token.
func NewIntrospection(cfg IntrospectionConfig) (*Introspection, error) {
	if cfg.Endpoint == "" {
		return nil, configErr("Endpoint is required")
	}
	if err := checkURL(cfg.Endpoint); err != nil {
		return nil, configErr("Endpoint: %v", err)
	}
	if err := checkIssuerAudience(cfg.Issuer, cfg.Audience); err != nil {
		return nil, err
	}
	in := &Introspection{
		endpoint:   cfg.Endpoint,
		issuer:     cfg.Issuer,
		audience:   slices.Clone(cfg.Audience),
		allowNoAud: cfg.AllowMissingAudience,
		jwt:        cfg.JWT,
		maxToken:   cfg.MaxTokenSize,
		timeout:    orDefault(cfg.Timeout, DefaultIntrospectionTimeout),
		maxBody:    cfg.MaxResponseSize,
		ttl:        orDefault(cfg.CacheTTL, DefaultIntrospectionCacheTTL),
		negTTL:     orDefault(cfg.NegativeTTL, DefaultIntrospectionNegativeTTL),
		logger:     cfg.Logger,
	}
	var err error
	if in.client, err = newClientAuth(cfg); err != nil {
		return nil, err
	}
	if in.jwt != nil && in.jwt.Kind() != Bearer {
		return nil, configErr("JWT must verify bearer tokens")
	}
	if in.binding, err = newBinding(cfg.DPoP, cfg.CertificateBinding); err != nil {
		return nil, err
	}
	if in.leeway, err = leewayOf(cfg.Leeway); err != nil {
		return nil, err
	}
	if in.maxToken == 0 {
		in.maxToken = DefaultMaxTokenSize
	} else if in.maxToken < 0 {
		return nil, configErr("MaxTokenSize must not be negative")
	}
	if in.timeout < 0 {
		return nil, configErr("Timeout must not be negative")
	}
	if in.maxBody == 0 {
		in.maxBody = DefaultMaxIntrospectionResponse
	} else if in.maxBody < 0 {
		return nil, configErr("MaxResponseSize must not be negative")
	}
	if in.roles, err = rolePointers(cfg.RolePaths); err != nil {
		return nil, err
	}
	size := cfg.CacheSize
	if size == 0 {
		size = DefaultCacheSize
	}
	if size > 0 {
		if in.ttl > 0 {
			in.active = newAnswerCache(size)
		}
		if in.negTTL > 0 {
			in.gone = newAnswerCache(size)
		}
	}
	in.http = cfg.HTTPClient
	if in.http == nil {
		in.http = &http.Client{Timeout: in.timeout}
	}
	// The request carries the client's credentials: it goes to the
	// configured endpoint or nowhere.
	c := *in.http
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	in.http = &c
	if in.logger == nil {
		in.logger = slog.Default()
	}
	in.metrics = newIntrospectionMetrics(cfg.MeterProvider)
	return in, nil
}

// Kind reports that an Introspection verifies bearer tokens.
func (in *Introspection) Kind() CredentialKind { return Bearer }

// Authenticate verifies a bearer token; see [Introspection.Verify].
func (in *Introspection) Authenticate(ctx context.Context, credential string) (*Principal, error) {
	return in.Verify(ctx, credential)
}

// Verify returns the principal of an active token. A refused token yields
// an error wrapping [ErrInvalidToken] or [ErrTokenExpired], or, when the
// endpoint gave no usable answer, [ErrKeysUnavailable] and
// [ErrIntrospectionUnavailable]; the [*VerifyError] in the chain names
// the check. With IntrospectionConfig.JWT set, a JWT-shaped token is
// verified by it instead.
//
// The returned Principal may be shared by calls for the same token and
// must be treated as read-only. ctx bounds the wait; the introspection
// itself, shared with concurrent callers, is bounded by the Timeout.
//
// A sender-constrained token (cnf in the response) is refused (check
// "unverified_binding"): Verify has no request to find the proof of
// possession in. The [Middleware] checks the binding when
// IntrospectionConfig.DPoP or CertificateBinding allows it.
func (in *Introspection) Verify(ctx context.Context, token string) (*Principal, error) {
	if in.jwt != nil && looksLikeJWT(token) {
		return in.jwt.Authenticate(ctx, token)
	}
	p, err := in.verifyOpaque(ctx, token)
	if err != nil {
		return nil, err
	}
	if err := checkConfirmation(p.Claims); err != nil {
		return nil, err
	}
	return p, nil
}

// authenticateBound lets the middleware check bound tokens (see binder):
// an opaque token against this authenticator's policy, a JWT-shaped one
// through the JWT authenticator's own.
func (in *Introspection) authenticateBound(ctx context.Context, token string) (*Principal, *binding, error) {
	if in.jwt != nil && looksLikeJWT(token) {
		if b, ok := in.jwt.(binder); ok {
			return b.authenticateBound(ctx, token)
		}
		p, err := in.jwt.Authenticate(ctx, token)
		return p, nil, err
	}
	p, err := in.verifyOpaque(ctx, token)
	return p, in.binding, err
}

// dpopChallenge is the policy's, or the JWT authenticator's when that
// one takes DPoP and this one does not.
func (in *Introspection) dpopChallenge() (bearer bool, algs string) {
	bearer, algs = in.binding.dpopChallenge()
	if c, ok := in.jwt.(dpopChallenger); ok && algs == "" {
		return c.dpopChallenge()
	}
	return bearer, algs
}

// spendOnce spends a one-time JWT through the JWT authenticator; opaque
// tokens are the issuer's to spend.
func (in *Introspection) spendOnce(ctx context.Context, p *Principal) error {
	if s, ok := in.jwt.(spender); ok && p.Method == MethodJWT {
		return s.spendOnce(ctx, p)
	}
	return nil
}

// verifyOpaque is Verify of an opaque token, without the refusal of cnf.
func (in *Introspection) verifyOpaque(ctx context.Context, token string) (*Principal, error) {
	if token == "" {
		return nil, invalid("empty_token")
	}
	if len(token) > in.maxToken {
		return nil, invalid("too_large")
	}
	k := hashToken(token)
	if a, ok := in.cached(&k, time.Now()); ok {
		return a.p, a.err
	}
	return in.shared(ctx, token, k)
}

// shared introspects token, or waits for the introspection of it that
// is under way. It takes k by value so that the cache lookup before it
// does not move the caller's key to the heap.
func (in *Introspection) shared(ctx context.Context, token string, k cacheKey) (*Principal, error) {
	ch := in.flights.DoChan(string(k[:]), func() (any, error) {
		// A flight that ended between the caller's lookup and this one
		// has left its answer in the cache.
		if a, ok := in.peek(&k, time.Now()); ok {
			return a, nil
		}
		// The introspection serves every caller waiting on it, so no
		// caller's cancellation may end it; Timeout bounds it.
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), in.timeout)
		defer cancel()
		return in.introspect(fctx, token, &k), nil
	})
	select {
	case r := <-ch:
		a := r.Val.(*answer)
		return a.p, a.err
	case <-ctx.Done():
		return nil, &VerifyError{Check: "introspection_canceled", Err: ErrKeysUnavailable, Cause: ctx.Err()}
	}
}

// looksLikeJWT reports whether token has the shape of a compact JWS: three
// segments, the first the base64url of a JSON object (`{"` encodes as
// "eyJ"). Opaque tokens of the issuers that use dots (Ory's
// "ory_at_….…") have one dot, and JWEs have four.
func looksLikeJWT(token string) bool {
	return strings.HasPrefix(token, "eyJ") && strings.Count(token, ".") == 2
}

// introspect asks the endpoint about token, records the outcome and
// caches the answer.
func (in *Introspection) introspect(ctx context.Context, token string, k *cacheKey) *answer {
	start := time.Now()
	body, err := in.post(ctx, token)
	var p *Principal
	if err == nil {
		p, err = in.parse(body, time.Now())
	}
	outcome := outcomeActive
	switch {
	case isUnavailable(err):
		outcome = outcomeFailure
		in.logger.LogAttrs(ctx, slog.LevelWarn, "auth: introspection failed",
			slog.String("endpoint", in.endpoint), slog.String("error", err.Error()))
	case CheckOf(err) == "token_inactive":
		outcome = outcomeInactive
	case err != nil:
		outcome = outcomeInvalid
	}
	in.metrics.called(ctx, outcome, time.Since(start))
	a := &answer{p: p, err: err}
	in.store(k, a, time.Now())
	return a
}

// isUnavailable reports whether err is a failure to verify, not a
// refusal of the token.
func isUnavailable(err error) bool { return errors.Is(err, ErrKeysUnavailable) }

// failed returns the error of an introspection without a usable answer.
func failed(check string, cause error) error {
	return &VerifyError{Check: check, Err: ErrKeysUnavailable, Cause: fmt.Errorf("%w: %w", ErrIntrospectionUnavailable, cause)}
}
