package main

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"net/textproto"
	"net/url"
	"strings"
)

// defaultResponseHeaders is the allow-list of upstream response headers
// passed to the client (-response-headers adds to it): the body's
// description, caching and validators, redirects, pagination links,
// Retry-After, Allow, and deprecation notices (RFC 9745, RFC 8594).
// Everything else the upstream sends (Server, X-Powered-By,
// X-AspNet-Version, X-Debug-*, Set-Cookie, Via, its own request ID…) is
// dropped: it tells a client what runs behind the gateway, or is the
// gateway's to set.
var defaultResponseHeaders = []string{
	"Allow", "Cache-Control", "Content-Disposition", "Content-Encoding", "Content-Language",
	"Content-Length", "Content-Location", "Content-Type", "Deprecation", "Etag", "Expires",
	"Last-Modified", "Link", "Location", "Retry-After", "Sunset", "Vary",
}

// upgradeResponseHeaders are also passed on a 101 to a protocol the route
// allows, besides Connection and Upgrade.
var upgradeResponseHeaders = map[string]map[string]bool{
	"websocket": {"Sec-Websocket-Accept": true, "Sec-Websocket-Protocol": true, "Sec-Websocket-Extensions": true},
}

// reservedResponseHeader reports whether name (canonical) may never be
// added to the response allow-list: hop-by-hop headers, and those the
// gateway sets itself (request ID, rate limits, authentication challenges).
func reservedResponseHeader(name string) bool {
	switch name {
	case "Connection", "Keep-Alive", "Te", "Trailer", "Transfer-Encoding", "Upgrade",
		requestIDHeader, "Ratelimit", "Ratelimit-Policy", "Www-Authenticate":
		return true
	}
	return strings.HasPrefix(name, "Proxy-") || strings.HasPrefix(name, identityPrefix)
}

// errUpstreamStatus is an upstream 5xx, which the proxy's ErrorHandler
// answers with a 502 problem; the status goes to the log only.
type errUpstreamStatus int

func (e errUpstreamStatus) Error() string {
	return fmt.Sprintf("the upstream answered %d", int(e))
}

// modifyResponse is ReverseProxy's ModifyResponse: it replaces an upstream
// 5xx (unless -pass-upstream-errors), whose body may hold a stack trace,
// SQL or file paths, and passes only the allow-listed headers and trailers.
func (fw *forwarding) modifyResponse(resp *http.Response) error {
	if resp.StatusCode >= 500 && !fw.passErrors {
		return errUpstreamStatus(resp.StatusCode)
	}
	switched := resp.StatusCode == http.StatusSwitchingProtocols
	upgrade := upgradeResponseHeaders[strings.ToLower(resp.Header.Get("Upgrade"))]
	for name := range resp.Header {
		if !fw.response[name] && !(switched && (name == "Connection" || name == "Upgrade" || upgrade[name])) {
			delete(resp.Header, name)
		}
	}
	for _, name := range []string{"Location", "Content-Location"} {
		if v, ok := resp.Header[name]; ok {
			if loc := fw.publicLocation(v[0]); loc != "" && len(v) == 1 {
				resp.Header[name] = []string{loc}
			} else {
				delete(resp.Header, name)
			}
		}
	}
	if switched {
		return nil // the body is the tunnel; it has no trailers
	}
	// ReverseProxy announces the trailers it finds in resp.Trailer now,
	// and copies their values once the body is read.
	filterHeader(resp.Trailer, fw.response)
	resp.Body = &trailerFilter{ReadCloser: resp.Body, resp: resp, allowed: fw.response}
	return nil
}

// publicLocation rewrites a Location (or Content-Location) that points at
// the upstream itself (http://10.0.0.5:9000/api/v1/items/7, or
// /api/v1/items/7 under the upstream's path prefix) into the gateway's path
// (/v1/items/7), so the client never learns the upstream's address or
// layout. A Location on any other host is left alone; one that does not
// parse is dropped ("").
func (fw *forwarding) publicLocation(v string) string {
	u, err := url.Parse(v)
	if err != nil {
		return ""
	}
	if u.Host != "" || u.Scheme != "" {
		if !strings.EqualFold(u.Host, fw.upstream.Host) {
			return v
		}
		u.Scheme, u.Host, u.User = "", "", nil
	}
	if prefix := strings.TrimSuffix(fw.upstream.Path, "/"); prefix != "" && strings.HasPrefix(u.Path, "/") {
		if rest, ok := strings.CutPrefix(u.Path, prefix); ok && (rest == "" || rest[0] == '/') {
			u.Path, u.RawPath = "/"+strings.TrimPrefix(rest, "/"), ""
		}
	}
	return u.String()
}

// filterHeader deletes from h every name not in allowed.
func filterHeader[H ~map[string][]string](h H, allowed map[string]bool) {
	for name := range h {
		if !allowed[name] {
			delete(h, name)
		}
	}
}

// trailerFilter drops the trailers that are not allowed once the
// transport has read them, at the end of the body, before ReverseProxy
// copies them (announced or not) to the client.
type trailerFilter struct {
	io.ReadCloser
	resp    *http.Response
	allowed map[string]bool
}

func (t *trailerFilter) Read(p []byte) (int, error) {
	n, err := t.ReadCloser.Read(p)
	if err == io.EOF {
		filterHeader(t.resp.Trailer, t.allowed)
	}
	return n, err
}

func (t *trailerFilter) Close() error {
	err := t.ReadCloser.Close()
	filterHeader(t.resp.Trailer, t.allowed)
	return err
}

// informationalFilter is the proxy's transport. ReverseProxy relays the
// upstream's 1xx responses (103 Early Hints) from a trace hook, with every
// header and before ModifyResponse could see them; this transport's own
// hook runs first (httptrace calls a later-added hook before the earlier
// one) and deletes the headers not on the allow-list from the header map
// they share.
type informationalFilter struct {
	http.RoundTripper
	allowed map[string]bool
}

func (t informationalFilter) RoundTrip(r *http.Request) (*http.Response, error) {
	trace := &httptrace.ClientTrace{Got1xxResponse: func(code int, h textproto.MIMEHeader) error {
		filterHeader(h, t.allowed)
		return nil
	}}
	return t.RoundTripper.RoundTrip(r.WithContext(httptrace.WithClientTrace(r.Context(), trace)))
}

// keepOwnHeaders puts back, on the final response, the headers the gateway
// had set before forwarding (request ID, rate limits): after relaying a 1xx
// response ReverseProxy clears all the ResponseWriter's headers (Go issue
// 81207).
type keepOwnHeaders struct {
	http.ResponseWriter
	own http.Header
}

func (w *keepOwnHeaders) WriteHeader(code int) {
	if code >= 200 {
		h := w.Header()
		for k, v := range w.own {
			if _, ok := h[k]; !ok {
				h[k] = v
			}
		}
	}
	w.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the connection (flushes, and
// the hijack of a protocol switch).
func (w *keepOwnHeaders) Unwrap() http.ResponseWriter { return w.ResponseWriter }
