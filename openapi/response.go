package openapi

import "net/http"

// A respCheck is an operation's responses, ready to check.
type respCheck struct{}

func newRespCheck(op *operation, cfg *Config) (*respCheck, error) { return nil, nil }

func (c *respCheck) serve(w http.ResponseWriter, r *http.Request, next http.Handler) {
	next.ServeHTTP(w, r)
}
