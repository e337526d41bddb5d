package auth

import (
	"encoding/json"
	"errors"
	"github.com/apishield/apishield/internal/jsonpointer"
	"math"
	"slices"
	"strings"
	"time"
)

// maxNumericDate is 9999-12-31T23:59:59Z. Later dates, negative ones and
// fractions beyond float64's range are refused rather than clamped, so
// that no overflow turns "far future" into "long ago".
const maxNumericDate = 253402300799

// numericDate reads a NumericDate claim (RFC 7519 §2): a JSON number of
// seconds since the epoch. A string such as "1700000000" is refused — some
// libraries coerce it, which lets a claim mean different things to
// different parsers.
func numericDate(claims map[string]any, name string) (time.Time, bool, error) {
	v, present := claims[name]
	if !present {
		return time.Time{}, false, nil
	}
	f, ok := v.(float64)
	if !ok || math.IsNaN(f) || f < 0 || f > maxNumericDate {
		return time.Time{}, true, invalid(name + "_not_numeric_date")
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)).UTC(), true, nil
}

// audience reads aud: one string or an array of strings (RFC 7519 §4.1.3).
func audience(v any) ([]string, bool) {
	if a, ok := v.(string); ok {
		return []string{a}, true
	}
	return stringArray(v)
}

// scopeTokens reads a claim of RFC 6749 §3.3 scope tokens: one string of
// tokens separated by single spaces (OAuth "scope", Entra ID "scp", "amr"
// from issuers that write it so), or an array of strings, one token each
// (Okta "scp", OIDC "amr"). The second result is "" when the claim is
// well formed, "type" when it is neither a string nor an array of strings,
// and "syntax" when a token is empty (two spaces in a row, or a space at
// either end) or holds a byte outside NQCHAR (%x21 / %x23-5B / %x5D-7E):
// any other whitespace, a control byte, a quote, a backslash or anything
// not ASCII. Splitting on every Unicode space instead (strings.Fields)
// would turn one issued scope "items:read<NBSP>admin" into two, "admin"
// among them. An empty string is no scopes.
func scopeTokens(v any) ([]string, string) {
	switch a := v.(type) {
	case string:
		if a == "" {
			return nil, ""
		}
		out := make([]string, 0, strings.Count(a, " ")+1)
		for tok := range strings.SplitSeq(a, " ") {
			if !isScopeToken(tok) {
				return nil, "syntax"
			}
			out = append(out, tok)
		}
		return out, ""
	case []any:
		out := make([]string, 0, len(a))
		for _, e := range a {
			tok, ok := e.(string)
			if !ok {
				return nil, "type"
			}
			if !isScopeToken(tok) {
				return nil, "syntax"
			}
			out = append(out, tok)
		}
		return out, ""
	}
	return nil, "type"
}

// isScopeToken reports whether s is an RFC 6749 §3.3 scope-token:
// 1*NQCHAR, NQCHAR = %x21 / %x23-5B / %x5D-7E.
func isScopeToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x21 || c > 0x7e || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// stringArray reads a JSON array whose every element is a string.
func stringArray(v any) ([]string, bool) {
	a, ok := v.([]any)
	if !ok {
		return nil, false
	}
	out := make([]string, 0, len(a))
	for _, e := range a {
		s, ok := e.(string)
		if !ok {
			return nil, false
		}
		out = append(out, s)
	}
	return out, true
}

// roles collects the roles found at the pointers. A pointer that leads
// nowhere adds nothing; one that leads to something other than a string or
// an array of strings adds nothing either, since a role must be a name.
func roles(claims map[string]any, ptrs []jsonpointer.Pointer) []string {
	var out []string
	for _, p := range ptrs {
		v, ok := p.Lookup(claims)
		if !ok {
			continue
		}
		switch r := v.(type) {
		case string:
			out = append(out, r)
		case []any:
			for _, e := range r {
				if s, ok := e.(string); ok {
					out = append(out, s)
				}
			}
		}
	}
	return out
}

func claimString(claims map[string]any, name string) (string, bool) {
	v, present := claims[name]
	if !present {
		return "", true
	}
	s, ok := v.(string)
	return s, ok
}

// claims decodes and checks the payload of a token whose signature held.
func (j *JWT) claims(payload []byte, key *verifyKey) (*Principal, *cacheEntry, error) {
	claims, err := decodeClaims(payload)
	if err != nil {
		if errors.Is(err, errDuplicateClaim) {
			return nil, nil, invalid("duplicate_claim")
		}
		return nil, nil, invalid("claims_not_object")
	}
	iss, ok := claims["iss"].(string)
	if !ok || iss != j.issuer {
		return nil, nil, invalid("issuer_mismatch")
	}
	aud, ok := audience(claims["aud"])
	if !ok {
		return nil, nil, invalid("audience_mismatch")
	}
	if !slices.ContainsFunc(aud, func(a string) bool { return slices.Contains(j.audience, a) }) {
		return nil, nil, invalid("audience_mismatch")
	}
	exp, hasExp, err := numericDate(claims, "exp")
	if err != nil {
		return nil, nil, err
	}
	if !hasExp {
		return nil, nil, invalid("exp_missing")
	}
	nbf, _, err := numericDate(claims, "nbf")
	if err != nil {
		return nil, nil, err
	}
	iat, hasIat, err := numericDate(claims, "iat")
	if err != nil {
		return nil, nil, err
	}
	authTime, _, err := numericDate(claims, "auth_time")
	if err != nil {
		return nil, nil, err
	}
	if j.lifetime > 0 {
		if !hasIat {
			return nil, nil, invalid("iat_missing")
		}
		if exp.Sub(iat) > j.lifetime {
			return nil, nil, invalid("lifetime_exceeded")
		}
	}
	p := &Principal{
		Issuer:   iss,
		Audience: aud,
		AuthTime: authTime,
		Expiry:   exp,
		IssuedAt: iat,
		Method:   MethodJWT,
		Claims:   claims,
	}
	if err := identityClaims(p, claims, j.roles); err != nil {
		return nil, nil, err
	}
	if j.rfc9068 {
		if p.Subject == "" || p.ClientID == "" || !hasIat || p.TokenID == "" {
			return nil, nil, invalid("rfc9068_claims_missing")
		}
	}
	e := &cacheEntry{p: p, key: key, exp: exp, nbf: nbf, iat: iat}
	if err := j.checkTimes(e, time.Now()); err != nil {
		return nil, nil, err
	}
	return p, e, nil
}

// rolePointers parses the RolePaths of a config; none means {"/roles"}.
func rolePointers(paths []string) ([]jsonpointer.Pointer, error) {
	if len(paths) == 0 {
		paths = []string{"/roles"}
	}
	ptrs := make([]jsonpointer.Pointer, 0, len(paths))
	for _, p := range paths {
		ptr, err := jsonpointer.Parse(p)
		if err != nil {
			return nil, configErr("RolePaths: %v", err)
		}
		ptrs = append(ptrs, ptr)
	}
	return ptrs, nil
}

// leewayOf checks the Leeway of a config; zero means [DefaultLeeway].
func leewayOf(d time.Duration) (time.Duration, error) {
	switch {
	case d == 0:
		return DefaultLeeway, nil
	case d < 0 || d > MaxLeeway:
		return 0, configErr("Leeway must be between 0 and %v", MaxLeeway)
	}
	return d, nil
}

// identityClaims sets the fields of p that every token format reads from
// its claims the same way, so that a token introspected (RFC 7662) yields
// the principal its JWT form would: sub, client_id (else azp) and acr,
// which must be strings when present; the scopes, from "scope" or else
// "scp", and amr, both RFC 6749 scope tokens; and the roles found at
// rolePaths.
func identityClaims(p *Principal, claims map[string]any, rolePaths []jsonpointer.Pointer) error {
	var okSub, okCID, okAzp, okACR, okJti bool
	var azp string
	p.Subject, okSub = claimString(claims, "sub")
	p.ClientID, okCID = claimString(claims, "client_id")
	azp, okAzp = claimString(claims, "azp")
	p.ACR, okACR = claimString(claims, "acr")
	// A jti that is not a string (RFC 7519 §4.1.7) could not be matched
	// by a revocation of its token, so it is refused like sub.
	p.TokenID, okJti = claimString(claims, "jti")
	if !okSub || !okCID || !okAzp || !okACR || !okJti {
		return invalid("claim_not_string")
	}
	if p.ClientID == "" {
		p.ClientID = azp
	}
	scope, hasScope := claims["scope"]
	if !hasScope {
		scope, hasScope = claims["scp"]
	}
	if hasScope {
		var bad string
		if p.Scopes, bad = scopeTokens(scope); bad != "" {
			return invalid("scope_" + bad)
		}
	}
	if v, ok := claims["amr"]; ok {
		var bad string
		if p.AMR, bad = scopeTokens(v); bad != "" {
			return invalid("amr_" + bad)
		}
	}
	p.Roles = roles(claims, rolePaths)
	// Set once here, so that a cached principal needs no copy per request;
	// no principal of a bound token leaves auth before its binding is
	// checked (Verify refuses them, the middleware checks them).
	if jkt, x5t, _, ok := confirmation(claims); ok {
		p.Binding = bindingFor(jkt, x5t)
	}
	return nil
}

// checkTimes applies exp, nbf and iat with the leeway at now. Expiry is
// checked last, so a token both expired and otherwise wrong is reported as
// wrong.
func (j *JWT) checkTimes(e *cacheEntry, now time.Time) error {
	if !e.nbf.IsZero() && now.Add(j.leeway).Before(e.nbf) {
		return invalid("not_yet_valid")
	}
	if !e.iat.IsZero() && now.Add(j.leeway).Before(e.iat) {
		return invalid("issued_in_future")
	}
	if !now.Add(-j.leeway).Before(e.exp) {
		return errExpired
	}
	return nil
}

var errExpired = &VerifyError{Check: "expired", Err: ErrTokenExpired}

// peekIssuer returns the unverified iss of a compact token, for dispatch
// among issuers only. It does no more than is needed to find the claim.
func peekIssuer(token string, max int) (string, error) {
	c, err := splitCompact(token, max)
	if err != nil {
		return "", err
	}
	if !json.Valid(c.payload) {
		return "", invalid("claims_not_object")
	}
	var iss string
	found := false
	err = forEachMember(c.payload, func(key string, escaped bool, keyRaw, v []byte) error {
		if !escaped {
			key = stringOf(keyRaw)
		}
		if key == "iss" {
			if found {
				return invalid("duplicate_claim")
			}
			found = true
			s, ok := jsonString(v)
			if !ok {
				return invalid("issuer_mismatch")
			}
			iss = s
		}
		return nil
	})
	if err != nil {
		if errors.Is(err, errNotObject) {
			return "", invalid("claims_not_object")
		}
		return "", err
	}
	if !found {
		return "", invalid("issuer_mismatch")
	}
	return iss, nil
}
