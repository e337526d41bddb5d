package limits

import (
	"errors"
	"fmt"
	"strings"

	"go.opentelemetry.io/otel/metric"

	"github.com/apishield/apishield/internal/routetable"
)

// ErrInvalidConfig is wrapped by every error [New] returns.
var ErrInvalidConfig = errors.New("limits: invalid config")

// Defaults of [Rules]. They are set above what browsers and HTTP client
// libraries send to an API and below what the proxies in front of one
// pass on, so a request refused here with a problem would have been at
// risk in transit anyway; see the package documentation for the reasoning.
const (
	DefaultMaxBodyBytes        = 1 << 20 // 1 MiB, as validate.DefaultMaxBodyBytes
	DefaultMaxPathBytes        = 2 << 10 // 2 KiB
	DefaultMaxQueryBytes       = 4 << 10 // 4 KiB
	DefaultMaxQueryParams      = 100
	DefaultMaxHeaders          = 100
	DefaultMaxHeaderBytes      = 32 << 10 // 32 KiB
	DefaultMaxHeaderValueBytes = 16 << 10 // 16 KiB
)

// defaultMethods are the methods a route allows when neither its Rules
// nor Config.Default list any; see Rules.Methods. Never modified.
var defaultMethods = []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}

// Config configures a [Guard]. New copies it; it is not used afterwards.
type Config struct {
	// Default is the rules for every request whose route Routes does not
	// name, including requests no route matches. Its zero fields are the
	// package defaults (DefaultMaxBodyBytes, ...).
	Default Rules

	// Routes overrides Default per route. A key is "METHOD /pattern" (one
	// method of a route) or "/pattern" (every method of it), spelled as the
	// router spells its pattern, as package route reports it; the method
	// entry wins over the every-method one. A route's zero fields take
	// Default's value, so an entry states only what differs; it may raise
	// or lower any limit. Nil means every route has Default's rules.
	Routes map[string]Rules

	// MeterProvider receives the Handler's decisions, counted in
	// apishield.limits.decisions (see the package documentation). If nil,
	// the global provider of go.opentelemetry.io/otel when New runs,
	// which does nothing until the application installs an SDK.
	MeterProvider metric.MeterProvider
}

// Rules are the limits for one route, or the default ones. A zero field
// means the default: in [Config.Default], the package's (the Default…
// constants, and the methods Methods names); in a [Config.Routes] entry,
// Config.Default's. A negative number, or an empty non-nil list, is a
// configuration error.
type Rules struct {
	// MaxBodyBytes bounds the request body. A Content-Length over it is
	// refused with 413 before a byte is read; a body without one
	// (chunked, or HTTP/2 without content-length) is read ahead up to it,
	// into memory, and refused with 413 past it, unless Stream is set. If
	// 0, DefaultMaxBodyBytes (1 MiB).
	MaxBodyBytes int64
	// Stream bounds a body without Content-Length as the handler reads it,
	// instead of reading it ahead: for uploads too large to hold in memory.
	// The handler's read past MaxBodyBytes fails with an
	// *http.MaxBytesError, which apierrors.Write turns into a 413, and the
	// server closes the connection. If false, bodies are read ahead (in a
	// Routes entry, false takes Config.Default's).
	Stream bool

	// ContentTypes are the media types a request body may have, compared
	// case-insensitively and without parameters ("application/json" takes
	// "application/json; charset=utf-8"). An entry may be "type/*", any
	// subtype of type, "type/*+suffix", any subtype with that structured
	// syntax suffix ("application/*+json" takes application/merge-patch+json),
	// or "*/*", any well-formed type. "application/json" does not take
	// application/merge-patch+json: a +json type has its own semantics,
	// so a route accepts it only by listing it or a "+json" pattern. A
	// body whose Content-Type is missing, malformed, repeated or not
	// listed is refused with 415; a request without a body is not checked.
	// If nil, any Content-Type, or none, is accepted.
	ContentTypes []string

	// ContentEncodings are the content codings (RFC 9110 §8.4) a request
	// body may have besides identity, such as "gzip", compared
	// case-insensitively; "*" takes any. A body with a coding not listed
	// is refused with 415: MaxBodyBytes bounds a body as sent, and a
	// compressed one inflates far past it (kilobytes of gzip become
	// gigabytes) in whatever decodes it, which must bound its own output.
	// If nil, only identity: a body with any other Content-Encoding is
	// refused.
	ContentEncodings []string

	// Methods are the methods the route allows; others are refused with 405
	// and an Allow header listing these. Listing GET allows HEAD too, as
	// ServeMux does. Methods are case-sensitive tokens (RFC 9110 §9.1). If
	// nil, the methods a JSON API uses: GET, HEAD, POST, PUT, PATCH,
	// DELETE and OPTIONS; TRACE (cross-site tracing), CONNECT and extension
	// methods (PROPFIND, DEBUG, TRACK, ...) are refused.
	Methods []string

	// BodyOnAnyMethod lets a GET, HEAD, DELETE, CONNECT or TRACE request
	// carry a body. RFC 9110 gives such a body no meaning, and a proxy that
	// ignores it while the server reads it (or the reverse) is the opening
	// for request smuggling and cache poisoning, so by default one is
	// refused with 400 malformed_request. Set it for a route that takes one
	// (a search API's GET with a query document). If false, such bodies are
	// refused (in a Routes entry, false takes Config.Default's).
	BodyOnAnyMethod bool

	// MaxPathBytes bounds the URL path, as received (escaped) and decoded;
	// longer is refused with 414. If 0, DefaultMaxPathBytes (2 KiB).
	MaxPathBytes int
	// MaxQueryBytes bounds the raw query string, without the "?"; longer
	// is refused with 414. If 0, DefaultMaxQueryBytes (4 KiB).
	MaxQueryBytes int
	// MaxQueryParams bounds the query's parameters: its non-empty pieces
	// between "&" or ";", each repeat of a name counted. More are refused
	// with 414. If 0, DefaultMaxQueryParams (100).
	MaxQueryParams int

	// MaxHeaders bounds the request's header field lines (each value of a
	// repeated field counted; Host, which net/http keeps apart, not). More
	// are refused with 431. If 0, DefaultMaxHeaders (100).
	MaxHeaders int
	// MaxHeaderBytes bounds the header fields together, each counted as
	// name, value and 4 bytes for ": " and CRLF. More are refused with 431.
	// If 0, DefaultMaxHeaderBytes (32 KiB). It works inside the server's
	// own http.Server.MaxHeaderBytes; see the package documentation.
	MaxHeaderBytes int
	// MaxHeaderValueBytes bounds one header field's value. Longer is
	// refused with 431. If 0, DefaultMaxHeaderValueBytes (16 KiB).
	MaxHeaderValueBytes int
}

// compiled is a Rules with defaults applied, ready to check.
type compiled struct {
	name            string // the Routes key, or "default", for the audit record
	maxBody         int64
	stream          bool
	types           []mediaRange // nil: no check
	encodings       []string     // lower-case; nil: identity only
	anyEncoding     bool
	methods         []string
	allow           string // the Allow header's value
	bodyOnAnyMethod bool
	maxPath         int
	maxQuery        int
	maxParams       int
	maxHeaders      int
	maxHeaderBytes  int
	maxValue        int
}

// withDefaults returns r with its zero fields taken from def.
func (r Rules) withDefaults(def Rules) Rules {
	if r.MaxBodyBytes == 0 {
		r.MaxBodyBytes = def.MaxBodyBytes
	}
	if !r.Stream {
		r.Stream = def.Stream
	}
	if r.ContentTypes == nil {
		r.ContentTypes = def.ContentTypes
	}
	if r.ContentEncodings == nil {
		r.ContentEncodings = def.ContentEncodings
	}
	if r.Methods == nil {
		r.Methods = def.Methods
	}
	if !r.BodyOnAnyMethod {
		r.BodyOnAnyMethod = def.BodyOnAnyMethod
	}
	ints := []struct{ p, d *int }{
		{&r.MaxPathBytes, &def.MaxPathBytes},
		{&r.MaxQueryBytes, &def.MaxQueryBytes},
		{&r.MaxQueryParams, &def.MaxQueryParams},
		{&r.MaxHeaders, &def.MaxHeaders},
		{&r.MaxHeaderBytes, &def.MaxHeaderBytes},
		{&r.MaxHeaderValueBytes, &def.MaxHeaderValueBytes},
	}
	for _, f := range ints {
		if *f.p == 0 {
			*f.p = *f.d
		}
	}
	return r
}

// packageDefaults are the Rules a zero Config.Default stands for.
func packageDefaults() Rules {
	return Rules{
		MaxBodyBytes:        DefaultMaxBodyBytes,
		Methods:             defaultMethods,
		MaxPathBytes:        DefaultMaxPathBytes,
		MaxQueryBytes:       DefaultMaxQueryBytes,
		MaxQueryParams:      DefaultMaxQueryParams,
		MaxHeaders:          DefaultMaxHeaders,
		MaxHeaderBytes:      DefaultMaxHeaderBytes,
		MaxHeaderValueBytes: DefaultMaxHeaderValueBytes,
	}
}

// check refuses negative fields; where names the rules in the error.
func (r Rules) check(where string) error {
	nums := []struct {
		name string
		v    int64
	}{
		{"MaxBodyBytes", r.MaxBodyBytes},
		{"MaxPathBytes", int64(r.MaxPathBytes)},
		{"MaxQueryBytes", int64(r.MaxQueryBytes)},
		{"MaxQueryParams", int64(r.MaxQueryParams)},
		{"MaxHeaders", int64(r.MaxHeaders)},
		{"MaxHeaderBytes", int64(r.MaxHeaderBytes)},
		{"MaxHeaderValueBytes", int64(r.MaxHeaderValueBytes)},
	}
	for _, n := range nums {
		if n.v < 0 {
			return fmt.Errorf("%w: %s.%s is negative", ErrInvalidConfig, where, n.name)
		}
	}
	if r.Methods != nil && len(r.Methods) == 0 {
		return fmt.Errorf("%w: %s.Methods is empty; nil means the default methods", ErrInvalidConfig, where)
	}
	if r.ContentTypes != nil && len(r.ContentTypes) == 0 {
		return fmt.Errorf("%w: %s.ContentTypes is empty; nil means any", ErrInvalidConfig, where)
	}
	if r.ContentEncodings != nil && len(r.ContentEncodings) == 0 {
		return fmt.Errorf("%w: %s.ContentEncodings is empty; nil means identity only", ErrInvalidConfig, where)
	}
	return nil
}

// compile checks r, whose defaults are applied, and prepares it.
func (r Rules) compile(where string) (*compiled, error) {
	c := &compiled{
		maxBody:         r.MaxBodyBytes,
		stream:          r.Stream,
		bodyOnAnyMethod: r.BodyOnAnyMethod,
		maxPath:         r.MaxPathBytes,
		maxQuery:        r.MaxQueryBytes,
		maxParams:       r.MaxQueryParams,
		maxHeaders:      r.MaxHeaders,
		maxHeaderBytes:  r.MaxHeaderBytes,
		maxValue:        r.MaxHeaderValueBytes,
	}
	seen := make(map[string]bool, len(r.Methods)+1)
	for _, m := range r.Methods {
		if !isToken(m) {
			return nil, fmt.Errorf("%w: %s.Methods: %q is not a method token", ErrInvalidConfig, where, m)
		}
		if seen[m] {
			return nil, fmt.Errorf("%w: %s.Methods: %q is listed twice", ErrInvalidConfig, where, m)
		}
		seen[m] = true
		c.methods = append(c.methods, m)
	}
	if seen["GET"] && !seen["HEAD"] {
		c.methods = append(c.methods, "HEAD")
	}
	c.allow = strings.Join(c.methods, ", ")
	for _, t := range r.ContentTypes {
		mr, ok := parseRange(t)
		if !ok {
			return nil, fmt.Errorf("%w: %s.ContentTypes: %q is not \"type/subtype\", \"type/*\", \"type/*+suffix\" or \"*/*\"", ErrInvalidConfig, where, t)
		}
		c.types = append(c.types, mr)
	}
	for _, e := range r.ContentEncodings {
		switch {
		case e == "*":
			c.anyEncoding = true
		case isToken(e) && !strings.Contains(e, "*"):
			c.encodings = append(c.encodings, strings.ToLower(e))
		default:
			return nil, fmt.Errorf("%w: %s.ContentEncodings: %q is not a content coding", ErrInvalidConfig, where, e)
		}
	}
	return c, nil
}

// buildTable compiles cfg's routes over its compiled default.
func buildTable(cfg Config, def Rules) (routetable.Table[*compiled], error) {
	entries := make(map[string]*compiled, len(cfg.Routes))
	for k, r := range cfg.Routes {
		where := fmt.Sprintf("Routes[%q]", k)
		if err := r.check(where); err != nil {
			return routetable.Table[*compiled]{}, err
		}
		c, err := r.withDefaults(def).compile(where)
		if err != nil {
			return routetable.Table[*compiled]{}, err
		}
		c.name = k
		entries[k] = c
	}
	t, err := routetable.New(entries)
	if err != nil {
		return t, fmt.Errorf("%w: Routes: %v", ErrInvalidConfig, err)
	}
	return t, nil
}
