package auth

import (
	"net/http"
	"strings"
)

// CredentialKind is the type of a credential, which selects the
// authenticator that verifies it.
type CredentialKind uint8

// Credential kinds.
const (
	// Bearer is an OAuth 2.0 bearer token (RFC 6750): "Authorization:
	// Bearer …", or the configured cookie.
	Bearer CredentialKind = iota + 1
	// APIKey is an API key: "X-API-Key: …" or "Authorization: ApiKey …".
	APIKey
)

func (k CredentialKind) String() string {
	switch k {
	case Bearer:
		return "bearer"
	case APIKey:
		return "api_key"
	case kindMTLS:
		return "mtls"
	}
	return "none"
}

// maxCredentialSize bounds a credential header before it is examined.
const maxCredentialSize = 16 << 10

// credentialFrom finds the request's one credential. It refuses
// ambiguity, which is where smuggling lives: several Authorization
// headers, several X-API-Key headers, both kinds at once, or an
// access_token in the query string (RFC 6750 §2.3 is not supported: URLs
// end up in logs). A scheme auth does not know (Basic, Digest…) counts as
// no credential. cookie, if not empty, names a cookie that carries a bearer
// token when no header does.
func credentialFrom(r *http.Request, cookie string) (CredentialKind, string, string) {
	if r.URL.RawQuery != "" && r.URL.Query().Has("access_token") {
		return 0, "", "query_token"
	}
	authz := r.Header.Values("Authorization")
	keys := r.Header.Values("X-Api-Key")
	if len(authz) > 1 {
		return 0, "", "multiple_authorization"
	}
	if len(keys) > 1 {
		return APIKey, "", "multiple_api_key"
	}
	if len(authz) == 1 && len(keys) == 1 {
		return 0, "", "multiple_credentials"
	}
	if len(keys) == 1 {
		if len(keys[0]) > maxCredentialSize || keys[0] == "" {
			return APIKey, "", "malformed_api_key"
		}
		return APIKey, keys[0], ""
	}
	if len(authz) == 1 {
		kind, cred, scheme, ok := parseAuthorization(authz[0])
		switch {
		case !ok:
			// The kind of a known scheme, so the refusal's challenge names it.
			return schemeKind(scheme), "", "malformed_authorization"
		case kind == 0 && isDPoPScheme(scheme):
			// A DPoP-bound token (RFC 9449): a credential auth cannot verify
			// yet, so it is refused, not ignored. Ignoring it would let the
			// request through as anonymous or as its client certificate.
			return Bearer, "", "dpop_unsupported"
		case kind == 0:
			return 0, "", "unsupported_scheme"
		}
		return kind, cred, ""
	}
	if cookie != "" {
		cs := r.CookiesNamed(cookie)
		if len(cs) > 1 {
			return 0, "", "multiple_cookies"
		}
		if len(cs) == 1 && cs[0].Value != "" {
			if len(cs[0].Value) > maxCredentialSize {
				return 0, "", "malformed_cookie"
			}
			return Bearer, cs[0].Value, ""
		}
	}
	return 0, "", ""
}

// ParseAuthorization parses an Authorization header value. It returns the
// credential kind (0 for a scheme auth does not handle, such as Basic) and
// the credential. ok is false when the value is malformed: empty, too long,
// not starting with an RFC 9110 token, a known scheme without a credential,
// or a credential with spaces, control characters or anything outside RFC
// 7235's token68 alphabet. Schemes compare case-insensitively ("bearer" is
// "Bearer").
//
// The spelling is canonical: exactly one space separates a known scheme
// from its credential, and nothing precedes the scheme or follows the
// credential. "Bearer  t" (two spaces), "Bearer\tt" and " Bearer t" are
// malformed, not other spellings of "Bearer t", so that one credential has
// one string: anything keyed on the result (a rate limit by API key, a
// cache) cannot be given a fresh key by re-spacing the header. RFC 9110
// allows several spaces there; no client sends them.
func ParseAuthorization(v string) (kind CredentialKind, credential string, ok bool) {
	kind, credential, _, ok = parseAuthorization(v)
	return kind, credential, ok
}

// parseAuthorization is ParseAuthorization that also returns the scheme as
// sent, for the schemes auth refuses by name (see credentialFrom).
func parseAuthorization(v string) (kind CredentialKind, credential, scheme string, ok bool) {
	if v == "" || len(v) > maxCredentialSize {
		return 0, "", "", false
	}
	scheme, rest, hasRest := strings.Cut(v, " ")
	if !isToken(scheme) {
		return 0, "", "", false
	}
	if kind = schemeKind(scheme); kind == 0 {
		return 0, "", scheme, true
	}
	// isToken68 refuses a leading space, so "Bearer  t" fails here.
	if !hasRest || !isToken68(rest) {
		return 0, "", scheme, false
	}
	return kind, rest, scheme, true
}

// schemeKind returns the credential kind of an auth scheme, 0 for one auth
// does not take.
func schemeKind(scheme string) CredentialKind {
	switch {
	case strings.EqualFold(scheme, "Bearer"):
		return Bearer
	case strings.EqualFold(scheme, "ApiKey"):
		return APIKey
	}
	return 0
}

// isToken68 checks RFC 7235 §2.1's token68: ALPHA / DIGIT / "-" / "." /
// "_" / "~" / "+" / "/", then any number of "=".
func isToken68(s string) bool {
	i := 0
	for ; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' ||
			c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/') {
			break
		}
	}
	if i == 0 {
		return false
	}
	for ; i < len(s); i++ {
		if s[i] != '=' {
			return false
		}
	}
	return true
}

// isToken checks an RFC 9110 token, the syntax of an auth scheme.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0 {
			continue
		}
		return false
	}
	return true
}
