package main

import (
	"mime"
	"net/http"
	"strings"

	apierrors "github.com/apishield/apishield/errors"
)

// singletonHeaders may appear at most once in a request. Two of them are
// two readings of the body or the request: one Content-Type for the
// validator and the other for the upstream, two lengths (the smuggling
// classic), two idempotency keys or dates, one per layer.
//
// Go's HTTP/1 server already refuses two Host headers, two different
// Content-Length values and any Transfer-Encoding but one "chunked" (with
// a plain 400 or 501, before any handler runs), folds identical
// Content-Length lines into one, drops Content-Length when a body is
// chunked, and moves Host and Transfer-Encoding out of the header map. The
// list names them anyway, so the rule holds as written if the gateway is
// served some other way.
var singletonHeaders = []string{
	"Content-Type", "Content-Encoding", "Content-Length", "Transfer-Encoding", "Host",
	"Idempotency-Key", "If-Modified-Since", "If-Unmodified-Since",
}

// checkFraming refuses a request whose body is ambiguous: a singleton
// header twice, a Content-Type that is not one media type, an encoded
// (compressed) body, which would be decompressed past every size limit
// at the upstream, as validate refuses it; and a body on GET or HEAD,
// which some servers read as the next request and others ignore.
func checkFraming(r *http.Request) error {
	for _, name := range singletonHeaders {
		if len(r.Header[name]) > 1 {
			return malformed("The request has more than one " + name + " header.")
		}
	}
	if ct, ok := r.Header["Content-Type"]; ok {
		if _, _, err := mime.ParseMediaType(ct[0]); err != nil {
			return malformed("The Content-Type header is not one media type.")
		}
	}
	if ce := r.Header.Get("Content-Encoding"); ce != "" && !strings.EqualFold(strings.TrimSpace(ce), "identity") {
		return apierrors.New(http.StatusUnsupportedMediaType, apierrors.ReasonUnsupportedMediaType,
			"Encoded (compressed) request bodies are not accepted.")
	}
	if (r.Method == http.MethodGet || r.Method == http.MethodHead) && r.ContentLength != 0 {
		return malformed("A GET or HEAD request must not have a body.")
	}
	return nil
}
