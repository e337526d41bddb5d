package auth

import (
	"context"
	"fmt"
	"github.com/apishield/apishield/internal/jsonpointer"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"go.opentelemetry.io/otel/metric"
)

// Defaults and limits for JWTConfig's time fields.
const (
	DefaultLeeway = 30 * time.Second
	MaxLeeway     = 5 * time.Minute
)

// TypeAccessToken is the JWT access token media type of RFC 9068. Setting
// JWTConfig.Type to it enforces the RFC 9068 profile.
const TypeAccessToken = "at+jwt"

// JWTConfig configures a JWT verifier for one issuer. The zero value of
// every optional field is the strict default it documents. A config must
// not be modified after it is passed to [NewJWT].
type JWTConfig struct {
	// Issuer is the exact iss the tokens must carry. Required. It must be
	// an https URL, or http for a loopback host.
	Issuer string
	// Audience lists the accepted aud values; a token must name at least
	// one of them. Required.
	Audience []string
	// JWKSURL is where the issuer publishes its keys. Empty means OIDC
	// discovery: the jwks_uri of Issuer + "/.well-known/openid-configuration",
	// whose issuer must equal Issuer exactly.
	JWKSURL string
	// Algorithms is the allowlist of JWS algorithms. Empty means
	// [DefaultAlgorithms] (RS256/384/512, PS256/384/512, ES256/384/512,
	// EdDSA). "none" and HMAC algorithms are refused at construction.
	Algorithms []string
	// Leeway absorbs clock skew in exp, nbf and iat. Zero means
	// [DefaultLeeway] (30 s); more than [MaxLeeway] (5 min) is refused.
	Leeway time.Duration
	// MaxLifetime, if set, refuses tokens whose exp is further than this
	// after their iat (and then requires iat). Zero means no limit.
	MaxLifetime time.Duration
	// Type, if set, is the typ header every token must carry, compared as
	// RFC 7515 asks. [TypeAccessToken] ("at+jwt") also enforces RFC 9068's
	// required claims (sub, client_id, iat, jti), which refuses ID tokens
	// presented as access tokens. Empty means typ is not checked.
	Type string
	// RolePaths are JSON Pointers (RFC 6901) to the claims holding roles:
	// "/realm_access/roles" (Keycloak), "/resource_access/my-client/roles",
	// "/permissions" (Auth0), "/https:~1~1example.com~1roles" (a namespaced
	// claim). Each may hold a string or an array of strings. Empty means
	// {"/roles"}.
	RolePaths []string
	// MaxTokenSize bounds a token before it is parsed. Zero means
	// [DefaultMaxTokenSize] (8 KiB).
	MaxTokenSize int

	// HTTPClient fetches discovery and key set documents. Nil means a
	// client with FetchTimeout. Unless the client sets its own
	// CheckRedirect, redirects are followed only to https (or loopback
	// http) URLs, at most three.
	HTTPClient *http.Client
	// FetchTimeout bounds each fetch. Zero means 10 s.
	FetchTimeout time.Duration
	// MaxJWKSSize bounds a discovery or key set response. Zero means 1 MiB.
	MaxJWKSSize int64
	// RefreshMin and RefreshMax clamp how long a fetched key set is used
	// before it is fetched again: the response's Cache-Control max-age,
	// or RefreshMax without one. Zero means 5 min and 1 h.
	RefreshMin, RefreshMax time.Duration
	// MaxStale is how long the last good key set keeps serving while
	// fetches fail; after that every token is refused. Zero means 24 h.
	MaxStale time.Duration
	// RefetchInterval is the least time between fetches off the schedule:
	// on-demand ones for an unknown kid, and retries after a failure.
	// Concurrent demands share one fetch. Zero means 10 s.
	RefetchInterval time.Duration

	// DPoP configures DPoP-bound tokens (RFC 9449): whether the
	// "Authorization: DPoP" scheme and tokens with cnf.jkt are accepted,
	// with which proofs. The zero value refuses both. The middleware checks
	// proofs; [JWT.Verify], which has no request, refuses every bound token.
	DPoP DPoPConfig
	// CertificateBinding configures certificate-bound tokens (RFC 8705):
	// tokens with cnf["x5t#S256"] are accepted on a request that presents
	// that client certificate. The zero value refuses them. As for DPoP,
	// the middleware checks the binding and Verify refuses bound tokens.
	CertificateBinding CertificateBindingConfig

	// CacheSize bounds the verified-token cache, in tokens. Zero means
	// 10000; negative disables the cache.
	CacheSize int
	// OneTime, if set, makes every token usable once: a token must carry
	// a jti (else it is refused, check "jti_missing"), which is
	// remembered in OneTime until the token's exp plus Leeway, and a
	// second presentation, here or at any verifier sharing the cache, is
	// refused as invalid_token (check "token_replayed"), from the
	// verified-token cache too. A cache that cannot answer refuses the
	// token (check "replay_cache_unavailable", [ErrKeysUnavailable]),
	// unless it is configured to fail open. Nil means a token is usable
	// until it expires, as bearer tokens are.
	OneTime ReplayCache
	// Logger receives key set fetch failures and dropped keys. Nil means
	// slog.Default().
	Logger *slog.Logger
	// MeterProvider receives the key set fetches, the key set's age and the
	// token cache's lookups (see the package documentation, Monitoring).
	// Nil means the global provider of go.opentelemetry.io/otel when NewJWT
	// runs, which does nothing until the application installs an SDK.
	MeterProvider metric.MeterProvider
}

// A JWT verifies access tokens from one issuer. It is safe for concurrent
// use. Its key set refreshes in the background while it is used; it holds
// no goroutine while idle, so it needs no Close.
type JWT struct {
	issuer    string
	audience  []string
	algs      []*algInfo
	leeway    time.Duration
	lifetime  time.Duration
	typ       string
	rfc9068   bool
	roles     []jsonpointer.Pointer
	maxSize   int
	keys      *jwksSource
	cache     *tokenCache
	oneTime   ReplayCache
	jwksURL   string
	algsNames []string
	binding   *binding // nil: every bound token is refused
}

// checkIssuerAudience checks the two settings every token verifier needs:
// the issuer, an https URL (or loopback http), and at least one audience,
// none empty.
func checkIssuerAudience(issuer string, audience []string) error {
	if issuer == "" {
		return configErr("Issuer is required")
	}
	if err := checkURL(issuer); err != nil {
		return configErr("Issuer: %v", err)
	}
	if len(audience) == 0 || slices.Contains(audience, "") {
		return configErr("Audience is required and its entries must not be empty")
	}
	return nil
}

// NewJWT validates cfg, discovers the key set URL if needed, and fetches
// the key set once, failing if it cannot: a verifier that starts without
// keys would refuse every token, which is better found at start-up. ctx
// bounds only this start-up work.
func NewJWT(ctx context.Context, cfg JWTConfig) (*JWT, error) {
	if err := checkIssuerAudience(cfg.Issuer, cfg.Audience); err != nil {
		return nil, err
	}
	j := &JWT{
		issuer:   cfg.Issuer,
		audience: slices.Clone(cfg.Audience),
		leeway:   cfg.Leeway,
		lifetime: cfg.MaxLifetime,
		typ:      cfg.Type,
		maxSize:  cfg.MaxTokenSize,
		oneTime:  cfg.OneTime,
	}
	names := cfg.Algorithms
	if len(names) == 0 {
		names = supportedAlgs
	}
	for _, n := range names {
		switch a := lookupAlg(n); {
		case strings.EqualFold(n, "none"):
			return nil, configErr(`algorithm "none" is never accepted`)
		case strings.HasPrefix(strings.ToUpper(n), "HS"):
			return nil, configErr("HMAC algorithm %s cannot be verified against a public key set", n)
		case a == nil:
			return nil, configErr("unsupported algorithm %q", n)
		default:
			if !slices.Contains(j.algs, a) {
				j.algs = append(j.algs, a)
				j.algsNames = append(j.algsNames, a.name)
			}
		}
	}
	var err error
	if j.leeway, err = leewayOf(cfg.Leeway); err != nil {
		return nil, err
	}
	if j.lifetime < 0 {
		return nil, configErr("MaxLifetime must not be negative")
	}
	if j.maxSize == 0 {
		j.maxSize = DefaultMaxTokenSize
	} else if j.maxSize < 0 {
		return nil, configErr("MaxTokenSize must not be negative")
	}
	j.rfc9068 = typMatches(j.typ, TypeAccessToken)
	if j.binding, err = newBinding(cfg.DPoP, cfg.CertificateBinding); err != nil {
		return nil, err
	}
	if j.roles, err = rolePointers(cfg.RolePaths); err != nil {
		return nil, err
	}

	src := &jwksSource{
		client:          cfg.HTTPClient,
		timeout:         orDefault(cfg.FetchTimeout, DefaultFetchTimeout),
		maxBytes:        cfg.MaxJWKSSize,
		refreshMin:      orDefault(cfg.RefreshMin, DefaultRefreshMin),
		refreshMax:      orDefault(cfg.RefreshMax, DefaultRefreshMax),
		maxStale:        orDefault(cfg.MaxStale, DefaultMaxStale),
		refetchInterval: orDefault(cfg.RefetchInterval, DefaultRefetchInterval),
		logger:          cfg.Logger,
		negative:        make(map[string]time.Time),
		logged:          make(map[string]bool),
	}
	for _, d := range []time.Duration{cfg.FetchTimeout, cfg.RefreshMin, cfg.RefreshMax, cfg.MaxStale, cfg.RefetchInterval} {
		if d < 0 {
			return nil, configErr("key set durations must not be negative")
		}
	}
	if src.refreshMin > src.refreshMax {
		return nil, configErr("RefreshMin is greater than RefreshMax")
	}
	if src.maxBytes == 0 {
		src.maxBytes = DefaultMaxJWKSSize
	} else if src.maxBytes < 0 {
		return nil, configErr("MaxJWKSSize must not be negative")
	}
	if src.client == nil {
		src.client = newHTTPClient(src.timeout)
	} else if src.client.CheckRedirect == nil {
		c := *src.client
		c.CheckRedirect = checkRedirect
		src.client = &c
	}
	if src.logger == nil {
		src.logger = slog.Default()
	}
	switch {
	case cfg.CacheSize == 0:
		j.cache = newTokenCache(DefaultCacheSize)
	case cfg.CacheSize > 0:
		j.cache = newTokenCache(cfg.CacheSize)
	}

	src.metrics = newJWTMetrics(cfg.MeterProvider, src)

	startCtx, cancel := context.WithTimeout(ctx, src.timeout)
	defer cancel()
	j.jwksURL = cfg.JWKSURL
	if j.jwksURL == "" {
		u, err := discover(startCtx, src.client, cfg.Issuer, src.maxBytes)
		if err != nil {
			return nil, fmt.Errorf("auth: OIDC discovery for %s: %w", cfg.Issuer, err)
		}
		j.jwksURL = u
	}
	if err := checkURL(j.jwksURL); err != nil {
		return nil, configErr("JWKSURL: %v", err)
	}
	src.url = j.jwksURL
	set, age, err := src.fetch(startCtx)
	if err != nil {
		return nil, fmt.Errorf("auth: fetching the key set from %s: %w", j.jwksURL, err)
	}
	now := time.Now()
	src.cur.Store(&snapshot{set: set, fetched: now, next: now.Add(src.clampAge(age))})
	src.lastAttempt = now
	j.keys = src
	return j, nil
}

func configErr(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidConfig}, args...)...)
}

func orDefault(d, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d
}

// Issuer returns the issuer the verifier accepts.
func (j *JWT) Issuer() string { return j.issuer }

// JWKSURL returns the key set URL, configured or discovered.
func (j *JWT) JWKSURL() string { return j.jwksURL }

// Verify checks token and returns the principal it proves. A refused token
// yields an error wrapping [ErrInvalidToken], [ErrTokenExpired] or
// [ErrKeysUnavailable], with a [*VerifyError] naming the failed check.
//
// A token verified before is answered from the cache after its time
// claims are checked again and its key is confirmed still in the set. With
// JWTConfig.OneTime, each token that passes every check, from the cache or
// not, is then spent. The returned Principal may be shared by calls for the
// same token and must be treated as read-only.
//
// A sender-constrained token (one with cnf) is refused (check
// "unverified_binding"): Verify has no request to find the proof of
// possession in. The [Middleware] checks the binding of such tokens when
// JWTConfig.DPoP or CertificateBinding allows them; outside HTTP handlers,
// call [Middleware.Authenticate] with the request.
func (j *JWT) Verify(ctx context.Context, token string) (*Principal, error) {
	p, err := j.verifyAny(ctx, token)
	if err != nil {
		return nil, err
	}
	if err := checkConfirmation(p.Claims); err != nil {
		return nil, err
	}
	if err := j.spendOnce(ctx, p); err != nil {
		return nil, err
	}
	return p, nil
}

// verifyAny is Verify without the refusal of cnf and without spending a
// one-time token: the middleware spends it once the binding is checked
// too, so that a thief without the key cannot burn the holder's token.
func (j *JWT) verifyAny(ctx context.Context, token string) (*Principal, error) {
	if len(token) > j.maxSize {
		return nil, invalid("too_large")
	}
	now := time.Now()
	set, err := j.keys.current(ctx, now)
	if err != nil {
		return nil, err
	}
	var sum cacheKey
	if j.cache != nil {
		sum = hashToken(token)
		p, err, ok := j.cache.get(&sum, j, set, now)
		j.keys.metrics.looked(ok)
		if ok {
			if err != nil {
				return nil, err
			}
			return p, nil
		}
	}
	p, e, err := j.verify(ctx, token, set)
	if err != nil {
		return nil, err
	}
	if j.cache != nil {
		j.cache.put(&sum, e)
	}
	return p, nil
}

// verify is Verify without the cache.
func (j *JWT) verify(ctx context.Context, token string, set *keySet) (*Principal, *cacheEntry, error) {
	c, err := splitCompact(token, j.maxSize)
	if err != nil {
		return nil, nil, err
	}
	h, err := parseHeader(c.header)
	if err != nil {
		return nil, nil, err
	}
	alg := j.algorithm(h.alg)
	if alg == nil {
		switch {
		case strings.EqualFold(stringOf(h.alg), "none"):
			return nil, nil, invalid("alg_none")
		case len(h.alg) >= 2 && (h.alg[0]|0x20) == 'h' && (h.alg[1]|0x20) == 's':
			return nil, nil, invalid("alg_hmac")
		}
		return nil, nil, invalid("alg_not_allowed")
	}
	if isNestedJWT(h.cty) {
		return nil, nil, invalid("nested_jwt")
	}
	if j.typ != "" && !typMatches(h.typ, j.typ) {
		return nil, nil, invalid("typ_mismatch")
	}
	key, err := j.selectKey(ctx, set, h.kid, alg)
	if err != nil {
		return nil, nil, err
	}
	if !key.verify(alg, bytesOf(c.input), c.sig) {
		return nil, nil, invalid("bad_signature")
	}
	return j.claims(c.payload, key)
}

func (j *JWT) algorithm(name []byte) *algInfo {
	for _, a := range j.algs {
		if a.name == stringOf(name) {
			return a
		}
	}
	return nil
}

// selectKey finds the key for kid and alg. A kid the set lacks triggers one
// (shared, rate-limited) fetch. Without a kid, the set must hold exactly
// one key. The key must fit the algorithm: its declared alg, or else its
// type and curve.
func (j *JWT) selectKey(ctx context.Context, set *keySet, kid []byte, alg *algInfo) (*verifyKey, error) {
	if kid == nil {
		if len(set.keys) != 1 {
			return nil, invalid("kid_required")
		}
		if !set.keys[0].fits(alg) {
			return nil, invalid("key_alg_mismatch")
		}
		return set.keys[0], nil
	}
	cands := set.byKID[stringOf(kid)]
	if len(cands) == 0 {
		set = j.keys.unknownKID(ctx, string(kid))
		cands = set.byKID[stringOf(kid)]
	}
	if len(cands) == 0 {
		// A lone key published without a kid still verifies tokens that
		// name one: some issuers omit kid from a single-key set.
		if len(set.keys) == 1 && set.keys[0].kid == "" {
			cands = set.keys
		} else {
			return nil, invalid("unknown_kid")
		}
	}
	for _, k := range cands {
		if k.fits(alg) {
			return k, nil
		}
	}
	return nil, invalid("key_alg_mismatch")
}

// Kind reports that a JWT verifies bearer tokens.
func (j *JWT) Kind() CredentialKind { return Bearer }

// Authenticate verifies a bearer token; see [JWT.Verify].
func (j *JWT) Authenticate(ctx context.Context, credential string) (*Principal, error) {
	return j.Verify(ctx, credential)
}

// authenticateBound lets the middleware check bound tokens (see binder).
func (j *JWT) authenticateBound(ctx context.Context, credential string) (*Principal, *binding, error) {
	p, err := j.verifyAny(ctx, credential)
	return p, j.binding, err
}
