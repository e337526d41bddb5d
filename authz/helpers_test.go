package authz_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/apishield/apishield/auth"
	"github.com/apishield/apishield/internal/record"
)

// now is the fixed time step-up rules are tested at.
var now = time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)

func clock() time.Time { return now }

// alice is a principal with a bit of everything.
func alice() *auth.Principal {
	return &auth.Principal{
		Subject:  "alice",
		Issuer:   "https://issuer.test",
		Scopes:   []string{"items:read", "items:write", "orders:*"},
		Roles:    []string{"editor", "viewer"},
		ACR:      "urn:acr:mfa",
		AMR:      []string{"pwd", "otp"},
		AuthTime: now.Add(-2 * time.Minute),
		Method:   auth.MethodJWT,
		Claims: map[string]any{
			"tenant":         "acme",
			"tenants":        []any{"acme", "globex"},
			"groups":         []any{"a", "b"},
			"email_verified": true,
			"suspended":      false,
			"level":          float64(3),
			"big":            json.Number("42"),
			"org":            map[string]any{"id": "o1", "tags": []any{"x", float64(7)}},
			"a/b":            "slash",
			"m~n":            "tilde",
			"null":           nil,
		},
	}
}

// captured is what a test request left behind.
type captured struct {
	rec    *record.Record
	served bool
	resp   *httptest.ResponseRecorder
	body   problemBody
}

type problemBody struct {
	Status int    `json:"status"`
	Reason string `json:"reason"`
	Detail string `json:"detail"`
}

// do serves req through mw around a handler that notes it was reached. The
// record is installed first, as errors.Recover would, so the test can read it.
func do(t *testing.T, mw func(http.Handler) http.Handler, req *http.Request) captured {
	t.Helper()
	var c captured
	inner := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.served = true
		w.WriteHeader(http.StatusNoContent)
	})
	h := installRecord(mw(inner), &c.rec)
	c.resp = httptest.NewRecorder()
	h.ServeHTTP(c.resp, req)
	if c.resp.Code >= 400 {
		if err := json.Unmarshal(c.resp.Body.Bytes(), &c.body); err != nil {
			t.Fatalf("error body %q is not a problem: %v", c.resp.Body.String(), err)
		}
	}
	return c
}

// installRecord installs the request record before h and hands it out.
func installRecord(h http.Handler, out **record.Record) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w, r, rec := record.Install(w, r)
		*out = rec
		h.ServeHTTP(w, r)
	})
}

// as returns req carrying p (nil for an anonymous request).
func as(req *http.Request, p *auth.Principal) *http.Request {
	if p == nil {
		return req
	}
	return req.WithContext(auth.NewContext(req.Context(), p))
}

// authzDecisions returns the record's authz decisions.
func authzDecisions(rec *record.Record) []record.Decision {
	var out []record.Decision
	for _, d := range rec.Decisions() {
		if d.Package == "authz" {
			out = append(out, d)
		}
	}
	return out
}

// testAuth is the stand-in for auth's middleware in integration tests: it
// builds the principal from the X-Test-Subject, X-Test-Scopes and
// X-Test-Roles headers, and records its decision as auth would.
func testAuth(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w, r, rec := record.Install(w, r)
		sub := r.Header.Get("X-Test-Subject")
		if sub == "" {
			rec.AddDecision(record.Decision{Package: "auth", Outcome: record.Skip, Reason: "anonymous"})
			next.ServeHTTP(w, r)
			return
		}
		p := &auth.Principal{Subject: sub, Method: auth.MethodJWT,
			Scopes: splitHeader(r.Header.Get("X-Test-Scopes")),
			Roles:  splitHeader(r.Header.Get("X-Test-Roles")),
			Claims: map[string]any{"tenant": r.Header.Get("X-Test-Tenant")}}
		if r.Header.Get("X-Test-MFA") != "" {
			p.AMR = []string{"pwd", "mfa"}
		}
		rec.AddDecision(record.Decision{Package: "auth", Outcome: record.Allow, Reason: "jwt"})
		next.ServeHTTP(w, r.WithContext(auth.NewContext(r.Context(), p)))
	})
}

func splitHeader(s string) []string {
	var out []string
	for len(s) > 0 {
		i := 0
		for i < len(s) && s[i] != ' ' {
			i++
		}
		if i > 0 {
			out = append(out, s[:i])
		}
		if i == len(s) {
			break
		}
		s = s[i+1:]
	}
	return out
}
