package headers

import (
	"errors"
	"net/http"

	"github.com/apishield/apishield/internal/record"
	"github.com/apishield/apishield/internal/routetable"
	"github.com/apishield/apishield/route"
)

// ErrInvalidConfig is wrapped by every error [New] and [NewHosts] return.
var ErrInvalidConfig = errors.New("headers: invalid config")

// Defaults: the API profile a zero [Policy] sends.
const (
	DefaultContentSecurityPolicy     = "default-src 'none'; frame-ancestors 'none'"
	DefaultReferrerPolicy            = "no-referrer"
	DefaultCrossOriginResourcePolicy = "same-origin"
	DefaultFrameOptions              = "DENY"
	DefaultCacheControl              = "no-store"
)

// Config configures [New]. The zero Config is the API profile: every
// response gets X-Content-Type-Options, Content-Security-Policy,
// Referrer-Policy, Cross-Origin-Resource-Policy and X-Frame-Options;
// authenticated responses get Cache-Control: no-store unless the handler
// set its own; Server and X-Powered-By are removed.
type Config struct {
	// Policy is the profile for every route without an entry in Routes.
	// Its zero value is the API profile.
	Policy

	// CredentialHeaders names request headers, besides Authorization,
	// Cookie and X-API-Key (which always count), whose presence makes a
	// response authenticated for Cache-Control. Nil means those three
	// only. A response is also authenticated when auth has recorded a
	// principal by the time the header is written.
	CredentialHeaders []string

	// Routes overrides Policy for some routes, keyed like every apishield
	// per-route setting: "METHOD /pattern", or "/pattern" for every method
	// of the route, spelled as route.Pattern reports it. A route's Policy
	// starts from Config.Policy: its non-empty fields replace the
	// top-level ones, its Set adds to (or replaces) the top-level Set, and
	// its Disable adds to the top-level Disable; a header disabled at the
	// top level comes back on a route that gives it a value. Nil means no
	// overrides.
	Routes map[string]Policy
}

// Policy is the set of response headers for a route. Every string field
// is a header value; "" means the default (and, in a Config.Routes entry,
// "inherit Config.Policy's value").
type Policy struct {
	// ContentSecurityPolicy is sent on every response. "" means
	// [DefaultContentSecurityPolicy]: a JSON response needs no script,
	// style, image or frame, and must not be framed.
	ContentSecurityPolicy string
	// ReferrerPolicy is sent on every response; "" means
	// [DefaultReferrerPolicy]. The value must be a comma-separated list
	// of Referrer-Policy tokens.
	ReferrerPolicy string
	// CrossOriginResourcePolicy is sent on every response; "" means
	// [DefaultCrossOriginResourcePolicy]. It must be "same-origin",
	// "same-site" or "cross-origin" (an API called from browsers on other
	// sites through CORS needs "cross-origin" or "same-site").
	CrossOriginResourcePolicy string
	// FrameOptions is the legacy X-Frame-Options, for browsers without
	// CSP frame-ancestors; "" means [DefaultFrameOptions]. It must be
	// "DENY" or "SAMEORIGIN".
	FrameOptions string
	// CacheControl is set on authenticated responses whose handler set no
	// Cache-Control of its own, when the header is written; "" means
	// [DefaultCacheControl], so no cache keeps a caller's data.
	// Unauthenticated responses are left as the handler made them.
	CacheControl string
	// Set adds response headers the profile does not send by default, such
	// as Cross-Origin-Opener-Policy or Permissions-Policy (see the package
	// documentation for why they are not in it). Names must not be ones
	// the fields above manage. Nil means none.
	Set map[string]string
	// Remove names response headers to delete, besides Server and
	// X-Powered-By, when the header is written: others that announce the
	// software behind the API, such as "X-AspNet-Version" or "X-Runtime"
	// from an upstream. Each costs a map delete per response. In a route
	// entry it adds to the top-level list. Nil means none.
	Remove []string
	// Disable names headers the package must leave alone: one it would
	// send ("X-Frame-Options", "Cache-Control", ...) is not sent, one it
	// would remove ("Server", "X-Powered-By", ...) is kept. Names are
	// case-insensitive and must be ones the package manages. Nil means
	// none.
	Disable []string
}

// Middleware sets the security headers. Build it with [New]. It is
// read-only after New and safe for concurrent use.
type Middleware struct {
	base   *compiled
	routes routetable.Table[*compiled]
	creds  []string // canonical request header names
}

// New validates cfg and returns the middleware. Errors wrap
// [ErrInvalidConfig].
func New(cfg Config) (*Middleware, error) {
	base, err := compile(Policy{}, cfg.Policy, "Config")
	if err != nil {
		return nil, err
	}
	m := &Middleware{base: base, creds: []string{"Authorization", "Cookie", "X-Api-Key"}}
	for _, name := range cfg.CredentialHeaders {
		c, err := headerName(name, "Config.CredentialHeaders")
		if err != nil {
			return nil, err
		}
		if !contains(m.creds, c) {
			m.creds = append(m.creds, c)
		}
	}
	if len(cfg.Routes) > 0 {
		entries := make(map[string]*compiled, len(cfg.Routes))
		for key, p := range cfg.Routes {
			c, err := compile(cfg.Policy, p, "Config.Routes["+quote(key)+"]")
			if err != nil {
				return nil, err
			}
			entries[key] = c
		}
		if m.routes, err = routetable.New(entries); err != nil {
			return nil, wrapf("Config.Routes: %v", err)
		}
	}
	return m, nil
}

// MustNew is [New] for start-up code: it panics on a config error.
func MustNew(cfg Config) *Middleware {
	m, err := New(cfg)
	if err != nil {
		panic(err)
	}
	return m
}

// Handler returns middleware that sets the policy's headers on every
// response before next runs (so 404s, 405s, problems from other packages
// and responses whose handler calls WriteHeader all carry them, unless the
// handler changes them) and, just before the header is written, sets
// Cache-Control on authenticated responses and removes Server and
// X-Powered-By. The write-time part rides on the request record's writer,
// so it works with any writer the handler is given and costs no wrapper.
func (m *Middleware) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w, r, rec := record.Install(w, r)
		p := m.policy(r)
		h := w.Header()
		for i := range p.set {
			h[p.set[i].name] = p.set[i].value
		}
		if !p.needsHook {
			next.ServeHTTP(w, r)
			return
		}
		hook := &p.anonHook
		if p.cacheControl != nil && m.credentialed(r) {
			hook = &p.credHook
		}
		rec.SetHeaderHook(hook)
		next.ServeHTTP(w, r)
		// A handler that wrote nothing leaves the header to net/http.
		rec.RunHeaderHook(h)
	})
}

// Apply sets on h the headers the middleware would leave on a finished
// response of the route pattern (as route.Pattern spells it; "" for the
// top-level policy) whose handler set h, for use outside net/http's
// handler chain (a hand-written writer, a test, a proxy's response
// modifier). authenticated says whether the caller was authenticated.
func (m *Middleware) Apply(h http.Header, pattern string, authenticated bool) {
	p := m.lookup(pattern)
	for i := range p.set {
		h[p.set[i].name] = p.set[i].value
	}
	p.atWrite(h, authenticated)
}

func (m *Middleware) policy(r *http.Request) *compiled {
	if m.routes.Len() == 0 {
		return m.base
	}
	return m.lookup(route.Pattern(r))
}

func (m *Middleware) lookup(pattern string) *compiled {
	if p, ok := m.routes.Lookup(pattern); ok {
		return p
	}
	return m.base
}

// credentialed reports whether r carries a credential header.
func (m *Middleware) credentialed(r *http.Request) bool {
	for _, name := range m.creds {
		if len(r.Header[name]) > 0 {
			return true
		}
	}
	return false
}

// hook is the write-time part of a policy, for a request that did or did
// not carry credentials.
type hook struct {
	p    *compiled
	cred bool
}

// BeforeHeader implements record.HeaderHook.
func (k *hook) BeforeHeader(rec *record.Record, h http.Header) {
	k.p.removeServer(h)
	if k.p.cacheControl == nil {
		return
	}
	// Whether the caller is authenticated is asked first: a request that
	// carried no credential reads the principal (one uncontended lock,
	// nothing copied) and, being anonymous in the common case, skips the
	// Cache-Control lookup, a hashed map access.
	if (k.cred || rec.Authenticated()) && len(h["Cache-Control"]) == 0 {
		h["Cache-Control"] = k.p.cacheControl
	}
}

// atWrite makes the decisions that wait for the header to be written.
func (p *compiled) atWrite(h http.Header, authenticated bool) {
	p.removeServer(h)
	if authenticated && p.cacheControl != nil && len(h["Cache-Control"]) == 0 {
		h["Cache-Control"] = p.cacheControl
	}
}

// removeServer deletes the headers that announce the server's software.
func (p *compiled) removeServer(h http.Header) {
	for _, name := range p.remove {
		delete(h, name)
	}
}
