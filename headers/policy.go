package headers

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// Names of the headers the package manages.
const (
	hContentTypeOptions = "X-Content-Type-Options"
	hCSP                = "Content-Security-Policy"
	hReferrer           = "Referrer-Policy"
	hCORP               = "Cross-Origin-Resource-Policy"
	hFrameOptions       = "X-Frame-Options"
	hCacheControl       = "Cache-Control"
)

// removed lists the response headers that announce the server's software
// and are removed by default: the two every stack sets. Policy.Remove adds
// more (the OWASP Secure Headers Project keeps a long list); each costs a
// map delete on every response.
var removed = []string{"Server", "X-Powered-By"}

// managed lists every name Disable accepts.
var managed = append([]string{hContentTypeOptions, hCSP, hReferrer, hCORP, hFrameOptions, hCacheControl}, removed...)

// compiled is a validated Policy, ready to apply.
type compiled struct {
	set          []field  // set before next runs, in a fixed order
	cacheControl []string // nil when disabled
	remove       []string // deleted when the header is written
	needsHook    bool     // whether an anonymous request needs the write-time hook
	credHook     hook     // for a request carrying credentials
	anonHook     hook     // for any other request
}

// field is one header and its value. The value slice is shared by every
// response and has capacity 1, so a handler's Header.Add copies it
// instead of writing into it.
type field struct {
	name  string
	value []string
}

// compile merges p over base (a route entry over Config.Policy; base is
// the zero Policy for Config.Policy itself) and validates the result.
func compile(base, p Policy, where string) (*compiled, error) {
	disabled := map[string]bool{}
	for _, list := range [][]string{base.Disable, p.Disable} {
		for _, name := range list {
			c := http.CanonicalHeaderKey(strings.TrimSpace(name))
			if !contains(managed, c) {
				return nil, wrapf("%s.Disable: %q is not a header the package manages (%s)", where, name, strings.Join(managed, ", "))
			}
			disabled[c] = true
		}
	}
	// A value given on the route enables a header disabled at the top.
	for name, v := range map[string]string{hCSP: p.ContentSecurityPolicy, hReferrer: p.ReferrerPolicy,
		hCORP: p.CrossOriginResourcePolicy, hFrameOptions: p.FrameOptions, hCacheControl: p.CacheControl} {
		if v == "" {
			continue
		}
		if containsFold(p.Disable, name) {
			return nil, wrapf("%s: %s is both given a value and disabled", where, name)
		}
		delete(disabled, name)
	}

	c := &compiled{}
	value := func(name, v, b, def string, check func(string) error) error {
		if disabled[name] {
			return nil
		}
		switch {
		case v != "":
		case b != "":
			v = b
		default:
			v = def
		}
		if err := fieldValue(v); err != nil {
			return wrapf("%s: %s: %v", where, name, err)
		}
		if check != nil {
			if err := check(v); err != nil {
				return wrapf("%s: %s: %v", where, name, err)
			}
		}
		if name == hCacheControl {
			c.cacheControl = []string{v}[:1:1]
		} else {
			c.set = append(c.set, field{name, []string{v}[:1:1]})
		}
		return nil
	}
	if !disabled[hContentTypeOptions] {
		c.set = append(c.set, field{hContentTypeOptions, []string{"nosniff"}[:1:1]})
	}
	for _, err := range []error{
		value(hCSP, p.ContentSecurityPolicy, base.ContentSecurityPolicy, DefaultContentSecurityPolicy, nil),
		value(hReferrer, p.ReferrerPolicy, base.ReferrerPolicy, DefaultReferrerPolicy, referrerPolicy),
		value(hCORP, p.CrossOriginResourcePolicy, base.CrossOriginResourcePolicy, DefaultCrossOriginResourcePolicy,
			oneOf("same-origin", "same-site", "cross-origin")),
		value(hFrameOptions, p.FrameOptions, base.FrameOptions, DefaultFrameOptions, oneOf("DENY", "SAMEORIGIN")),
		value(hCacheControl, p.CacheControl, base.CacheControl, DefaultCacheControl, nil),
	} {
		if err != nil {
			return nil, err
		}
	}

	// A route's Set entry replaces the top-level one of the same name.
	extra, err := canonicalSet(base.Set, where+".Set")
	if err != nil {
		return nil, err
	}
	own, err := canonicalSet(p.Set, where+".Set")
	if err != nil {
		return nil, err
	}
	maps.Copy(extra, own)
	for _, name := range slices.Sorted(maps.Keys(extra)) {
		c.set = append(c.set, field{name, []string{extra[name]}[:1:1]})
	}

	for _, name := range removed {
		if !disabled[name] {
			c.remove = append(c.remove, name)
		}
	}
	for _, list := range [][]string{base.Remove, p.Remove} {
		for _, raw := range list {
			name, err := headerName(strings.TrimSpace(raw), where+".Remove")
			if err != nil {
				return nil, err
			}
			if contains(managed, name) || seen(c.set, name) {
				return nil, wrapf("%s.Remove: %s is a header the policy sets or already removes", where, name)
			}
			if !contains(c.remove, name) {
				c.remove = append(c.remove, name)
			}
		}
	}
	c.needsHook = len(c.remove) > 0 || c.cacheControl != nil
	c.credHook = hook{p: c, cred: true}
	c.anonHook = hook{p: c}
	return c, nil
}

// canonicalSet checks a Set map and returns it keyed by canonical names.
func canonicalSet(set map[string]string, where string) (map[string]string, error) {
	out := make(map[string]string, len(set))
	for k, v := range set {
		name, err := headerName(k, where)
		if err != nil {
			return nil, err
		}
		if contains(managed, name) {
			return nil, wrapf("%s: %s is managed by its own field or Disable", where, name)
		}
		if _, dup := out[name]; dup {
			return nil, wrapf("%s: %s is listed twice", where, name)
		}
		if err := fieldValue(v); err != nil {
			return nil, wrapf("%s: %s: %v", where, name, err)
		}
		out[name] = v
	}
	return out, nil
}

// seen reports whether set has a field named name.
func seen(set []field, name string) bool {
	return slices.ContainsFunc(set, func(f field) bool { return f.name == name })
}

// headerName checks a header name is an RFC 9110 token and returns its
// canonical form.
func headerName(name, where string) (string, error) {
	if name == "" {
		return "", wrapf("%s: empty header name", where)
	}
	for i := 0; i < len(name); i++ {
		if !isTokenChar(name[i]) {
			return "", wrapf("%s: %q is not a header name", where, name)
		}
	}
	return http.CanonicalHeaderKey(name), nil
}

func isTokenChar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

// fieldValue checks v is a non-empty RFC 9110 field value: visible ASCII,
// spaces and tabs inside, none at the ends, no CR, LF or NUL.
func fieldValue(v string) error {
	if v == "" || v != strings.TrimSpace(v) {
		return fmt.Errorf("value %q is empty or has blanks at an end", v)
	}
	for i := 0; i < len(v); i++ {
		if c := v[i]; (c < ' ' && c != '\t') || c >= 0x7f {
			return fmt.Errorf("value %q has a control or non-ASCII byte at %d", v, i)
		}
	}
	return nil
}

// referrerPolicy checks a Referrer-Policy value's tokens (W3C Referrer
// Policy §4.1).
func referrerPolicy(v string) error {
	for tok := range strings.SplitSeq(v, ",") {
		if !contains([]string{"no-referrer", "no-referrer-when-downgrade", "same-origin", "origin",
			"strict-origin", "origin-when-cross-origin", "strict-origin-when-cross-origin", "unsafe-url"},
			strings.TrimSpace(tok)) {
			return fmt.Errorf("%q is not a referrer policy", strings.TrimSpace(tok))
		}
	}
	return nil
}

func oneOf(allowed ...string) func(string) error {
	return func(v string) error {
		if !contains(allowed, v) {
			return fmt.Errorf("%q is not one of %s", v, strings.Join(allowed, ", "))
		}
		return nil
	}
}

func contains(list []string, s string) bool { return slices.Contains(list, s) }

// containsFold reports whether list holds s, ignoring case and blanks.

func containsFold(list []string, s string) bool {
	return slices.ContainsFunc(list, func(x string) bool { return strings.EqualFold(strings.TrimSpace(x), s) })
}

func wrapf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidConfig}, args...)...)
}

func quote(s string) string { return strconv.Quote(s) }
