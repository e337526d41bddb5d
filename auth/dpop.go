package auth

import (
	"context"
	"crypto/sha256"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// A DPoPMode says which access tokens an authenticator takes with a DPoP
// proof (RFC 9449). The zero value, DPoPDisabled, keeps auth's strict
// default: the DPoP scheme and DPoP-bound tokens are refused.
type DPoPMode int

// DPoP modes.
const (
	// DPoPDisabled refuses "Authorization: DPoP" and every token bound to
	// a key with cnf.jkt (check "unverified_binding").
	DPoPDisabled DPoPMode = iota
	// DPoPAllowed takes unbound tokens as "Authorization: Bearer" and
	// DPoP-bound ones as "Authorization: DPoP" with a valid proof. Neither
	// crosses over: a bound token sent as Bearer, or an unbound one sent as
	// DPoP, is refused.
	DPoPAllowed
	// DPoPRequired takes only DPoP-bound tokens with a valid proof: every
	// Bearer token is refused.
	DPoPRequired
)

// String returns "disabled", "allowed" or "required".
func (m DPoPMode) String() string {
	switch m {
	case DPoPDisabled:
		return "disabled"
	case DPoPAllowed:
		return "allowed"
	case DPoPRequired:
		return "required"
	}
	return "DPoPMode(" + strconv.Itoa(int(m)) + ")"
}

// Defaults and bounds of DPoPConfig.
const (
	DefaultDPoPMaxAge       = 60 * time.Second
	DefaultDPoPLeeway       = 5 * time.Second
	DefaultDPoPMaxProofSize = 4 << 10
	// maxDPoPAge bounds MaxAge + Leeway: a proof is a one-shot; longer
	// windows only make the replay cache hold more.
	maxDPoPAge = 10 * time.Minute
	// maxJTILength bounds a proof's jti. RFC 9449 asks for 96 bits of
	// randomness; 256 bytes leaves room for any encoding of that.
	maxJTILength = 256
	// maxDPoPRSABits bounds a proof key's modulus: a huge key makes each
	// verification expensive, and is what an attacker would send.
	maxDPoPRSABits = 4096
)

// defaultDPoPAlgs is DPoPConfig.Algorithms' default: what clients and
// identity providers use for DPoP keys.
var defaultDPoPAlgs = []string{"ES256", "ES384", "EdDSA", "PS256", "RS256"}

// DPoPConfig configures DPoP proof verification (RFC 9449) for one
// authenticator ([JWTConfig.DPoP]). The zero value disables DPoP. A config
// must not be modified after it is used.
type DPoPConfig struct {
	// Mode says which tokens need a proof; see [DPoPMode]. Zero is
	// DPoPDisabled, and every other field is then ignored.
	Mode DPoPMode
	// Algorithms is the allowlist of proof algorithms. Empty means ES256,
	// ES384, EdDSA, PS256 and RS256. Only asymmetric algorithms are
	// accepted: "none" and HMAC are refused at construction.
	Algorithms []string
	// PublicOrigin is the scheme, host and port clients call this API at,
	// such as "https://api.example.com". A proof's htu must name it: the
	// request's own Host header is client-controlled and never used.
	// Required. It must be an http or https URL without a path (other than
	// "/"), query, fragment or user.
	PublicOrigin string
	// MaxAge is how old a proof's iat may be. Zero means 60 s.
	MaxAge time.Duration
	// Leeway absorbs clock skew in iat, in both directions. Zero means 5 s.
	// MaxAge + Leeway must not exceed 10 minutes.
	Leeway time.Duration
	// ReplayCache remembers each proof's key thumbprint and jti until the
	// proof expires, so that a proof is accepted once. An error from it
	// refuses the request (fail closed). If nil, an in-process cache
	// ([NewMemoryReplayCache] with its defaults), which catches a replay
	// to this instance only: behind a load balancer, share one between
	// instances (auth/redisstore) so that a proof replayed to another
	// instance is caught too.
	ReplayCache ReplayCache
	// Nonce, if its Keys are set, makes proofs carry a server nonce
	// (RFC 9449 §8); see [DPoPNonceConfig]. The zero value means no nonces.
	Nonce DPoPNonceConfig
	// MaxProofSize bounds the DPoP header before it is parsed. Zero means
	// 4 KiB.
	MaxProofSize int
	// Now returns the current time, for tests. Nil means time.Now.
	Now func() time.Time
}

// dpopVerifier is a validated DPoPConfig.
type dpopVerifier struct {
	mode      DPoPMode
	algs      []*algInfo
	algsNames string // space-separated, for the challenge
	origin    string // normalized scheme://host[:port]
	maxAge    time.Duration
	leeway    time.Duration
	replay    ReplayCache
	nonce     *nonceSource // nil: no nonces
	maxSize   int
	now       func() time.Time
	keys      proofKeyCache
}

// newDPoP validates cfg. It returns nil for a disabled config.
func newDPoP(cfg DPoPConfig) (*dpopVerifier, error) {
	switch cfg.Mode {
	case DPoPDisabled:
		return nil, nil
	case DPoPAllowed, DPoPRequired:
	default:
		return nil, configErr("DPoP.Mode %d is not a DPoPMode", int(cfg.Mode))
	}
	d := &dpopVerifier{
		mode:    cfg.Mode,
		maxAge:  orDefault(cfg.MaxAge, DefaultDPoPMaxAge),
		leeway:  orDefault(cfg.Leeway, DefaultDPoPLeeway),
		replay:  cfg.ReplayCache,
		maxSize: cfg.MaxProofSize,
		now:     cfg.Now,
	}
	names := cfg.Algorithms
	if len(names) == 0 {
		names = defaultDPoPAlgs
	}
	var algNames []string
	for _, n := range names {
		switch a := lookupAlg(n); {
		case strings.EqualFold(n, "none"):
			return nil, configErr(`DPoP.Algorithms: "none" is never accepted`)
		case strings.HasPrefix(strings.ToUpper(n), "HS"):
			return nil, configErr("DPoP.Algorithms: %s is symmetric; a proof must be signed by a public key", n)
		case a == nil:
			return nil, configErr("DPoP.Algorithms: unsupported algorithm %q", n)
		default:
			if !containsAlg(d.algs, a) {
				d.algs = append(d.algs, a)
				algNames = append(algNames, a.name)
			}
		}
	}
	d.algsNames = strings.Join(algNames, " ")
	if cfg.PublicOrigin == "" {
		return nil, configErr("DPoP.PublicOrigin is required: proofs name the URL clients call, which the request's Host header must not decide")
	}
	origin, ok := normalizeOrigin(cfg.PublicOrigin)
	if !ok {
		return nil, configErr("DPoP.PublicOrigin %q must be an http or https origin such as https://api.example.com", cfg.PublicOrigin)
	}
	d.origin = origin
	if d.maxAge < 0 || d.leeway < 0 || d.maxAge+d.leeway > maxDPoPAge {
		return nil, configErr("DPoP.MaxAge and Leeway must not be negative, and together not above %v", maxDPoPAge)
	}
	if d.replay == nil {
		mem, err := NewMemoryReplayCache(MemoryReplayConfig{})
		if err != nil {
			return nil, err
		}
		d.replay = mem
	}
	switch {
	case d.maxSize == 0:
		d.maxSize = DefaultDPoPMaxProofSize
	case d.maxSize < 0:
		return nil, configErr("DPoP.MaxProofSize must not be negative")
	}
	var err error
	if d.nonce, err = newNonceSource(cfg.Nonce); err != nil {
		return nil, err
	}
	if d.now == nil {
		d.now = time.Now
	}
	return d, nil
}

func containsAlg(list []*algInfo, a *algInfo) bool {
	for _, x := range list {
		if x == a {
			return true
		}
	}
	return false
}

// proofErr returns the VerifyError for a failed proof check.
func proofErr(check string) error { return &VerifyError{Check: check, Err: ErrInvalidDPoPProof} }

// The proof failures that happen on every attack, allocated once.
var (
	errProofMissing  = proofErr("dpop_proof_missing")
	errProofMultiple = proofErr("dpop_proof_multiple")
	errProofTooLarge = proofErr("dpop_proof_too_large")
	errProofBadSig   = proofErr("dpop_bad_signature")
)

// A dpopProof is what verifyProof learned from a valid proof.
type dpopProof struct {
	jkt   string    // the RFC 7638 thumbprint of its key, base64url
	jti   string    // its jti
	iat   time.Time // its iat
	nonce string    // its nonce, "" if none
}

// verify checks the request's DPoP proof for token, whose cnf.jkt is jkt
// (RFC 9449 §4.3 and §7.1): exactly one DPoP header, a compact JWS with
// typ dpop+jwt, an allowed asymmetric alg and a public jwk of that
// algorithm's type that verifies the signature; then htm, htu, iat, the
// server nonce if configured, ath for token, the key's thumbprint against
// jkt and, last, the replay cache, so that a refused proof never fills it.
// fresh is a DPoP-Nonce to send with the response ("" for none): with a
// use_dpop_nonce refusal, and when the proof's nonce is about to go stale.
func (d *dpopVerifier) verify(ctx context.Context, r *http.Request, token, jkt string) (fresh string, err error) {
	now := d.now()
	vals := r.Header.Values("Dpop")
	switch {
	case len(vals) == 0:
		return "", errProofMissing
	case len(vals) > 1:
		return "", errProofMultiple
	}
	p, err := d.verifyProof(vals[0], r, now)
	if err != nil {
		return "", err
	}
	if d.nonce != nil {
		cur, check := d.nonce.check(p.nonce, now)
		if check != "" {
			return d.nonce.issue(now), &VerifyError{Check: check, Err: ErrUseDPoPNonce}
		}
		if !cur {
			fresh = d.nonce.issue(now)
		}
	}
	sum := sha256.Sum256(bytesOf(token))
	var ath [43]byte
	b64.Encode(ath[:], sum[:])
	if p.athMissing() {
		return "", proofErr("dpop_ath_missing")
	}
	if string(ath[:]) != p.ath {
		return "", proofErr("dpop_ath_mismatch")
	}
	if p.jkt != jkt {
		return "", proofErr("dpop_jkt_mismatch")
	}
	exp := p.iat.Add(d.maxAge + d.leeway)
	ok, err := d.replay.Remember(ctx, replayKey("dpop", p.jkt, p.jti), exp)
	if err != nil {
		return "", &VerifyError{Check: "dpop_replay_unavailable", Err: ErrInvalidDPoPProof, Cause: err}
	}
	if !ok {
		return "", proofErr("dpop_replay")
	}
	return fresh, nil
}

// A parsedProof is a proof whose signature verified, with its claims.
type parsedProof struct {
	dpopProof
	ath string
	// hasAth distinguishes a missing ath from an empty one.
	hasAth bool
}

func (p *parsedProof) athMissing() bool { return !p.hasAth }

// verifyProof checks the proof itself: everything that does not depend on
// the access token, the nonce or the replay cache.
func (d *dpopVerifier) verifyProof(proof string, r *http.Request, now time.Time) (*parsedProof, error) {
	if len(proof) > d.maxSize {
		return nil, errProofTooLarge
	}
	c, err := splitCompact(proof, d.maxSize)
	if err != nil {
		return nil, proofErr("dpop_malformed")
	}
	h, err := parseProofHeader(c.header)
	if err != nil {
		return nil, err
	}
	if !typMatches(h.typ, "dpop+jwt") {
		return nil, proofErr("dpop_typ")
	}
	alg := d.algorithm(h.alg)
	if alg == nil {
		switch {
		case strings.EqualFold(h.alg, "none"):
			return nil, proofErr("dpop_alg_none")
		case len(h.alg) >= 2 && (h.alg[0]|0x20) == 'h' && (h.alg[1]|0x20) == 's':
			return nil, proofErr("dpop_alg_symmetric")
		}
		return nil, proofErr("dpop_alg_not_allowed")
	}
	if h.jwk == nil {
		return nil, proofErr("dpop_jwk_missing")
	}
	key, jkt, err := d.keys.get(h.jwk)
	if err != nil {
		return nil, err
	}
	if !key.fits(alg) {
		return nil, proofErr("dpop_jwk_alg_mismatch")
	}
	if !key.verify(alg, bytesOf(c.input), c.sig) {
		return nil, errProofBadSig
	}
	p, err := parseProofClaims(c.payload)
	if err != nil {
		return nil, err
	}
	p.jkt = jkt
	if p.htm != r.Method {
		return nil, proofErr("dpop_htm")
	}
	if !d.htuMatches(p.htu, r) {
		return nil, proofErr("dpop_htu")
	}
	if p.iat.Before(now.Add(-d.maxAge - d.leeway)) {
		return nil, proofErr("dpop_iat_stale")
	}
	if p.iat.After(now.Add(d.leeway)) {
		return nil, proofErr("dpop_iat_future")
	}
	return &p.parsedProof, nil
}

func (d *dpopVerifier) algorithm(name string) *algInfo {
	for _, a := range d.algs {
		if a.name == name {
			return a
		}
	}
	return nil
}
