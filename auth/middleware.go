package auth

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"go.opentelemetry.io/otel/metric"

	apierrors "github.com/apishield/apishield/errors"
	"github.com/apishield/apishield/internal/record"
	"github.com/apishield/apishield/internal/telemetry"
)

// An Authenticator verifies one kind of credential. [*JWT], [*Issuers] and
// [*APIKeys] are Authenticators; applications may add their own.
//
// Authenticate returns the principal the credential proves, or an error
// wrapping [ErrInvalidToken], [ErrTokenExpired] or [ErrKeysUnavailable].
// It must be safe for concurrent use. An application's Authenticator sees
// no request, so it cannot prove a token's binding: the middleware refuses
// its principals whose claims carry cnf, and the DPoP scheme for it.
type Authenticator interface {
	Kind() CredentialKind
	Authenticate(ctx context.Context, credential string) (*Principal, error)
}

// Config configures the middleware.
type Config struct {
	// Authenticators verify credentials, at most one per kind. Required
	// unless ClientCertificate is set.
	Authenticators []Authenticator
	// ClientCertificate, if not nil, reports the verified TLS client
	// certificate identity of a request (see [PeerFunc]; wire
	// tlsconfig.PeerIdentity here). A request with no credential auth takes
	// (see Authenticate) but with a verified client certificate is then
	// authenticated as Principal{Method: "mtls", Subject: subject}. A
	// header or cookie credential always wins: it is verified as usual and
	// the certificate is not consulted, so a bad token next to a good
	// certificate is still a 401. Nil means client certificates are
	// ignored.
	ClientCertificate PeerFunc
	// AllowAnonymous lets requests without any credential through without
	// a principal (the handler or authz decides; authz's 401 for them is
	// this middleware's own, see [UnauthenticatedProblem]). Bad credentials
	// are refused either way. False means no credential is a 401.
	AllowAnonymous bool
	// Cookie, if not empty, names a cookie read as a bearer token when the
	// request has no Authorization or X-API-Key header. It must be a
	// cookie name (an RFC 9110 token). Empty means cookies are ignored.
	Cookie string
	// APIKeyHeader, if not empty, names a header read as an API key, as
	// X-API-Key is (an OpenAPI apiKey scheme "in: header"). X-API-Key and
	// "Authorization: ApiKey" are read as well. Empty means no other header.
	APIKeyHeader string
	// APIKeyQuery, if not empty, names a query parameter read as an API
	// key (an apiKey scheme "in: query"). Keys in URLs end up in access
	// logs and browser histories: prefer a header. Empty means the query
	// is not read.
	APIKeyQuery string
	// APIKeyCookie, if not empty, names a cookie read as an API key (an
	// apiKey scheme "in: cookie"). It must differ from Cookie. Empty means
	// no API key cookie.
	//
	// Whatever places are configured, a request carries at most one API
	// key: two (in one place or in two, X-API-Key included) are refused
	// as a 401 invalid_token, and so is an API key beside an Authorization
	// header. The names must be RFC 9110 tokens.
	APIKeyCookie string
	// Realm is the realm in WWW-Authenticate challenges. Empty means "api".
	// It must be printable (tab, space, visible ASCII, or bytes 0x80-0xFF)
	// and hold no quote or backslash; New refuses anything else.
	Realm string
	// Logger receives one debug line per refused request with the failed
	// check (never the credential). Nil means slog.Default().
	Logger *slog.Logger
	// Revocations, if not nil, is consulted after every successful
	// authentication, whichever authenticator (or client certificate)
	// proved the principal and whether a JWT verifier answered from its
	// cache: a revoked credential is a 401 invalid_token (check
	// "token_revoked"). See [RevocationList] and auth/redisstore. Nil means
	// credentials are not checked for revocation.
	Revocations Revocations
	// MeterProvider receives the decision counts (see the package
	// documentation, Monitoring). Nil means the global provider of
	// go.opentelemetry.io/otel when New runs, which does nothing until the
	// application installs an SDK.
	MeterProvider metric.MeterProvider
}

// Middleware authenticates requests. It is safe for concurrent use.
type Middleware struct {
	byKind    map[CredentialKind]Authenticator
	anonymous bool
	src       sources
	peer      PeerFunc
	revoked   Revocations
	logger    *slog.Logger
	challenge string // for unauthenticated
	// noCredentials is the problem for a request without credentials,
	// written here or, for anonymous requests, by later middleware (see
	// UnauthenticatedProblem). Shared; never modified.
	noCredentials *apierrors.Problem
	invalid       map[CredentialKind]string
	expired       map[CredentialKind]string
	// dpopProof and dpopNonce are the challenges of a refused DPoP proof
	// (invalid_dpop_proof, use_dpop_nonce).
	dpopProof, dpopNonce string
	decisions            *telemetry.Counter
}

// New validates cfg and returns the middleware.
func New(cfg Config) (*Middleware, error) {
	if len(cfg.Authenticators) == 0 && cfg.ClientCertificate == nil {
		return nil, configErr("Authenticators or ClientCertificate is required")
	}
	m := &Middleware{
		byKind:    make(map[CredentialKind]Authenticator, 2),
		anonymous: cfg.AllowAnonymous,
		src: sources{cookie: cfg.Cookie, keyHeader: http.CanonicalHeaderKey(cfg.APIKeyHeader),
			keyQuery: cfg.APIKeyQuery, keyCookie: cfg.APIKeyCookie},
		peer:      cfg.ClientCertificate,
		revoked:   cfg.Revocations,
		logger:    cfg.Logger,
		invalid:   make(map[CredentialKind]string, 2),
		expired:   make(map[CredentialKind]string, 2),
		decisions: newDecisionCounter(cfg.MeterProvider),
	}
	if m.logger == nil {
		m.logger = slog.Default()
	}
	realm := cfg.Realm
	if realm == "" {
		realm = defaultRealm
	}
	if !validRealm(realm) {
		return nil, configErr("Realm must be printable: tab, space, visible ASCII or bytes 0x80-0xFF, without quotes or backslashes")
	}
	if cfg.Cookie != "" && !isToken(cfg.Cookie) {
		return nil, configErr("Cookie %q is not a cookie name (an RFC 9110 token)", cfg.Cookie)
	}
	for _, f := range []struct{ field, name string }{
		{"APIKeyHeader", cfg.APIKeyHeader}, {"APIKeyQuery", cfg.APIKeyQuery}, {"APIKeyCookie", cfg.APIKeyCookie},
	} {
		if f.name != "" && !isToken(f.name) {
			return nil, configErr("%s %q is not an RFC 9110 token", f.field, f.name)
		}
	}
	switch {
	case cfg.APIKeyCookie != "" && cfg.APIKeyCookie == cfg.Cookie:
		return nil, configErr("APIKeyCookie and Cookie name the same cookie %q", cfg.Cookie)
	case strings.EqualFold(cfg.APIKeyHeader, "Authorization"):
		return nil, configErr("APIKeyHeader cannot be Authorization; API keys are read there as \"ApiKey\" already")
	case strings.EqualFold(cfg.APIKeyQuery, "access_token"):
		return nil, configErr("APIKeyQuery cannot be access_token, which auth refuses in URLs")
	}
	if strings.EqualFold(cfg.APIKeyHeader, "X-API-Key") {
		m.src.keyHeader = "" // read already
	}
	for _, a := range cfg.Authenticators {
		if a == nil {
			return nil, configErr("nil Authenticator")
		}
		k := a.Kind()
		if k != Bearer && k != APIKey {
			return nil, configErr("Authenticator of unknown kind %d", k)
		}
		if _, dup := m.byKind[k]; dup {
			return nil, configErr("two Authenticators for %s credentials; combine issuers with NewIssuers", k)
		}
		m.byKind[k] = a
	}
	var chs []string
	if a, ok := m.byKind[Bearer]; ok {
		bearer, algs := true, ""
		if c, ok := a.(dpopChallenger); ok {
			bearer, algs = c.dpopChallenge()
		}
		base := `Bearer realm="` + realm + `"`
		var dpop string
		if algs != "" {
			dpop = `DPoP realm="` + realm + `", algs="` + algs + `"`
		}
		// join lists the refused scheme's challenge first, then the other
		// scheme this authenticator takes, plain (RFC 9449 §7.2).
		join := func(first, other string) string {
			if other == "" {
				return first
			}
			return first + ", " + other
		}
		const invalidDesc = `, error="invalid_token", error_description="The credential is invalid"`
		const expiredDesc = `, error="invalid_token", error_description="The credential is expired"`
		switch {
		case bearer:
			chs = append(chs, base)
			m.invalid[Bearer] = join(base+invalidDesc, dpop)
			m.expired[Bearer] = join(base+expiredDesc, dpop)
		default: // DPoP required: a bearer token is refused with DPoP's challenge
			m.invalid[Bearer] = dpop + invalidDesc
			m.expired[Bearer] = dpop + expiredDesc
			base = ""
		}
		if dpop != "" {
			chs = append(chs, dpop)
			m.invalid[kindDPoP] = join(dpop+invalidDesc, base)
			m.expired[kindDPoP] = join(dpop+expiredDesc, base)
			m.dpopProof = join(dpop+`, error="invalid_dpop_proof", error_description="The DPoP proof is invalid"`, base)
			m.dpopNonce = join(dpop+`, error="use_dpop_nonce", error_description="Resource server requires nonce in DPoP proof"`, base)
		}
	}
	if _, ok := m.byKind[APIKey]; ok {
		base := `ApiKey realm="` + realm + `"`
		chs = append(chs, base)
		m.invalid[APIKey] = base + `, error="invalid_token", error_description="The credential is invalid"`
		m.expired[APIKey] = base + `, error="invalid_token", error_description="The credential is expired"`
	}
	m.challenge = strings.Join(chs, ", ")
	m.noCredentials = withChallenge(apierrors.New(http.StatusUnauthorized, apierrors.ReasonUnauthenticated,
		"No credentials were presented."), m.challenge)
	return m, nil
}

// MustNew is New for start-up code: it panics on an invalid config.
func MustNew(cfg Config) *Middleware {
	v, err := New(cfg)
	if err != nil {
		panic(err)
	}
	return v
}

// Authenticate finds the request's credential and verifies it with the
// authenticator for its kind. A principal whose claims carry cnf (a
// sender-constrained token) is accepted only when its authenticator is
// configured for that binding (JWTConfig.DPoP, CertificateBinding) and the
// request proves it: a DPoP proof of the key with the DPoP scheme, or the
// bound client certificate; any other principal with cnf is refused, as is
// the DPoP scheme where DPoP is disabled. A request without a credential
// auth takes (none, a scheme such as Basic, or a kind no authenticator
// verifies) is authenticated by its verified client certificate when
// Config.ClientCertificate is set and reports one. The principal is then
// checked against Config.Revocations, and a one-time token is spent. It
// returns (nil, nil) for a request without credentials when anonymous
// access is allowed, and an error wrapping [ErrNoCredentials],
// [ErrInvalidToken], [ErrTokenExpired], [ErrKeysUnavailable],
// [ErrRevocationsUnavailable], [ErrInvalidDPoPProof] or [ErrUseDPoPNonce]
// otherwise.
func (m *Middleware) Authenticate(r *http.Request) (*Principal, error) {
	p, _, _, err := m.authenticate(r.Context(), r)
	return p, err
}

// authenticate is Authenticate that also returns the credential kind, for
// the record and the challenge, and a DPoP-Nonce to send, if any. ctx is
// the context authenticators get: r's, with the request record in it.
func (m *Middleware) authenticate(ctx context.Context, r *http.Request) (*Principal, CredentialKind, string, error) {
	c := credentialFrom(r, &m.src)
	kind := c.kind
	if c.dpop {
		kind = kindDPoP
	}
	// none says why the request has no credential auth takes, for the
	// refusal when there is no certificate either.
	var none error
	switch {
	case c.bad == "unsupported_scheme":
		// Basic, Digest…: a credential auth does not take is no credential.
		none = &VerifyError{Check: c.bad, Err: ErrNoCredentials}
	case c.bad != "":
		if kind == 0 {
			kind = Bearer
		}
		return nil, kind, "", invalid(c.bad)
	case c.kind == 0:
		none = ErrNoCredentials
	default:
		a, ok := m.byKind[c.kind]
		if !ok {
			if c.dpop {
				// A DPoP-bound token is a credential: never ignored.
				return nil, kind, "", errDPoPUnsupported
			}
			none = &VerifyError{Check: "no_authenticator_for_" + c.kind.String(), Err: ErrNoCredentials}
			break
		}
		p, nonce, err := m.verify(ctx, r, a, c)
		return p, kind, nonce, err
	}
	if m.peer != nil {
		if p, ok, err := m.fromCertificate(r); ok {
			if err == nil && m.revoked != nil {
				if err = m.revoked.Check(p); err != nil {
					p = nil
				}
			}
			return p, kindMTLS, "", err
		}
	}
	if m.anonymous {
		return nil, 0, "", nil
	}
	return nil, 0, "", none
}

// verify checks c with its authenticator a and then the principal's
// binding against the request: through a's binding policy if a is a
// binder, else by refusing any cnf (no Authenticator sees the request, so
// none can have checked a binding).
func (m *Middleware) verify(ctx context.Context, r *http.Request, a Authenticator, c credential) (*Principal, string, error) {
	b, isBinder := a.(binder)
	if !isBinder {
		if c.dpop {
			return nil, "", errDPoPUnsupported
		}
		p, err := a.Authenticate(ctx, c.value)
		switch {
		case err != nil:
		case p == nil:
			err = invalid("authenticator_returned_nil")
		default:
			err = checkConfirmation(p.Claims)
		}
		if err == nil && m.revoked != nil {
			err = m.revoked.Check(p)
		}
		if err != nil {
			return nil, "", err
		}
		return p, "", nil
	}
	p, policy, err := b.authenticateBound(ctx, c.value)
	if err == nil && p == nil {
		err = invalid("authenticator_returned_nil")
	}
	if err != nil {
		return nil, "", err
	}
	name, nonce, err := policy.check(ctx, r, p, c.dpop, c.value)
	if err == nil && m.revoked != nil {
		err = m.revoked.Check(p)
	}
	if sp, ok := a.(spender); ok && err == nil {
		err = sp.spendOnce(ctx, p) // last: only a use that passed every check spends the token
	}
	if err != nil {
		return nil, nonce, err
	}
	if p.Binding != name {
		// A binder that does not set Binding itself (it is set at
		// verification for JWTs, whose principals are cached and shared).
		cp := *p
		cp.Binding = name
		p = &cp
	}
	return p, nonce, nil
}

// A dpopChallenger tells the middleware, for its challenges, whether its
// tokens may come as Bearer and which DPoP proof algorithms it takes (""
// for none).
type dpopChallenger interface {
	dpopChallenge() (bearer bool, algs string)
}

// Handler authenticates each request before next. A verified caller's
// [Principal] is in the request context for next ([FromContext]); a
// request let through as anonymous carries instead the problem Handler
// would have refused it with, for [UnauthenticatedProblem]. A refused
// request gets a 401 problem (unauthenticated, invalid_token or
// token_expired) with an RFC 6750 WWW-Authenticate challenge whose
// description is generic; the failed check goes to the request record and
// the log only.
func (m *Middleware) Handler(next http.Handler) http.Handler {
	return record.Handler(func(w http.ResponseWriter, r *http.Request) {
		w, r, rec := record.Enter(w, r)
		if m.peer != nil {
			r = rec.Attach(r) // the application's PeerFunc is given the request
		}
		// Authenticators are given the record in the context, without a
		// copy of the request; a refusal then costs none.
		p, kind, nonce, err := m.authenticate(rec.ContextOf(r), r)
		if nonce != "" {
			w.Header().Set("DPoP-Nonce", nonce)
		}
		if err == nil {
			if p == nil {
				m.decided(r.Context(), true, "ok", methodAnonymous)
				rec.AddDecision(record.Decision{Package: "auth", Outcome: record.Skip, Reason: "anonymous"})
				m.leaveAnonymous(rec)
				next.ServeHTTP(w, rec.RequestFor(next, w, r))
				return
			}
			m.decided(r.Context(), true, "ok", methodOf(p, kind))
			rec.SetPrincipal(record.Principal{Subject: p.Subject, Issuer: p.Issuer, ClientID: p.ClientID, Method: p.Method})
			rec.AddDecision(record.Decision{Package: "auth", Outcome: record.Allow, Reason: p.Method, Rule: kind.String()})
			next.ServeHTTP(w, rec.WithContext(r, NewContext(rec.ContextOf(r), p)))
			return
		}
		m.refuse(w, r, rec, kind, err)
	})
}

func (m *Middleware) refuse(w http.ResponseWriter, r *http.Request, rec *record.Record, kind CredentialKind, err error) {
	check := CheckOf(err)
	var prob *apierrors.Problem
	outcome := record.Deny
	switch {
	case errors.Is(err, ErrNoCredentials):
		prob = m.noCredentials
		if check == "" {
			check = "no_credentials"
		}
	case errors.Is(err, ErrUseDPoPNonce):
		prob = withChallenge(apierrors.New(http.StatusUnauthorized, apierrors.ReasonUseDPoPNonce,
			"The DPoP proof must carry the nonce in the DPoP-Nonce header."), m.dpopNonce)
	case errors.Is(err, ErrInvalidDPoPProof):
		if CheckOf(err) == "dpop_replay_unavailable" {
			outcome = record.Error
		}
		prob = withChallenge(apierrors.New(http.StatusUnauthorized, apierrors.ReasonInvalidDPoPProof,
			"The DPoP proof is invalid."), m.dpopProof)
	case errors.Is(err, ErrTokenExpired):
		prob = withChallenge(apierrors.New(http.StatusUnauthorized, apierrors.ReasonTokenExpired, "The credential is expired."),
			m.challengeFor(m.expired, kind))
	default:
		if errors.Is(err, ErrKeysUnavailable) || errors.Is(err, ErrRevocationsUnavailable) {
			outcome = record.Error
		}
		if check == "" {
			check = "authenticator_error"
		}
		prob = withChallenge(apierrors.New(http.StatusUnauthorized, apierrors.ReasonInvalidToken, "The credential is invalid."),
			m.challengeFor(m.invalid, kind))
	}
	m.decided(r.Context(), false, prob.Reason, m.refusedMethod(kind))
	rec.AddDecision(record.Decision{Package: "auth", Outcome: outcome, Reason: prob.Reason, Rule: refusalRule(kind, check)})
	// The record's context: the application's log handler is asked, and
	// given the line, with the record in it (no copy for the request the
	// record was entered with).
	if ctx := rec.ContextOf(r); m.logger.Enabled(ctx, slog.LevelDebug) { // err.Error() costs, and refusals can come in floods
		m.logger.LogAttrs(ctx, slog.LevelDebug, "auth: request refused",
			slog.String("request_id", rec.ID()), slog.String("reason", prob.Reason),
			slog.String("check", check), slog.String("error", err.Error()))
	}
	if err != ErrNoCredentials { // the sentinel adds nothing to the reason
		prob = prob.WithCause(err)
	}
	apierrors.Write(w, r, prob)
}

// refusalRule is a refusal's rule in the record, "kind:check". A request
// without credentials, the refusal a flood is made of, gets a constant
// string rather than a new one.
func refusalRule(kind CredentialKind, check string) string {
	if check == "no_credentials" {
		switch kind {
		case Bearer:
			return "bearer:no_credentials"
		case APIKey:
			return "api_key:no_credentials"
		case kindMTLS:
			return "mtls:no_credentials"
		case kindDPoP:
			return "dpop:no_credentials"
		case 0:
			return "none:no_credentials"
		}
	}
	return kind.String() + ":" + check
}

// refusedMethod is the method attribute of a refusal: the kind's, except
// that bearer tokens refused by an Introspection count as introspection
// (it may have routed a JWT-shaped one to its JWT verifier, which the
// refusal does not say).
func (m *Middleware) refusedMethod(kind CredentialKind) int {
	if kind == Bearer || kind == kindDPoP {
		if _, ok := m.byKind[Bearer].(*Introspection); ok {
			return methodIntrospection
		}
	}
	return methodOfKind(kind)
}

func (m *Middleware) challengeFor(byKind map[CredentialKind]string, kind CredentialKind) string {
	if c, ok := byKind[kind]; ok {
		return c
	}
	if c, ok := byKind[Bearer]; ok {
		return c
	}
	return byKind[APIKey]
}

// validRealm reports whether realm may go between the quotes of an
// auth-param: RFC 9110's qdtext (HTAB, SP, VCHAR and obs-text) without '"'
// and '\\', so that it needs no escaping. A control byte such as NUL or
// DEL, or a line break, would reach the wire in every challenge.
func validRealm(realm string) bool {
	for i := 0; i < len(realm); i++ {
		c := realm[i]
		if c == '"' || c == '\\' || c == 0x7f || (c < 0x20 && c != '\t') {
			return false
		}
	}
	return true
}

// withChallenge adds the WWW-Authenticate challenge c to prob. With only
// client certificates configured there is none: no HTTP authentication
// scheme asks for a certificate (TLS does), so the header is left out
// rather than sent empty.
func withChallenge(prob *apierrors.Problem, c string) *apierrors.Problem {
	if c == "" {
		return prob
	}
	return prob.WithHeader("WWW-Authenticate", c)
}
