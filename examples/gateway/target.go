package main

import (
	"net/url"
	"strings"
	"unicode/utf8"
)

// The gateway decides on the path and query as Go decodes them; the
// upstream, and anything between, may decode them again or split them
// otherwise. Wherever two readings could differ, the gateway refuses the
// request rather than guess which one the upstream takes.

// checkPath refuses a request path that an upstream could read as another
// one. escaped is the path as it came (URL.EscapedPath), decoded is
// URL.Path.
//
// Refused, encoded: "/" and "\" (one more decoding adds segments), "."
// (dot segments appear after one more decoding: %2e%2e), "%" (double
// encoding: %252e), ";" and control bytes (%00–%1F, %7F). Refused, even
// as they came: "\" (Windows and some proxies read it as "/") and ";"
// (Tomcat, Jetty and Spring cut path parameters at it, so /admin;x=1 is
// /admin to them and not to the gateway's routes). And a path that is not
// UTF-8 once decoded (%c0%ae, an overlong ".", is "." to lenient
// decoders). Plain dot segments and empty segments need no check: the
// router redirects such a path to its clean form before anything runs.
func checkPath(escaped, decoded string) error {
	for i := 0; i < len(escaped); i++ {
		if escaped[i] != '%' || i+2 >= len(escaped) {
			continue
		}
		b, ok := unhex(escaped[i+1], escaped[i+2])
		if !ok {
			continue // Go's server has refused malformed escapes in a path already
		}
		switch {
		case b == '/' || b == '\\':
			return malformed("Encoded slashes and backslashes are not allowed in the path.")
		case b == '.' || b == '%' || b == ';' || b < 0x20 || b == 0x7f:
			return malformed("Encoded dots, percent signs, semicolons and control characters are not allowed in the path.")
		}
	}
	if strings.ContainsAny(decoded, "\\;") {
		return malformed("Backslashes and semicolons are not allowed in the path.")
	}
	if !utf8.ValidString(decoded) {
		return malformed("The path is not valid UTF-8.")
	}
	return nil
}

// checkQuery refuses a query string that does not parse entirely, as
// url.ParseQuery parses it, into parameters the gateway accepts. So the
// raw query, forwarded as it came, is exactly what the gateway, the auth
// middleware and the validators saw. Refused:
//
//   - ";" as a separator: Go no longer splits on it (and drops the pair),
//     older frameworks do, so x=1;access_token=… hid a token from the
//     query-token refusal and reached them;
//   - malformed escapes (%zz, a trailing %), which each decoder repairs
//     its own way;
//   - encoded control bytes (%00–%1F, %7F): NUL truncates in C and
//     databases, CR LF splits lines in logs and headers;
//   - an access_token or _method parameter under any spelling an upstream
//     framework reads as one (see foldParamName): a credential in a URL
//     ends up in logs, and the upstream could authenticate the caller as
//     someone else than the gateway did; a method override is refused as
//     in checkParamName.
//
// "%25" is accepted here: q=100%25 is an ordinary "%".
func checkQuery(raw string) error {
	if raw == "" {
		return nil
	}
	params, err := url.ParseQuery(raw)
	if err != nil {
		return malformed("The query string is malformed: separate parameters with & only, and escape % as %25.")
	}
	for i := 0; i+2 < len(raw); i++ {
		if raw[i] != '%' {
			continue
		}
		if b, ok := unhex(raw[i+1], raw[i+2]); ok && (b < 0x20 || b == 0x7f) {
			return malformed("Encoded control characters are not allowed in the query string.")
		}
	}
	for name := range params {
		if foldParamName(name) == "access_token" {
			return malformed("Access tokens are not accepted in the query string: send them in the Authorization header.")
		}
		if err := checkParamName(name); err != nil {
			return err
		}
	}
	return nil
}

// unhex decodes the two hex digits of a %-escape.
func unhex(a, b byte) (byte, bool) {
	hi, ok1 := hexDigit(a)
	lo, ok2 := hexDigit(b)
	return hi<<4 | lo, ok1 && ok2
}

func hexDigit(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}
