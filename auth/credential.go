package auth

import (
	"net/http"
	"net/url"
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
	case kindDPoP:
		return "dpop"
	}
	return "none"
}

// maxCredentialSize bounds a credential header before it is examined.
const maxCredentialSize = 16 << 10

// kindDPoP marks, in the request record and the challenges, a bearer token
// sent with the DPoP scheme (RFC 9449). It is not a credential kind of its
// own: the Bearer authenticator verifies it.
const kindDPoP CredentialKind = 4

// A credential is the one credential found in a request.
type credential struct {
	kind  CredentialKind
	value string
	bad   string // the failed check, if the request's credentials are refused
	dpop  bool   // sent as "Authorization: DPoP"
}

// sources are the places credentials are read from besides the
// Authorization and X-API-Key headers (see Config).
type sources struct {
	cookie    string // a bearer token's cookie
	keyHeader string // a header carrying an API key, canonical
	keyQuery  string // a query parameter carrying an API key
	keyCookie string // a cookie carrying an API key
}

// credentialFrom finds the request's one credential. It refuses
// ambiguity, which is where smuggling lives: several Authorization
// headers, several API keys (in one place or in two), both kinds at once,
// or an access_token in the query string (RFC 6750 §2.3 is not supported:
// URLs end up in logs). A scheme auth does not know (Basic, Digest…)
// counts as no credential. src.cookie, if not empty, names a cookie that
// carries a bearer token when no header does; the key fields name the
// other places an API key may travel.
func credentialFrom(r *http.Request, src *sources) credential {
	var query url.Values
	if r.URL.RawQuery != "" {
		query = r.URL.Query()
		if query.Has("access_token") {
			return credential{bad: "query_token"}
		}
	}
	authz := r.Header["Authorization"] // canonical keys: no canonicalising per request
	keys := r.Header["X-Api-Key"]
	if len(authz) > 1 {
		return credential{bad: "multiple_authorization"}
	}
	if len(keys) > 1 {
		return credential{kind: APIKey, bad: "multiple_api_key"}
	}
	if src.keyHeader != "" || src.keyQuery != "" || src.keyCookie != "" {
		var ok bool
		if keys, ok = moreKeys(r, query, keys, src); !ok {
			return credential{kind: APIKey, bad: "multiple_api_key"}
		}
	}
	if len(authz) == 1 && len(keys) == 1 {
		return credential{bad: "multiple_credentials"}
	}
	if len(keys) == 1 {
		if len(keys[0]) > maxCredentialSize || keys[0] == "" {
			return credential{kind: APIKey, bad: "malformed_api_key"}
		}
		return credential{kind: APIKey, value: keys[0]}
	}
	if len(authz) == 1 {
		kind, cred, scheme, ok := parseAuthorization(authz[0])
		dpop := isDPoPScheme(scheme)
		switch {
		case !ok:
			// The kind of a known scheme, so the refusal's challenge names it.
			return credential{kind: schemeKind(scheme), bad: "malformed_authorization", dpop: dpop}
		case kind == 0:
			return credential{bad: "unsupported_scheme"}
		}
		// A DPoP-bound token (RFC 9449) is a bearer token that comes with a
		// proof: the Bearer authenticator verifies it, and the binding is
		// checked after. It is never ignored like Basic, which would let the
		// request through as anonymous or as its client certificate.
		return credential{kind: kind, value: cred, dpop: dpop}
	}
	if src.cookie != "" {
		cs := r.CookiesNamed(src.cookie)
		if len(cs) > 1 {
			return credential{bad: "multiple_cookies"}
		}
		if len(cs) == 1 && cs[0].Value != "" {
			if len(cs[0].Value) > maxCredentialSize {
				return credential{bad: "malformed_cookie"}
			}
			return credential{kind: Bearer, value: cs[0].Value}
		}
	}
	return credential{}
}

// moreKeys adds to keys (the X-API-Key values, at most one) the API keys
// of the other configured places. ok is false when the request carries
// more than one key in all: one key, one place, so no two parts of the
// stack can read different keys.
func moreKeys(r *http.Request, query url.Values, keys []string, src *sources) (_ []string, ok bool) {
	n := len(keys)
	var found string
	if n == 1 {
		found = keys[0]
	}
	add := func(vs []string) {
		n += len(vs)
		if len(vs) > 0 {
			found = vs[0]
		}
	}
	if src.keyHeader != "" {
		add(r.Header.Values(src.keyHeader))
	}
	if src.keyQuery != "" && query != nil {
		add(query[src.keyQuery])
	}
	if src.keyCookie != "" {
		for _, c := range r.CookiesNamed(src.keyCookie) {
			add([]string{c.Value})
		}
	}
	switch n {
	case 0:
		return nil, true
	case 1:
		return []string{found}, true
	}
	return nil, false
}

// ParseAuthorization parses an Authorization header value. It returns the
// credential kind (0 for a scheme auth does not handle, such as Basic) and
// the credential. A DPoP-bound token ("Authorization: DPoP …", RFC 9449)
// is an access token like a bearer one: its kind is Bearer. ok is false when the value is malformed: empty, too long,
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
// does not take. DPoP carries a bearer-kind token.
func schemeKind(scheme string) CredentialKind {
	switch {
	case strings.EqualFold(scheme, "Bearer"), isDPoPScheme(scheme):
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
