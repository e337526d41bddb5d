package ratelimit

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"net/http"
	"net/textproto"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/apishield/apishield/auth"
	"github.com/apishield/apishield/internal/record"
)

// A KeyFunc appends the rate-limit key of r to dst and returns the extended
// slice. It returns ErrNoKey when r has no key of its kind, and another
// error when the key cannot be derived, which the handler treats as a
// server error (fail closed).
//
// Keys are identities: BySubject and ByAPIKey keys are stored only as HMACs
// in Redis, and ByAPIKey hashes the key before it reaches any store.
type KeyFunc func(dst []byte, r *http.Request) ([]byte, error)

// ErrNoRoute is returned by ByRoute when the request carries no route
// pattern: the limiter runs before routing, where no pattern is known yet.
var ErrNoRoute = errors.New("ratelimit: no route pattern; place the ByRoute limiter inside the router")

// BySubject keys requests by the authenticated principal
// ([auth.FromContext]): its subject within the authority that vouches for
// it, so equal subjects from different authorities are different clients.
// The authority is the issuer when the principal has one (a JWT's iss),
// else the authentication method (API keys and mTLS certificates, which
// have no issuer, never share a budget with each other).
//
// A principal without a subject, such as a client-credentials token, is
// keyed by its client ID instead, under a prefix of its own, so a client
// ID never shares a budget with a subject spelled the same. A principal
// with neither cannot be counted, and is refused rather than let through:
// the error wraps ErrUnidentified, which the handler answers with 403
// forbidden.
//
// A request without a principal has no key (ErrNoKey) and passes
// undecided: anonymous requests on routes that allow them are for the
// per-IP limiter in front. So place the limiter after auth's middleware;
// before it, every request is anonymous.
func BySubject() KeyFunc {
	return func(dst []byte, r *http.Request) ([]byte, error) {
		p, ok := auth.FromContext(r.Context())
		if !ok {
			return dst, ErrNoKey
		}
		id := p.Subject
		switch {
		case id != "":
			dst = append(dst, "sub:"...)
		case p.ClientID != "":
			dst = append(dst, "cid:"...)
			id = p.ClientID
		default:
			return dst, ErrUnidentified
		}
		// Length-prefixed, so no authority's name can run into the id.
		if p.Issuer != "" {
			dst = appendField(append(dst, 'i'), p.Issuer)
		} else {
			dst = appendField(append(dst, 'm'), p.Method)
		}
		return append(dst, id...), nil
	}
}

// appendField appends s after its length, so that fields of any content
// can follow each other unambiguously.
func appendField(dst []byte, s string) []byte {
	return append(binary.AppendUvarint(dst, uint64(len(s))), s...)
}

// ByAPIKey keys requests by the credential in header (such as
// "X-API-Key"), or in the Authorization header when header is
// "Authorization", exactly as auth verifies it: one credential is one key,
// however it is spelled. The credential is hashed (SHA-256) before use, so
// no store ever holds a usable key.
//
// For Authorization, the credential is what [auth.ParseAuthorization]
// returns: "Bearer k", "bearer k" and "ApiKey k" are all the key of k. A
// scheme auth does not take (Basic, Digest…) is no credential to auth, and
// so no key here (ErrNoKey), like a request without the header. For other
// headers the credential is the value itself, which must be 1 to 16 KiB of
// visible ASCII: leading, trailing or inner spaces, tabs and other bytes
// are where verifiers differ (one trims, another does not), so they are
// refused rather than guessed at.
//
// A header that is present but malformed, empty, repeated or longer than
// 16 KiB is refused with an error wrapping ErrMalformedKey, which the
// handler answers with 400 malformed_request: auth refuses such requests
// too, and giving each spelling a bucket of its own would let one
// credential multiply its budget. Requests without the header have no key
// (ErrNoKey).
//
// ByAPIKey counts whatever well-formed credential the client sends, valid
// or not, so it can run before authentication; after authentication,
// BySubject counts the key's owner instead.
//
// header must be a header field name (an RFC 9110 token) that handlers
// see: Host, Transfer-Encoding and Trailer never reach Request.Header, so
// a limiter keyed by them would limit nothing. Errors wrap
// ErrInvalidConfig.
func ByAPIKey(header string) (KeyFunc, error) {
	if !validFieldName(header) {
		return nil, fmt.Errorf("%w: ByAPIKey: %q is not a header field name", ErrInvalidConfig, header)
	}
	header = textproto.CanonicalMIMEHeaderKey(header)
	switch header {
	case "Host", "Transfer-Encoding", "Trailer":
		return nil, fmt.Errorf("%w: ByAPIKey: net/http moves %s out of Request.Header, so no request would have a key", ErrInvalidConfig, header)
	}
	isAuthorization := header == "Authorization"
	return func(dst []byte, r *http.Request) ([]byte, error) {
		vs := r.Header[header]
		switch {
		case len(vs) == 0:
			return dst, ErrNoKey
		case len(vs) > 1:
			return dst, fmt.Errorf("%w: %d %s headers", ErrMalformedKey, len(vs), header)
		}
		v := vs[0]
		if isAuthorization {
			kind, cred, ok := auth.ParseAuthorization(v)
			switch {
			case !ok:
				return dst, fmt.Errorf("%w: auth does not parse the Authorization header", ErrMalformedKey)
			case kind == 0:
				return dst, ErrNoKey
			}
			v = cred
		} else if why := checkKeyValue(v); why != "" {
			return dst, fmt.Errorf("%w: %s header %s", ErrMalformedKey, header, why)
		}
		sum := sha256.Sum256([]byte(v))
		dst = append(dst, "key:"...)
		return base64.RawURLEncoding.AppendEncode(dst, sum[:16]), nil
	}, nil
}

// validFieldName reports whether s is an RFC 9110 field name: a token.
func validFieldName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return true
}

// maxKeyValue bounds an API key header before it is hashed; auth refuses
// longer credentials too.
const maxKeyValue = 16 << 10

// checkKeyValue says what is wrong with an API key header's value, or ""
// if it is 1 to maxKeyValue bytes of visible ASCII (RFC 9110's VCHAR).
func checkKeyValue(v string) string {
	switch {
	case v == "":
		return "is empty"
	case len(v) > maxKeyValue:
		return "is too long"
	}
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < 0x21 || c > 0x7e {
			return "holds a byte other than visible ASCII"
		}
	}
	return ""
}

// ByRoute keys requests by their route pattern and then by inner, so each
// route has its own budget per client; with a nil inner, all clients of a
// route share one budget. Every inner is valid, so ByRoute cannot fail. The pattern is the standard library ServeMux's
// (Request.Pattern), chi's (chi.RouteContext(...).RoutePattern()), or the
// one recorded in apishield's request record, in that order. For
// gorilla/mux and other routers, use ByRouteFunc.
//
// The pattern is known only after routing: wrap the routes' handlers (with
// chi, r.With or a Group's Use; with ServeMux, each handler), not the
// router. A request without a pattern is a server error (ErrNoRoute),
// so a misplaced limiter is noticed instead of silently limiting nothing.
func ByRoute(inner KeyFunc) KeyFunc { return byRoute(RoutePattern, inner) }

// ByRouteFunc is ByRoute with the route pattern taken from route, for
// routers ByRoute does not know. For gorilla/mux:
//
//	byRoute, err := ratelimit.ByRouteFunc(func(r *http.Request) string {
//		t, _ := mux.CurrentRoute(r).GetPathTemplate()
//		return r.Method + " " + t
//	}, byIP)
//
// A nil route is an error wrapping ErrInvalidConfig.
func ByRouteFunc(route func(*http.Request) string, inner KeyFunc) (KeyFunc, error) {
	if route == nil {
		return nil, fmt.Errorf("%w: ByRouteFunc: nil route function", ErrInvalidConfig)
	}
	return byRoute(route, inner), nil
}

func byRoute(route func(*http.Request) string, inner KeyFunc) KeyFunc {
	return func(dst []byte, r *http.Request) ([]byte, error) {
		p := route(r)
		if p == "" {
			return dst, ErrNoRoute
		}
		dst = append(dst, "route:"...)
		dst = append(dst, p...)
		if inner == nil {
			return dst, nil
		}
		dst = append(dst, 0)
		return inner(dst, r)
	}
}

// RoutePattern returns the request's route pattern as ByRoute finds it, or "".
func RoutePattern(r *http.Request) string {
	if r.Pattern != "" {
		return r.Pattern
	}
	if rc := chi.RouteContext(r.Context()); rc != nil {
		if p := rc.RoutePattern(); p != "" && p != "/*" {
			return r.Method + " " + p
		}
	}
	if rec := record.From(r.Context()); rec != nil {
		return rec.Route()
	}
	return ""
}

// Join keys requests by every one of fns together, such as a subject on one
// route; if any has no key, neither has the join. No functions, or a nil
// one, is an error wrapping ErrInvalidConfig.
func Join(fns ...KeyFunc) (KeyFunc, error) {
	fns, err := keyFuncs("Join", fns)
	if err != nil {
		return nil, err
	}
	return func(dst []byte, r *http.Request) ([]byte, error) {
		var err error
		for i, fn := range fns {
			if i > 0 {
				dst = append(dst, 0)
			}
			if dst, err = fn(dst, r); err != nil {
				return dst, err
			}
		}
		return dst, nil
	}, nil
}

// First keys requests by the first of fns that has a key, such as the
// subject when authenticated and else the client address. The kinds are
// prefixed differently, so a subject and an address never collide. No
// functions, or a nil one, is an error wrapping ErrInvalidConfig.
func First(fns ...KeyFunc) (KeyFunc, error) {
	fns, err := keyFuncs("First", fns)
	if err != nil {
		return nil, err
	}
	return func(dst []byte, r *http.Request) ([]byte, error) {
		n := len(dst)
		for _, fn := range fns {
			out, err := fn(dst[:n], r)
			if errors.Is(err, ErrNoKey) {
				continue
			}
			return out, err
		}
		return dst[:n], ErrNoKey
	}, nil
}

// keyFuncs checks and copies the key functions given to Join or First.
func keyFuncs(name string, fns []KeyFunc) ([]KeyFunc, error) {
	if len(fns) == 0 {
		return nil, fmt.Errorf("%w: %s of no key functions", ErrInvalidConfig, name)
	}
	for i, fn := range fns {
		if fn == nil {
			return nil, fmt.Errorf("%w: %s: key function %d is nil", ErrInvalidConfig, name, i)
		}
	}
	return append([]KeyFunc(nil), fns...), nil
}
