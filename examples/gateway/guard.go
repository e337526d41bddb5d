package main

import (
	"net/http"

	apierrors "github.com/apishield/apishield/errors"
)

// guard refuses, before any credential is verified, the requests the
// gateway will not forward in any form: each check is a way for the request
// the upstream sees to differ from the one the policy, the validators and
// the audit log saw. It runs after the per-IP rate limit, so a flood of
// refused requests is still limited. It is safe for concurrent use.
type guard struct {
	mux *http.ServeMux
	// forwarded is the allow-list of client headers forwarded.
	forwarded map[string]bool
	// upgrades maps a route pattern to the protocols it allows, lower case.
	upgrades map[string][]string
}

// newGuard builds the guard for the routes of table, registered on mux,
// and the allow-list of client headers forwarded.
func newGuard(mux *http.ServeMux, table []apiRoute, forwarded map[string]bool) (*guard, error) {
	up, err := upgradeTable(table)
	if err != nil {
		return nil, err
	}
	return &guard{mux: mux, forwarded: forwarded, upgrades: up}, nil
}

// Check returns the problem that refuses r, or nil if the gateway may
// forward it.
func (g *guard) Check(r *http.Request) error {
	if err := checkFraming(r); err != nil {
		return err
	}
	if err := checkPath(r.URL.EscapedPath(), r.URL.Path); err != nil {
		return err
	}
	if err := checkQuery(r.URL.RawQuery); err != nil {
		return err
	}
	if err := checkUnderscores(r.Header, g.forwarded); err != nil {
		return err
	}
	if err := checkOverrideHeaders(r.Header); err != nil {
		return err
	}
	return g.checkUpgrade(r)
}

// Handler refuses with a problem every request Check refuses.
func (g *guard) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := g.Check(r); err != nil {
			apierrors.Write(w, r, err)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// malformed is the guard's refusal: a 400 problem with detail.
func malformed(detail string) *apierrors.Problem {
	return apierrors.New(http.StatusBadRequest, apierrors.ReasonMalformedRequest, detail)
}

// isToken reports whether s is an RFC 9110 token: a header name, or a
// protocol name.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
			continue
		}
		switch c {
		case '!', '#', '$', '%', '&', '\'', '*', '+', '-', '.', '^', '_', '`', '|', '~':
			continue
		}
		return false
	}
	return true
}
