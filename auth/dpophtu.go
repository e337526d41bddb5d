package auth

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// htuMatches compares a proof's htu with the request's URI (RFC 9449
// §4.3): the configured public origin and the request's path, both without
// query and fragment, after RFC 3986 §6.2.2 normalization (case of scheme,
// host and percent-encodings, decoding of unreserved characters, dot
// segments) and §6.2.3 (default port, empty path).
func (d *dpopVerifier) htuMatches(htu string, r *http.Request) bool {
	if len(htu) > 8<<10 {
		return false
	}
	want := requestPath(r)
	// The common case: the client wrote the origin as configured and a
	// path that needs no normalization.
	if rest, ok := strings.CutPrefix(htu, d.origin); ok && plainPath(rest) && plainPath(want) {
		return rest == want
	}
	u, err := url.Parse(htu)
	if err != nil || u.Opaque != "" || u.User != nil {
		return false
	}
	origin, ok := normalizeOrigin(u.Scheme + "://" + u.Host)
	if !ok || origin != d.origin {
		return false
	}
	got, ok := normalizePath(u.EscapedPath())
	if !ok {
		return false
	}
	want, ok = normalizePath(want)
	return ok && got == want
}

// requestPath is the path of the request target as the client sent it:
// RequestURI, which http.StripPrefix and routers leave alone, else the
// URL's escaped path (a request built outside a server).
func requestPath(r *http.Request) string {
	p := r.RequestURI
	if p == "" || p == "*" {
		return r.URL.EscapedPath()
	}
	if i := strings.IndexAny(p, "?#"); i >= 0 {
		p = p[:i]
	}
	if p != "" && p[0] != '/' {
		// Absolute form (a request to a proxy): keep the path only.
		if u, err := url.Parse(p); err == nil {
			return u.EscapedPath()
		}
		return ""
	}
	return p
}

// plainPath reports whether p is already normal: it starts with "/" and
// holds no percent-encoding, dot segment, query or fragment.
func plainPath(p string) bool {
	if p == "" || p[0] != '/' {
		return false
	}
	for i := 0; i < len(p); i++ {
		switch p[i] {
		case '%', '?', '#':
			return false
		case '.':
			if p[i-1] == '/' {
				return false
			}
		}
	}
	return true
}

// normalizeOrigin returns scheme://host[:port] with scheme and host in
// lower case and the scheme's default port dropped; ok is false for
// anything but an http or https origin (a path other than "/", a query,
// a fragment or user information included).
func normalizeOrigin(s string) (string, bool) {
	u, err := url.Parse(s)
	if err != nil || u.Opaque != "" || u.User != nil || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" ||
		(u.Path != "" && u.Path != "/") || u.Host == "" {
		return "", false
	}
	scheme := strings.ToLower(u.Scheme)
	if scheme != "http" && scheme != "https" {
		return "", false
	}
	host, port := strings.ToLower(u.Hostname()), u.Port()
	if host == "" {
		return "", false
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if (scheme == "https" && port == "443") || (scheme == "http" && port == "80") {
		port = ""
	}
	if port != "" {
		if _, err := strconv.ParseUint(port, 10, 16); err != nil {
			return "", false
		}
		host += ":" + port
	}
	return scheme + "://" + host, true
}

// normalizePath applies RFC 3986 §6.2.2 to an escaped path: percent-
// encodings in upper case, unreserved characters decoded, dot segments
// removed; and §6.2.3: an empty path is "/". ok is false for a malformed
// percent-encoding.
func normalizePath(p string) (string, bool) {
	if p == "" {
		return "/", true
	}
	var b strings.Builder
	b.Grow(len(p))
	for i := 0; i < len(p); i++ {
		c := p[i]
		if c != '%' {
			b.WriteByte(c)
			continue
		}
		if i+2 >= len(p) || !isHex(p[i+1]) || !isHex(p[i+2]) {
			return "", false
		}
		v := unhex(p[i+1])<<4 | unhex(p[i+2])
		if isUnreserved(v) {
			b.WriteByte(v)
		} else {
			b.WriteByte('%')
			b.WriteByte(upperHex(p[i+1]))
			b.WriteByte(upperHex(p[i+2]))
		}
		i += 2
	}
	return removeDotSegments(b.String()), true
}

// removeDotSegments is RFC 3986 §5.2.4.
func removeDotSegments(in string) string {
	if !strings.Contains(in, ".") {
		return in
	}
	var out []string
	abs := strings.HasPrefix(in, "/")
	segs := strings.Split(in, "/")
	if abs {
		segs = segs[1:]
	}
	for i, s := range segs {
		last := i == len(segs)-1
		switch s {
		case ".":
			if last {
				out = append(out, "")
			}
		case "..":
			if len(out) > 0 {
				out = out[:len(out)-1]
			}
			if last {
				out = append(out, "")
			}
		default:
			out = append(out, s)
		}
	}
	res := strings.Join(out, "/")
	if abs {
		res = "/" + res
	}
	return res
}

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

func unhex(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

func upperHex(c byte) byte {
	if c >= 'a' && c <= 'f' {
		return c - 'a' + 'A'
	}
	return c
}

func isUnreserved(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~'
}
