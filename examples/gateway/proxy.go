package main

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"time"

	apierrors "github.com/apishield/apishield/errors"
)

// The headers that carry the verified identity to the upstream. Only the
// gateway sets them: the client's headers are an allow-list (forwarding.go)
// that never includes this prefix, so the upstream can trust them (as long
// as only the gateway can reach it).
const (
	identityPrefix  = "X-Apishield-"
	subjectHeader   = "X-Apishield-Subject"
	scopesHeader    = "X-Apishield-Scopes" // space-separated, as in OAuth's scope claim
	methodHeader    = "X-Apishield-Auth-Method"
	clientIDHeader  = "X-Apishield-Client-Id"
	requestIDHeader = "X-Request-Id"
)

// maxForwardBody bounds a request body the gateway forwards without
// validating it. Routes with a validator bound their body themselves.
const maxForwardBody = 1 << 20

// newProxy returns the handler that forwards an allowed request to
// fw.upstream. It waits at most fw.timeout for the upstream's response
// headers.
func newProxy(fw *forwarding, logger *slog.Logger) http.Handler {
	rp := &httputil.ReverseProxy{
		// ReverseProxy has already removed the hop-by-hop headers and any
		// Forwarded/X-Forwarded-* the client sent before Rewrite runs.
		Rewrite: func(pr *httputil.ProxyRequest) {
			// The path the policy matched, in Go's one encoding of it
			// (the guard refused every escape that could decode into
			// another path), and the query exactly as the guard checked
			// it, not as ReverseProxy would clean it.
			pr.Out.URL.RawPath = ""
			pr.Out.URL.RawQuery = pr.In.URL.RawQuery
			pr.SetURL(fw.upstream) // also sets Host to the upstream's
			fw.setHeaders(pr)
		},
		Transport: informationalFilter{allowed: fw.response, RoundTripper: &http.Transport{
			Proxy:                 nil, // never through an environment-configured proxy
			DialContext:           (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			TLSHandshakeTimeout:   5 * time.Second,
			ResponseHeaderTimeout: fw.timeout,
			ExpectContinueTimeout: time.Second,
			IdleConnTimeout:       90 * time.Second,
			MaxIdleConnsPerHost:   64,
			ForceAttemptHTTP2:     true,
		}},
		ModifyResponse: fw.modifyResponse, // response.go
		// Upstream failures, and its 5xx answers, become a 502 problem. The
		// error, which may name the upstream's address, goes to the log
		// only, under the request ID.
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			if mbe := (*http.MaxBytesError)(nil); errors.As(err, &mbe) {
				apierrors.Write(w, r, mbe) // 413: the client's fault, not the upstream's
				return
			}
			if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
				return // the client went away; there is no one to answer
			}
			logger.LogAttrs(r.Context(), slog.LevelWarn, "gateway: upstream failed",
				slog.String("request_id", w.Header().Get(requestIDHeader)),
				slog.String("error", err.Error()))
			apierrors.Write(w, r, apierrors.New(http.StatusBadGateway, apierrors.ReasonUpstreamUnavailable,
				"The service behind the gateway is not available. Try again later."))
		},
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// apierrors' responder has set the request's ID on the response;
		// pass the same one upstream so logs on both sides join.
		if id := w.Header().Get(requestIDHeader); id != "" {
			r = r.WithContext(context.WithValue(r.Context(), requestIDKey{}, id))
		}
		if r.Body != nil && r.Body != http.NoBody {
			r.Body = http.MaxBytesReader(w, r.Body, maxForwardBody)
			if err := checkFormBody(r); err != nil {
				apierrors.Write(w, r, err)
				return
			}
		}
		rp.ServeHTTP(&keepOwnHeaders{ResponseWriter: w, own: w.Header().Clone()}, r)
	})
}

// requestIDKey carries the request ID from the handler to Rewrite.
type requestIDKey struct{}
