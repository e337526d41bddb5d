// Package auth establishes who is calling an API: OAuth 2.0 / OpenID
// Connect access tokens (JWTs) verified against the issuer's key set or
// opaque ones introspected at the issuer, API keys, and verified TLS
// client certificates. The authenticated caller is a [Principal] in the
// request's context, read with [FromContext].
//
// It is the front door, so it refuses every forged, replayed or confused
// token in the public literature (RFC 8725 and the CVEs of JWT libraries;
// testdata/attacks.json holds the corpus the tests run), and accepts tokens
// from real identity providers: Auth0, Keycloak, Entra ID, Okta, Google,
// panva's oidc-provider (which the tests run).
//
// # Wiring
//
//	jwt, err := auth.NewJWT(ctx, auth.JWTConfig{
//		Issuer:   "https://login.example.com/",
//		Audience: []string{"https://api.example.com"},
//		// JWKSURL empty: discovered from the issuer's openid-configuration.
//	})
//	keys, err := auth.NewAPIKeys(auth.APIKeysConfig{Store: store}) // optional
//	m, err := auth.New(auth.Config{Authenticators: []auth.Authenticator{jwt, keys}})
//
//	r.Use(m.Handler)            // chi, gorilla/mux
//	handler := m.Handler(mux)   // net/http ServeMux
//
// Put it after rate limiting by client IP (so floods are refused before
// any cryptography) and before authorization; see the README's stack order.
// Outside HTTP, [JWT.Verify] and [APIKeys.Verify] are the same decisions as
// plain methods.
//
// In tests and development, package auth/authtest plays the identity
// provider: it mints access tokens and serves its discovery document and
// key set, so the code under test runs this package's real verification.
//
// # Tokens
//
// [JWT.Verify] accepts only a compact JWS of three base64url segments, no
// larger than 8 KiB, checked byte by byte before any parsing. The JOSE
// header is decoded by auth itself: duplicate members are refused (the
// parser-differential trick), as are jku, x5u, jwk and x5c (no key or key
// URL is ever taken from a token), crit (auth implements no extension),
// b64:false, JWE parameters and nested JWTs (cty JWT). The algorithm must
// be on the allowlist (by default every RSA, RSA-PSS, ECDSA and EdDSA
// algorithm); "none" in any case and HMAC are never accepted. The key is
// chosen by kid (required when the set has more than one key) and must
// fit the algorithm: its declared alg, or else its type and curve. The
// signature is then checked with the standard library's crypto on the key
// material jwx parsed from the JWKS.
//
// The claims are decoded in one pass by a small decoder that refuses
// duplicate members and invalid UTF-8 (fuzzed against encoding/json). iss
// must equal Issuer exactly; aud must name one of Audience; exp is
// required; exp, nbf and iat are checked with Leeway (30 s by default, 5
// min at most) and must be JSON numbers, never strings. Options add a
// maximum lifetime and typ enforcement, including the RFC 9068 profile
// (Type: auth.TypeAccessToken) that refuses ID tokens used as access tokens.
//
// A token that carries cnf (RFC 7800) is bound to a key its sender must
// prove it holds, so that a stolen copy is worthless. Verify has no request
// to find that proof in, so it refuses every such token (invalid_token,
// check "unverified_binding"); the middleware accepts it when the
// authenticator is configured for the binding and the request proves it
// (see Sender-constrained tokens). An application's Authenticator is held
// to the strict rule: its principals with cnf are refused.
//
// The Principal carries sub, iss, client_id (or azp), aud, scopes (a
// "scope" string or an "scp" array or string), roles read from JSON
// Pointers (JWTConfig.RolePaths: "/realm_access/roles" for Keycloak,
// "/permissions" for Auth0, "/https:~1~1example.com~1roles" for a
// namespaced claim), acr, amr, auth_time, the expiry and the raw claims.
//
// scope, scp and amr hold RFC 6749 §3.3 scope tokens (visible ASCII but
// '"' and '\\'): a string is split on single spaces (SP) only, an array
// holds one token per element. A tab, a no-break space or any other
// Unicode space, a control byte, a quote, a backslash or a non-ASCII byte
// in them, or an empty token (two spaces in a row, a space at either end),
// is invalid_token ("scope_syntax", "amr_syntax"): splitting on every
// space would turn one issued scope "items:read<NBSP>admin" into two. An
// empty string is no scopes. API key records' scopes follow the same rule.
//
// # Key sets
//
// NewJWT fetches the key set once and fails if it cannot. Afterwards the
// set is refreshed in the background when its Cache-Control max-age,
// clamped to RefreshMin and RefreshMax, runs out. A kid the set lacks
// triggers one fetch, shared by all concurrent callers and at most one per
// RefetchInterval (10 s); kids still unknown afterwards are remembered, so
// a flood of random kids costs a handful of fetches, not one each. Each
// fetch is bounded by FetchTimeout and MaxJWKSSize (1 MiB). A failed fetch
// keeps the last good set for up to MaxStale (24 h); then every token is
// refused. Symmetric keys, private keys, encryption keys, RSA keys under
// 2048 bits, RSA keys with the ROCA fingerprint (CVE-2017-15361: made by
// Infineon's RSALib, factorable from the public key; the check costs about
// a microsecond per key per fetch) and unknown curves are dropped from the
// set, each logged once.
// A key removed upstream stops verifying, cached tokens included, at the
// next refresh. Keys are compared by what they verify (kid, declared alg
// and public key), not by the fetch that produced them, so a refresh that
// returns the same keys keeps every cached token; only the tokens of a key
// it removed or changed are verified again. [NewIssuers] serves several issuers, each token checked
// against its own issuer's keys only.
//
// Verified tokens are cached by their SHA-256 (never the token itself), up
// to CacheSize entries; a hit re-checks exp, nbf and iat and that the
// token's key is still in the set. This is why a repeated token costs well
// under a microsecond of the signature check.
//
// # One-time tokens and the replay cache
//
// A [ReplayCache] remembers identifiers that may be used once until they
// expire. With JWTConfig.OneTime set, every access token must carry a jti
// and is spent when it first passes every check: a second presentation,
// to any verifier sharing the cache, is invalid_token (check
// "token_replayed"), the verified-token cache included. Tokens refused for
// another reason (forged, expired) spend nothing, so a forgery naming
// someone's jti cannot burn it. Entries are keyed by the issuer and the
// jti, never by the token's bytes: re-encoding an ECDSA signature (s and
// n−s both verify) makes a different token but the same use, refused.
//
// [NewMemoryReplayCache] is exact within one process, bounded (a full
// cache refuses new identifiers, ErrReplayCacheFull, rather than forget
// live ones) and needs no goroutine. Behind a load balancer, share one
// through Redis with auth/redisstore, which fails closed by default while
// Redis is down. A cache that cannot answer refuses the token as
// ErrKeysUnavailable (check "replay_cache_unavailable").
//
// # Sender-constrained tokens
//
// JWTConfig.DPoP ([DPoPConfig]) accepts DPoP-bound tokens (RFC 9449),
// sent as "Authorization: DPoP <token>" with a proof in the DPoP header.
// In [DPoPAllowed] mode unbound tokens still come as Bearer; in
// [DPoPRequired] mode every token must be bound. Neither crosses over: a
// token with cnf.jkt sent as Bearer, or one without it sent as DPoP, is
// refused, so a bound token cannot be downgraded to a bearer one.
//
// The proof is checked, each step with its own check name: exactly one
// DPoP header of at most MaxProofSize (4 KiB); a compact JWS; typ
// dpop+jwt; alg on the allowlist (ES256, ES384, EdDSA, PS256, RS256 by
// default; never none or HMAC); a jwk header that is a public key only (a
// private member is refused) of the algorithm's type, which verifies the
// signature; htm equal to the method; htu equal to PublicOrigin and the
// request's path, without query or fragment, after RFC 3986 normalization
// (the request's Host header is never used); iat within MaxAge (60 s) and
// Leeway (5 s); the server nonce, if configured; ath, the hash of the token;
// the RFC 7638 thumbprint of the jwk equal to the token's cnf.jkt; and last
// the jti, new to the ReplayCache for the proof's lifetime (keyed by
// thumbprint and jti, never the signature bytes; a cache error refuses).
// [DPoPNonceConfig] adds stateless server nonces (RFC 9449 §8) shared by
// every instance with the same keys: a proof without one, or with a stale
// or forged one, is 401 use_dpop_nonce with a fresh nonce in DPoP-Nonce;
// a response also carries one when the proof's nonce is about to expire.
//
// JWTConfig.CertificateBinding ([CertificateBindingConfig]) accepts
// certificate-bound tokens (RFC 8705): cnf["x5t#S256"] must be the SHA-256
// thumbprint of the client certificate of the request's TLS connection,
// or, opt-in, of the certificate a trusted TLS-terminating proxy forwards
// in the RFC 9440 Client-Cert header (believed only from the configured
// proxy addresses, bounded in size). No certificate, another one, or a
// token with a cnf member auth does not verify (jwk, x5t…) is refused.
//
// Both bindings are checked per request, on the verified-token cache's
// hit path too, and the principal says which one held (Principal.Binding:
// "dpop", "mtls" or ""). authz.SenderConstrained requires a binding on a
// route, for an authenticator that also takes bearer tokens.
//
// # API keys
//
// Keys look like "ask_<16 hex ID>_<43 base64url characters>": the prefix
// lets secret scanners find leaked keys, the ID is a public lookup handle,
// and the rest is 256 random bits. Stores keep only "sha256:<hex>" of the
// key, compared in constant time. [GenerateAPIKey] (or go run
// ./examples/apikey) makes a key and its record; [LoadAPIKeysFile] reads a
// JSON file of records; any [APIKeyStore] can replace it.
//
// # Opaque tokens
//
// An issuer that hands out opaque access tokens vouches for them only
// through its introspection endpoint (RFC 7662). [NewIntrospection] makes
// an Authenticator that asks it, authenticated as the API's client with
// client_secret_basic, client_secret_post or private_key_jwt:
//
//	in, err := auth.NewIntrospection(auth.IntrospectionConfig{
//		Endpoint:     "https://login.example.com/oauth2/introspect",
//		Issuer:       "https://login.example.com/",
//		Audience:     []string{"https://api.example.com"},
//		ClientID:     "orders-api",
//		ClientSecret: secret, // or PrivateKey: key, for private_key_jwt
//		JWT:          jwt,    // optional: JWT-shaped tokens verified locally
//	})
//	m, err := auth.New(auth.Config{Authenticators: []auth.Authenticator{in, keys}})
//
// The answer is read up to 64 KiB and must be JSON with active exactly
// true; aud must name one of Audience, iss (if present) equal Issuer, the
// times hold, and a refresh token reported active is refused. The
// principal is built as from a JWT's claims, with Method "introspection".
// Answers are cached by the token's SHA-256: an active token until its
// exp or for 5 minutes (CacheTTL), whichever is sooner, so a token revoked
// at the issuer may be accepted that long; a refused one for 10 seconds.
// Concurrent look-ups of one token share one call. An endpoint that fails
// or times out refuses the token as keys unavailable do (invalid_token,
// recorded as an error), and nothing is cached.
//
// # Requests
//
// The middleware reads "Authorization: Bearer" (scheme case-insensitive),
// "Authorization: ApiKey" or "X-API-Key", and optionally a cookie
// (Config.Cookie). API keys may also be read from one more header, query
// parameter or cookie (Config.APIKeyHeader, APIKeyQuery, APIKeyCookie),
// as an OpenAPI document's apiKey schemes declare them. Several
// Authorization headers, two API keys (in one place or two), both kinds
// at once, or an access_token in the query string are refused. The
// Authorization header is taken only in its canonical spelling: the
// scheme, exactly one space, the credential ([ParseAuthorization]). Two
// spaces, a tab, or whitespace before or after is malformed (401
// invalid_token), so one credential has one spelling for everything keyed
// on it, such as a rate limit by API key. "Authorization: DPoP" carries a
// bearer-kind token with a proof; where DPoP is disabled it is refused
// (invalid_token, check "dpop_unsupported"), not ignored like Basic: a
// DPoP-bound token is a credential, and ignoring it would let the request
// through as anonymous or as its client certificate.
//
// No credential is a 401 unauthenticated (unless Config.AllowAnonymous); a
// bad one is 401 invalid_token or token_expired. Every refusal is an RFC
// 9457 problem written through the errors package, with an RFC 6750
// WWW-Authenticate challenge whose description is generic (shown for a
// middleware with JWT and API key authenticators and the default realm;
// the challenge names the scheme of the refused credential):
//
//	no credential, or Basic…   401 unauthenticated  Bearer realm="api", ApiKey realm="api"
//	malformed or ambiguous,    401 invalid_token    Bearer realm="api", error="invalid_token",
//	forged, unverified binding,                         error_description="The credential is invalid"
//	revoked, replayed
//	expired                    401 token_expired    Bearer realm="api", error="invalid_token",
//	                                                    error_description="The credential is expired"
//	keys unavailable,          401 invalid_token    as invalid (recorded as an error, not a denial)
//	revocations stale
//	bad DPoP proof             401 invalid_dpop_proof  DPoP realm="api", algs="ES256 …",
//	                                                    error="invalid_dpop_proof", error_description=…
//	DPoP nonce needed          401 use_dpop_nonce   DPoP realm="api", algs="…", error="use_dpop_nonce", …
//	                                                    and DPoP-Nonce: <a fresh nonce>
//
// Where the Bearer authenticator takes DPoP, its challenges add
// DPoP realm="api", algs="…" beside Bearer's (only DPoP's in
// DPoPRequired mode), the refused credential's scheme first.
//
// With only ClientCertificate configured, a 401 has no WWW-Authenticate.
// A request let through as anonymous carries the unauthenticated problem
// in its context, and authz refuses it with that same problem when a route
// needs a caller ([UnauthenticatedProblem]): one challenge, realm and
// schemes included, from one place.
//
// Which check failed (for example "alg_none", "unknown_kid",
// "malformed_authorization", "scope_syntax", "unverified_binding" or
// "dpop_htu", see
// [CheckOf]) goes to the request record's decision and to the debug log,
// never to the client.
//
// # Client certificates
//
// With mutual TLS, the TLS handshake already verified the client's
// certificate; Config.ClientCertificate ([PeerFunc]) lets the middleware
// turn it into a Principal{Method: "mtls", Subject: …}. auth does not
// import tlsconfig, so the application joins them:
//
//	m, err := auth.New(auth.Config{
//		Authenticators: []auth.Authenticator{jwt, keys}, // optional with certificates
//		ClientCertificate: func(r *http.Request) (string, bool) {
//			id, ok := tlsconfig.PeerIdentity(r)
//			return id.Subject(), ok
//		},
//	})
//
// The subject is tlsconfig's Identity.Subject: the SPIFFE ID, else the
// first URI, DNS name or email SAN, else the common name. The principal
// carries nothing else (no issuer, scopes or roles): map the subject to
// permissions in an authz.Func rule, or narrow the accepted certificates
// with tlsconfig's allow-lists.
//
// Precedence: a credential in the request (Authorization, X-API-Key, the
// configured cookie, or a token in the query) always wins. It is verified
// as usual and the certificate is not consulted, so a certificate never
// rescues a bad, expired or ambiguous token: that is a 401 as without a
// certificate. Only a request with no credential auth takes (none at all,
// a scheme such as Basic, or a kind no Authenticator verifies) is
// authenticated by its certificate; the DPoP scheme is not such a scheme,
// it is verified or refused. (Certificate-bound tokens are another matter:
// there the certificate is checked against the token, see
// Sender-constrained tokens.) A verified certificate whose subject is
// empty is refused as invalid_token (check "empty_subject"), not treated as
// absent. A certificate that was presented but not verified is no
// identity: PeerIdentity reports false for it, and tlsconfig refuses
// client-authentication modes that skip verification. The request record
// gets the principal and an allow decision with reason "mtls", as for the
// other methods.
//
// With only ClientCertificate configured, a 401 carries no
// WWW-Authenticate header: no HTTP authentication scheme asks for a
// certificate (the TLS handshake does).
//
// # Revocation
//
// A JWT is valid until it expires, so a stolen one works until then unless
// it is revoked. Config.Revocations is checked after every successful
// authentication, by any authenticator or client certificate, and for JWTs
// answered from the verified-token cache too; a revoked credential is a
// 401 invalid_token, recorded with the check "token_revoked" (audit logs
// it as authn_token_reuse). A [Revocation] names one token (its jti), every
// credential of a subject, or a subject's credentials issued before a time
// ("sign out everywhere"), optionally of one issuer, and carries an
// expiry after which it is forgotten:
//
//	revs, err := auth.NewRevocationList(auth.RevocationListConfig{OnRevoke: auditRevocation})
//	m, err := auth.New(auth.Config{Authenticators: …, Revocations: revs})
//	err = revs.Revoke(ctx, auth.Revocation{Subject: sub, Issuer: iss,
//		IssuedBefore: time.Now(), Expires: time.Now().Add(maxTokenLifetime)})
//
// A [RevocationList] serves one instance; auth/redisstore shares
// revocations between instances through Redis, each keeping a local copy.
// Either way the check answers from memory, with no lock and no
// allocation (about 50 ns with 10 000 revocations). Principal.TokenID and
// Principal.IssuedAt, which revocations match, are the token's jti and iat
// (a jti that is not a string is refused); an application's Authenticator
// should fill them when its credentials have them. A sign-out refuses a
// credential without IssuedAt. Revocations do not reach the issuer: the
// token also stays valid at other services that do not share the view.
//
// # Monitoring
//
// auth reports through the OpenTelemetry API, under the scope
// github.com/apishield/apishield/auth, to Config.MeterProvider and
// JWTConfig.MeterProvider (the global provider if nil); nothing is
// recorded until the application installs an SDK:
//
//   - apishield.auth.decisions, a counter of the middleware's decisions
//     with attributes outcome (allow, deny), reason (ok, unauthenticated,
//     invalid_token, token_expired, invalid_dpop_proof, use_dpop_nonce)
//     and method (jwt, apikey, mtls, anonymous, none, introspection). A
//     refusal counts by the credential's kind: jwt for bearer tokens, DPoP
//     ones included, or introspection where an Introspection takes them;
//     apikey for API keys. An application's Authenticator that names
//     another method is counted the same way. A key set that cannot be
//     fetched shows as invalid_token here and as failures below.
//   - apishield.auth.jwks.fetches, a counter of key set fetches with
//     attribute outcome (success, failure).
//   - apishield.auth.jwks.age, a gauge in seconds: the age of the oldest
//     key set in use by the provider's verifiers, since its last
//     successful fetch. An alert well above RefreshMax means fetches fail.
//   - apishield.auth.token_cache.lookups, a counter of verified-token cache
//     lookups with attribute result (hit, miss).
//   - apishield.auth.introspection.calls, a counter of introspection
//     calls with attribute outcome (active, inactive, invalid, failure),
//     and apishield.auth.introspection.duration, their latency in seconds
//     with the same attribute.
//   - apishield.auth.introspection.cache.lookups, a counter of
//     introspection cache lookups with attribute result (hit,
//     negative_hit, miss).
//   - apishield.auth.replay_cache.replays, a counter of the uses a memory
//     replay cache refused as seen before, with attribute store (memory);
//     apishield.auth.replay_cache.errors, of the new ones it refused because
//     it was full, with store (memory) and mode (fail_closed); and
//     apishield.auth.replay_cache.entries, a gauge of the keys the memory
//     caches hold. MemoryReplayConfig.MeterProvider receives them.
//     auth/redisstore reports its own under the same names, with store
//     (redis).
//   - apishield.auth.revocations.applied, a counter of revocations a
//     [RevocationList] took in (new ones, not repeats) with attribute
//     selector (token_id, subject, issued_before), and
//     apishield.auth.revocations.entries, a gauge of those it holds, from
//     RevocationListConfig.MeterProvider. A revoked credential is counted
//     as invalid_token among the decisions.
//
// Each decision also adds the event apishield.auth.decision, with the
// same attributes, to the request context's span when it is recording.
// Attributes never hold a subject, token, key or issuer.
//
// # Security
//
// auth does not:
//   - decrypt JWE, or unwrap nested tokens: encrypted tokens are refused;
//   - learn of revocations at the issuer for JWTs: a JWT is refused as
//     revoked only through Config.Revocations, so keep access token
//     lifetimes short. Introspected tokens are checked at the issuer, but
//     their answers are cached (CacheTTL);
//   - accept a sender-constrained token without its binding configured
//     and proven: DPoP and certificate binding are off by default, and
//     JWT.Verify, which has no request, refuses every bound token;
//   - catch a DPoP proof replayed to another instance unless
//     DPoPConfig.ReplayCache is shared between instances: its default,
//     an in-process cache, catches replays to this instance only;
//   - verify client certificates: TLS does (see tlsconfig). A
//     ClientCertificate function must report only verified identities,
//     and behind a TLS-terminating proxy r.TLS is nil, so there are none;
//   - authorize: a valid token says who the caller is, not what they may
//     do. Use authz for scopes, roles and ownership;
//   - limit rates: put ratelimit in front, so refusing garbage stays cheap
//     (it already costs far less than a signature check);
//   - verify the issuer's TLS beyond what the HTTP client does: the issuer
//     and key set URLs must be https, except for loopback hosts.
//
// The Principal returned from the cache is shared between requests that
// present the same token; treat it as read-only.
package auth
