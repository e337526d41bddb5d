package cors

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// A Policy says which cross-origin requests a route accepts. The zero
// Policy accepts none: every request with an Origin other than the API's
// own is refused.
type Policy struct {
	// AllowedOrigins lists the origins that may call the API from a
	// browser, each as scheme://host[:port]: "https://app.example.com",
	// "http://localhost:5173". Case is folded and a default port dropped;
	// a path (even "/"), user info, query, trailing dot, non-ASCII host
	// (write IDNs in punycode), an IPv4 address not in dotted-decimal, an
	// IPv4-mapped IPv6 address or "null" is a config error.
	//
	// "https://*.example.com" allows every origin with one more label in
	// front, with the same scheme and port ("https://a.example.com"), as a
	// TLS wildcard certificate does: never the apex "https://example.com"
	// (list it too) nor "https://a.b.example.com" (list
	// "https://*.b.example.com"). A wildcard needs two labels after it.
	//
	// "*" alone allows any origin (never "null"); it cannot be combined with
	// AllowCredentials or with other entries.
	//
	// Empty (the zero value): no origin is allowed.
	AllowedOrigins []string

	// AllowedMethods lists the methods cross-origin requests may use,
	// matched case-sensitively as browsers send them ("PATCH", not
	// "patch"). Empty means GET, HEAD and POST. Actual requests with
	// another method are refused too, not only their preflights.
	AllowedMethods []string

	// AllowedHeaders lists the request headers a preflight may ask for,
	// beyond the CORS-safelisted ones a browser never asks about. Names
	// are matched case-insensitively. List "Content-Type" for JSON bodies
	// and "Authorization" for bearer tokens. Empty (the zero value): none,
	// so a preflight asking for any header is refused.
	AllowedHeaders []string

	// ExposedHeaders lists the response headers, beyond the safelisted
	// ones (Cache-Control, Content-Language, Content-Length, Content-Type,
	// Expires, Last-Modified, Pragma), that the calling page's script may
	// read, such as "X-Request-Id" or "Retry-After". Empty (the zero
	// value): none.
	ExposedHeaders []string

	// MaxAge is how long a browser may cache a preflight's answer, in whole
	// seconds, up to 24 hours (Chromium caps it at 2 hours). Zero (the
	// zero value) sends no Access-Control-Max-Age, and browsers cache for
	// 5 seconds.
	MaxAge time.Duration

	// AllowCredentials lets the page send cookies, HTTP authentication and
	// client certificates, and read the response
	// (Access-Control-Allow-Credentials: true). False (the zero value):
	// credentialed requests are not readable by the page.
	AllowCredentials bool

	// AllowPrivateNetwork answers a Private Network Access preflight
	// (Access-Control-Request-Private-Network: true) with
	// Access-Control-Allow-Private-Network: true, letting a public page
	// call this API on a private or loopback address. False (the zero
	// value): such preflights are refused.
	AllowPrivateNetwork bool
}

// policy is a Policy compiled by New: every header value it sends is
// built once, and shared slices are assigned to the response's header map
// so the allow path does not allocate.
type policy struct {
	anyOrigin bool
	exact     map[string]exactOrigin
	few       []exactOrigin // the exact origins when there are few: comparing beats hashing
	wildcards []allowedOrigin
	rules     []string // the configured spelling of each wildcard, for the record

	methods      []string
	allowMethods []string // Access-Control-Allow-Methods
	headers      []string // lower-case
	allowHeaders []string // Access-Control-Allow-Headers, nil if none
	expose       []string // Access-Control-Expose-Headers, nil if none
	maxAge       []string // Access-Control-Max-Age, nil if none

	credentials    bool
	privateNetwork bool
}

// exactOrigin is the header value and record rule of an exact origin.
type exactOrigin struct {
	acao []string
	rule string
}

// maxScan is the number of exact origins up to which a linear scan
// replaces the map.
const maxScan = 8

// Limits on a preflight's header list, read before it is parsed.
const (
	maxRequestHeadersLen = 4096
	maxRequestHeaders    = 64
	maxMethodLen         = 64
	maxAgeLimit          = 24 * time.Hour
)

var (
	acaoAny  = []string{"*"}
	hdrTrue  = []string{"true"}
	defaults = []string{"GET", "HEAD", "POST"}
)

// compile checks p and builds its header values. name says which policy
// an error is about.
func compile(p Policy, name string) (*policy, error) {
	bad := func(format string, args ...any) (*policy, error) {
		return nil, fmt.Errorf("%w: %s: %s", ErrInvalidConfig, name, fmt.Sprintf(format, args...))
	}
	c := &policy{exact: map[string]exactOrigin{}, credentials: p.AllowCredentials, privateNetwork: p.AllowPrivateNetwork}
	for _, s := range p.AllowedOrigins {
		if s == "*" {
			if len(p.AllowedOrigins) > 1 {
				return bad(`"*" allows every origin; list it alone`)
			}
			if p.AllowCredentials {
				return bad(`"*" cannot be combined with AllowCredentials: any page could act with the user's cookies; list the origins`)
			}
			c.anyOrigin = true
			continue
		}
		ao, err := parseAllowedOrigin(s)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if ao.wildcard {
			if !slices.ContainsFunc(c.wildcards, func(w allowedOrigin) bool { return w.canonical == ao.canonical }) {
				c.wildcards = append(c.wildcards, ao)
				c.rules = append(c.rules, ao.canonical)
			}
			continue
		}
		if _, dup := c.exact[ao.canonical]; !dup {
			e := exactOrigin{acao: []string{ao.canonical}, rule: ao.canonical}
			c.exact[ao.canonical] = e
			c.few = append(c.few, e)
		}
	}
	if len(c.few) > maxScan {
		c.few = nil
	}

	methods := p.AllowedMethods
	if len(methods) == 0 {
		methods = defaults
	}
	for _, m := range methods {
		switch {
		case m == "*":
			return bad("AllowedMethods: list the methods; a wildcard is not accepted")
		case !validToken(m) || len(m) > maxMethodLen:
			return bad("AllowedMethods: %q is not a method", m)
		case strings.EqualFold(m, "CONNECT") || strings.EqualFold(m, "TRACE") || strings.EqualFold(m, "TRACK"):
			return bad("AllowedMethods: browsers never send %s", m)
		}
		if !slices.Contains(c.methods, m) {
			c.methods = append(c.methods, m)
		}
	}
	c.allowMethods = []string{strings.Join(c.methods, ", ")}

	for _, h := range p.AllowedHeaders {
		if h == "*" {
			return bad("AllowedHeaders: list the headers; a wildcard is not accepted")
		}
		if !validToken(h) {
			return bad("AllowedHeaders: %q is not a header name", h)
		}
		if h = strings.ToLower(h); !slices.Contains(c.headers, h) {
			c.headers = append(c.headers, h)
		}
	}
	if len(c.headers) > 0 {
		c.allowHeaders = []string{strings.Join(c.headers, ", ")}
	}

	var expose []string
	for _, h := range p.ExposedHeaders {
		if h == "*" {
			return bad("ExposedHeaders: list the headers; a wildcard is not accepted")
		}
		if !validToken(h) {
			return bad("ExposedHeaders: %q is not a header name", h)
		}
		if !slices.ContainsFunc(expose, func(e string) bool { return strings.EqualFold(e, h) }) {
			expose = append(expose, h)
		}
	}
	if len(expose) > 0 {
		c.expose = []string{strings.Join(expose, ", ")}
	}

	switch {
	case p.MaxAge < 0 || p.MaxAge > maxAgeLimit:
		return bad("MaxAge must be between 0 and 24h, not %v", p.MaxAge)
	case p.MaxAge > 0 && p.MaxAge < time.Second:
		return bad("MaxAge is in whole seconds; %v rounds to 0", p.MaxAge)
	case p.MaxAge > 0:
		c.maxAge = []string{strconv.Itoa(int(p.MaxAge / time.Second))}
	}
	return c, nil
}

// matchExact returns the Access-Control-Allow-Origin value and the rule
// of the exact origin s, or ok false. Configured origins are stored as
// browsers serialize them, so a hit needs no parsing of s.
func (p *policy) matchExact(s string) (acao []string, rule string, ok bool) {
	if p.few != nil || len(p.exact) == 0 {
		for i := range p.few {
			if p.few[i].rule == s {
				return p.few[i].acao, p.few[i].rule, true
			}
		}
		return nil, "", false
	}
	if e, ok := p.exact[s]; ok {
		return e.acao, e.rule, true
	}
	return nil, "", false
}

// matchWildcard returns the Access-Control-Allow-Origin value and the
// rule of the wildcard that allows the request origin, or ok false.
// origins is the request's Origin header, with exactly one value; the value
// echoed is origins itself, clipped to capacity 1, so a hit allocates
// nothing. Sharing it with the response header is safe: the middleware
// only ever assigns whole slices to the response's header map, Header.Add
// or append on the response side must copy (capacity 1), and Header.Set or
// Del replace or drop the slice without writing into it. Only writing an
// element in place (h[k][0] = v) would show on the other side, which every
// shared header value of this package (varyOrigin, an exact origin's
// value) already forbids.
func (p *policy) matchWildcard(origins []string) (acao []string, rule string, ok bool) {
	s := origins[0]
	for i := range p.wildcards {
		if p.wildcards[i].matchesRaw(s) {
			return origins[:1:1], p.rules[i], true
		}
	}
	return nil, "", false
}

// allowsMethod reports whether m is one of the policy's methods.
func (p *policy) allowsMethod(m string) bool {
	for _, a := range p.methods {
		if a == m {
			return true
		}
	}
	return false
}

// allowsHeaders reports whether every name in the preflight's
// Access-Control-Request-Headers values is allowed. The list is bounded
// before it is read; empty elements are skipped, as HTTP list syntax
// allows.
func (p *policy) allowsHeaders(values []string) bool {
	total, n := 0, 0
	for _, v := range values {
		if total += len(v); total > maxRequestHeadersLen {
			return false
		}
		for v != "" {
			var name string
			name, v, _ = strings.Cut(v, ",")
			name = strings.Trim(name, " \t")
			if name == "" {
				continue
			}
			if n++; n > maxRequestHeaders || !validToken(name) || !p.allowsHeader(name) {
				return false
			}
		}
	}
	return true
}

func (p *policy) allowsHeader(name string) bool {
	for _, h := range p.headers {
		if strings.EqualFold(h, name) {
			return true
		}
	}
	return false
}

// validToken reports whether s is an HTTP token (RFC 9110 §5.6.2).
func validToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
			continue
		}
		if !strings.ContainsRune("!#$%&'*+-.^_`|~", rune(c)) {
			return false
		}
	}
	return true
}
