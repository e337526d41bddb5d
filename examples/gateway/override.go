package main

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
)

// Upstream frameworks run another method than the request's when the request
// asks them to: through the X-HTTP-Method-Override, X-HTTP-Method and
// X-Method-Override headers (Express's method-override, ASP.NET, many
// Java stacks) or a _method query parameter or form field (Rails, Laravel,
// Symfony). The policy decided on the request's method, so a GET it allowed
// could run as a DELETE it never saw. The gateway refuses every one of them
// rather than strip it: a client that sends one expects another method to
// run, and silently running the request as sent would surprise it; the
// refusal also puts the attempt in the audit log.

// overrideHeaders are the method override headers, canonical.
var overrideHeaders = map[string]bool{
	"X-Http-Method-Override": true,
	"X-Http-Method":          true,
	"X-Method-Override":      true,
}

// maxFormParts bounds the parts of a multipart body the gateway reads.
const maxFormParts = 1000

// checkOverrideHeaders refuses a method override header, however its name
// is spelled (X_HTTP_Method_Override).
func checkOverrideHeaders(h http.Header) error {
	for name := range h {
		if overrideHeaders[foldHeaderName(name)] {
			return malformed("Method override headers are not accepted: send the request with the method itself.")
		}
	}
	return nil
}

// checkParamName refuses a query parameter or form field name that an
// upstream framework would read as a method override.
func checkParamName(name string) error {
	if foldParamName(name) == "_method" {
		return malformed("A _method parameter is not accepted: send the request with the method itself.")
	}
	return nil
}

// foldParamName returns a parameter name as the most lenient upstream reads
// it: case ignored (ASP.NET), the array syntax of PHP and Rack cut
// ("_method[]"), and ".", " " and an unclosed "[" read as "_" (PHP).
func foldParamName(name string) string {
	name = strings.ToLower(strings.TrimLeft(name, " "))
	if i := strings.IndexByte(name, '['); i > 0 && strings.IndexByte(name[i:], ']') > 0 {
		name = name[:i]
	}
	return strings.Map(func(c rune) rune {
		if c == '.' || c == ' ' || c == '[' {
			return '_'
		}
		return c
	}, name)
}

// checkFormBody reads a form body (urlencoded or multipart) of r, already
// bounded by a MaxBytesReader, and refuses it if a field overrides the
// method. The bytes read are put back, to be forwarded as they came. Any
// other body is left unread.
func checkFormBody(r *http.Request) error {
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || (mt != "application/x-www-form-urlencoded" && mt != "multipart/form-data") {
		return nil
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		if mbe := (*http.MaxBytesError)(nil); errors.As(err, &mbe) {
			return mbe // a 413 problem
		}
		return malformed("The request body could not be read.")
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.ContentLength, r.TransferEncoding = int64(len(body)), nil
	bad := malformed("The form body is malformed.")
	if mt == "application/x-www-form-urlencoded" {
		fields, err := url.ParseQuery(string(body))
		if err != nil {
			return bad
		}
		for name := range fields {
			if err := checkParamName(name); err != nil {
				return err
			}
		}
		return nil
	}
	mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
	for range maxFormParts {
		p, err := mr.NextPart()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return bad
		}
		if err := checkParamName(p.FormName()); err != nil {
			return err
		}
	}
	return malformed("The form body has too many parts.")
}
