package deprecation

import (
	"errors"
	"net/url"
)

// checkLinkTarget accepts an absolute https URL or a relative reference
// made of URI characters only (RFC 3986), so it goes between a Link's
// angle brackets unescaped: no blank, CR, LF, '<', '>' or '"' can end the
// reference or the header, and no other scheme (http, javascript, data)
// reaches a client that follows the link.
func checkLinkTarget(s string) error {
	for i := 0; i < len(s); i++ {
		if !uriChar(s[i]) {
			return errors.New("not a URI reference: only RFC 3986 characters (percent-encode the rest)")
		}
	}
	u, err := url.Parse(s)
	if err != nil {
		return errors.New("not a URI reference")
	}
	switch {
	case u.Scheme == "https":
		if u.Host == "" {
			return errors.New("an https URL needs a host")
		}
		if u.User != nil {
			return errors.New("the URL carries user information")
		}
	case u.Scheme != "":
		return errors.New("want an https URL or a relative reference, not scheme " + u.Scheme)
	case u.Host != "" || len(s) >= 2 && s[:2] == "//":
		// A network-path reference names another host without saying
		// how to reach it: write the https URL instead.
		return errors.New("a scheme-relative reference (//host): write the https URL")
	}
	return nil
}

// uriChar reports whether c may appear in an RFC 3986 URI reference:
// unreserved, reserved, or '%' of a percent-encoding.
func uriChar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	switch c {
	case '-', '.', '_', '~', // unreserved
		':', '/', '?', '#', '[', ']', '@', // gen-delims
		'!', '$', '&', '\'', '(', ')', '*', '+', ',', ';', '=', // sub-delims
		'%':
		return true
	}
	return false
}
