package main

import (
	"net/http"
	"strings"
)

// gatewayHeaders are the request headers the gateway sets itself on every
// forwarded request, besides the identity headers under identityPrefix.
var gatewayHeaders = map[string]bool{
	requestIDHeader:     true,
	"X-Forwarded-For":   true,
	"X-Forwarded-Host":  true,
	"X-Forwarded-Proto": true,
	"Forwarded":         true,
}

// checkUnderscores refuses a header whose name, read with "_" as "-", is one
// the gateway sets. CGI, WSGI, Rack and PHP upstreams turn both
// X-Apishield-Subject and X_Apishield_Subject (and X-Apishield_Subject)
// into the one variable HTTP_X_APISHIELD_SUBJECT, so the client's would
// merge with, or replace, the gateway's. Some (Apache's CGI environment)
// turn any character that is not a letter or digit into "_", so "." and
// the other token characters are read as "-" too.
//
// Why refuse rather than drop every name with "_", as nginx does: a
// client that spells a gateway header with underscores is forging it,
// and a 400 problem puts that in the audit log where a silent drop would
// hide it. Other names with "_" mean nothing to the gateway.
func checkUnderscores(h http.Header) error {
	for name := range h {
		if !strings.ContainsFunc(name, foldedChar) {
			continue
		}
		if folded := foldHeaderName(name); strings.HasPrefix(folded, identityPrefix) || gatewayHeaders[folded] {
			return malformed("A header name with underscores stands for a header the gateway sets; it is not accepted.")
		}
	}
	return nil
}

// foldHeaderName returns name, canonical, with every character that is not
// a letter, digit or "-" read as "-".
func foldHeaderName(name string) string {
	if !strings.ContainsFunc(name, foldedChar) {
		return http.CanonicalHeaderKey(name)
	}
	b := []byte(name)
	for i, c := range b {
		if foldedChar(rune(c)) {
			b[i] = '-'
		}
	}
	return http.CanonicalHeaderKey(string(b))
}

// foldedChar reports whether c is read as "-" in a header name: anything
// but a letter, a digit and "-" itself.
func foldedChar(c rune) bool {
	return !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-')
}
