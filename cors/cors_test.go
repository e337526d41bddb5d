package cors

import (
	"crypto/tls"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	apierrors "github.com/apishield/apishield/errors"
	"github.com/apishield/apishield/internal/record"
)

// result is what one request through the middleware did.
type result struct {
	code      int
	header    http.Header
	reached   bool
	decisions []record.Decision
	reason    string
}

// serve sends req through m.Handler, behind an outer middleware that
// installs the request record as a full stack does, and reports what
// happened.
func serve(t *testing.T, h func(http.Handler) http.Handler, req *http.Request) result {
	t.Helper()
	var res result
	var rec *record.Record
	inner := h(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		res.reached = true
		w.WriteHeader(http.StatusOK)
	}))
	rr := httptest.NewRecorder()
	outer := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w, r, rec = record.Install(w, r)
		inner.ServeHTTP(w, r)
	})
	outer.ServeHTTP(rr, req)
	res.code, res.header, res.decisions = rr.Code, rr.Header(), rec.Decisions()
	if rr.Code >= 400 {
		var p struct {
			Reason string `json:"reason"`
		}
		if err := json.Unmarshal(rr.Body.Bytes(), &p); err != nil {
			t.Fatalf("problem body %q: %v", rr.Body, err)
		}
		if ct := rr.Header().Get("Content-Type"); ct != "application/problem+json" {
			t.Errorf("problem Content-Type = %q, want application/problem+json", ct)
		}
		res.reason = p.Reason
	}
	return res
}

func request(method, target, origin string, hdr ...string) *http.Request {
	req := httptest.NewRequest(method, target, nil)
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Add(hdr[i], hdr[i+1])
	}
	return req
}

var testPolicy = Policy{
	AllowedOrigins:   []string{"https://app.example.com", "https://*.example.com", "http://localhost:5173", "http://[::1]:8080", "HTTPS://Admin.Example.org:443"},
	AllowedMethods:   []string{"GET", "POST", "PUT"},
	AllowedHeaders:   []string{"Content-Type", "X-Trace"},
	ExposedHeaders:   []string{"X-Request-Id", "Retry-After"},
	MaxAge:           10 * time.Minute,
	AllowCredentials: true,
}

func TestActualRequests(t *testing.T) {
	t.Parallel()
	m := MustNew(Config{Policy: testPolicy})
	long := "https://" + strings.Repeat("a", 60) + "." + strings.Repeat("b.", 200) + "example.com"
	for _, tc := range []struct {
		name     string
		req      *http.Request
		wantCode int    // 200 reached, 403 refused
		wantACAO string // on 200
		wantRule string // decision rule; "" for no decision
		cause    error
	}{
		{"no Origin: not a CORS request", request("GET", "/v1/items", ""), 200, "", "", nil},
		{"exact origin", request("GET", "/v1/items", "https://app.example.com"), 200, "https://app.example.com", "https://app.example.com", nil},
		{"config case and default port folded", request("GET", "/v1/items", "https://admin.example.org"), 200, "https://admin.example.org", "https://admin.example.org", nil},
		{"wildcard subdomain", request("POST", "/v1/items", "https://shop.example.com"), 200, "https://shop.example.com", "https://*.example.com", nil},
		{"localhost with port", request("PUT", "/v1/items", "http://localhost:5173"), 200, "http://localhost:5173", "http://localhost:5173", nil},
		{"IPv6 loopback", request("GET", "/v1/items", "http://[::1]:8080"), 200, "http://[::1]:8080", "http://[::1]:8080", nil},

		{"not listed", request("GET", "/v1/items", "https://other.test"), 403, "", "origin", ErrOriginNotAllowed},
		{"apex not matched by wildcard", request("GET", "/", "https://example.com"), 403, "", "origin", ErrOriginNotAllowed},
		{"two labels under wildcard", request("GET", "/", "https://a.b.example.com"), 403, "", "origin", ErrOriginNotAllowed},
		{"scheme differs", request("GET", "/", "http://app.example.com"), 403, "", "origin", ErrOriginNotAllowed},
		{"port differs", request("GET", "/", "https://app.example.com:8443"), 403, "", "origin", ErrOriginNotAllowed},
		{"wildcard port differs", request("GET", "/", "https://a.example.com:8443"), 403, "", "origin", ErrOriginNotAllowed},
		{"default port spelled out", request("GET", "/", "https://app.example.com:443"), 403, "", "origin", ErrOriginNotAllowed},
		{"localhost without port", request("GET", "/", "http://localhost"), 403, "", "origin", ErrOriginNotAllowed},
		{"null", request("POST", "/", "null"), 403, "", "origin", ErrOriginNotAllowed},
		{"empty", request("POST", "/", ""), 200, "", "", nil}, // Set("Origin", "") is skipped by request
		{"suffix look-alike", request("GET", "/", "https://example.com.evil.test"), 403, "", "origin", ErrOriginNotAllowed},
		{"app suffix look-alike", request("GET", "/", "https://app.example.com.evil.test"), 403, "", "origin", ErrOriginNotAllowed},
		{"prefix look-alike", request("GET", "/", "https://evilexample.com"), 403, "", "origin", ErrOriginNotAllowed},
		{"prefix look-alike of subdomain", request("GET", "/", "https://a.evilexample.com"), 403, "", "origin", ErrOriginNotAllowed},
		{"user info", request("GET", "/", "https://app.example.com@evil.test"), 403, "", "origin", ErrOriginNotAllowed},
		{"user info under wildcard", request("GET", "/", "https://evil.test@a.example.com"), 403, "", "origin", ErrOriginNotAllowed},
		{"upper case", request("GET", "/", "https://APP.example.com"), 403, "", "origin", ErrOriginNotAllowed},
		{"upper-case scheme", request("GET", "/", "HTTPS://app.example.com"), 403, "", "origin", ErrOriginNotAllowed},
		{"trailing dot", request("GET", "/", "https://app.example.com."), 403, "", "origin", ErrOriginNotAllowed},
		{"trailing dot under wildcard", request("GET", "/", "https://a.example.com."), 403, "", "origin", ErrOriginNotAllowed},
		{"trailing slash", request("GET", "/", "https://app.example.com/"), 403, "", "origin", ErrOriginNotAllowed},
		{"path", request("GET", "/", "https://app.example.com/x"), 403, "", "origin", ErrOriginNotAllowed},
		{"query", request("GET", "/", "https://app.example.com?x"), 403, "", "origin", ErrOriginNotAllowed},
		{"Cyrillic a", request("GET", "/", "https://\u0430pp.example.com"), 403, "", "origin", ErrOriginNotAllowed},
		{"fullwidth dot", request("GET", "/", "https://a\uff0eexample.com"), 403, "", "origin", ErrOriginNotAllowed},
		{"percent-encoded dot", request("GET", "/", "https://app%2eexample.com"), 403, "", "origin", ErrOriginNotAllowed},
		{"backslash", request("GET", "/", "https://evil.test\\.example.com"), 403, "", "origin", ErrOriginNotAllowed},
		{"NUL", request("GET", "/", "https://app.example.com\x00"), 403, "", "origin", ErrOriginNotAllowed},
		{"literal wildcard", request("GET", "/", "https://*.example.com"), 403, "", "origin", ErrOriginNotAllowed},
		{"list of origins", request("GET", "/", "https://app.example.com https://evil.test"), 403, "", "origin", ErrOriginNotAllowed},
		{"comma list", request("GET", "/", "https://app.example.com,https://evil.test"), 403, "", "origin", ErrOriginNotAllowed},
		{"two Origin headers", request("GET", "/", "https://app.example.com", "Origin", "https://evil.test"), 403, "", "origin", ErrOriginNotAllowed},
		{"IPv6 not canonical", request("GET", "/", "http://[0:0::1]:8080"), 403, "", "origin", ErrOriginNotAllowed},
		{"leading zero port", request("GET", "/", "http://localhost:05173"), 403, "", "origin", ErrOriginNotAllowed},
		{"overlong", request("GET", "/", long), 403, "", "origin", ErrOriginNotAllowed},
		{"method not allowed", request("DELETE", "/v1/items", "https://app.example.com"), 403, "", "method", ErrMethodNotAllowed},
		{"OPTIONS without preflight header is an actual request", request("OPTIONS", "/v1/items", "https://app.example.com"), 403, "", "method", ErrMethodNotAllowed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res := serve(t, m.Handler, tc.req)
			if res.code != tc.wantCode {
				t.Fatalf("status = %d, want %d", res.code, tc.wantCode)
			}
			if got := res.header.Values("Vary"); len(got) != 1 || got[0] != "Origin" {
				t.Errorf("Vary = %q, want [Origin]", got)
			}
			if got := res.header.Get("Access-Control-Allow-Origin"); got != tc.wantACAO {
				t.Errorf("Access-Control-Allow-Origin = %q, want %q", got, tc.wantACAO)
			}
			err := m.Check(tc.req)
			if tc.wantCode == 403 {
				if res.reached {
					t.Error("next ran for a refused request")
				}
				if res.reason != apierrors.ReasonOriginNotAllowed {
					t.Errorf("reason = %q, want %q", res.reason, apierrors.ReasonOriginNotAllowed)
				}
				for _, h := range []string{"Access-Control-Allow-Credentials", "Access-Control-Expose-Headers"} {
					if res.header.Get(h) != "" {
						t.Errorf("a refusal carries %s", h)
					}
				}
				want := []record.Decision{{Package: "cors", Outcome: record.Deny, Reason: apierrors.ReasonOriginNotAllowed, Rule: tc.wantRule}}
				if !equalDecisions(res.decisions, want) {
					t.Errorf("decisions = %+v, want %+v", res.decisions, want)
				}
				var p *apierrors.Problem
				if !errors.Is(err, tc.cause) || !errors.As(err, &p) || p.Status != 403 {
					t.Errorf("Check = %v, want a 403 problem wrapping %v", err, tc.cause)
				}
				return
			}
			if !res.reached {
				t.Error("next did not run")
			}
			if err != nil {
				t.Errorf("Check = %v, want nil", err)
			}
			if tc.wantACAO == "" {
				if len(res.decisions) != 0 {
					t.Errorf("decisions = %+v for a request without Origin, want none", res.decisions)
				}
				return
			}
			want := []record.Decision{{Package: "cors", Outcome: record.Allow, Rule: tc.wantRule}}
			if !equalDecisions(res.decisions, want) {
				t.Errorf("decisions = %+v, want %+v", res.decisions, want)
			}
			if got := res.header.Get("Access-Control-Allow-Credentials"); got != "true" {
				t.Errorf("Access-Control-Allow-Credentials = %q, want true", got)
			}
			if got := res.header.Get("Access-Control-Expose-Headers"); got != "X-Request-Id, Retry-After" {
				t.Errorf("Access-Control-Expose-Headers = %q", got)
			}
			if got := res.header.Get("Access-Control-Allow-Methods"); got != "" {
				t.Errorf("an actual request's response carries Access-Control-Allow-Methods %q", got)
			}
		})
	}
}

func equalDecisions(a, b []record.Decision) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestPreflight(t *testing.T) {
	t.Parallel()
	m := MustNew(Config{Policy: testPolicy})
	pna := testPolicy
	pna.AllowPrivateNetwork = true
	pna.MaxAge = 0
	pna.AllowedHeaders = nil
	mPNA := MustNew(Config{Policy: pna})
	const (
		acrm = "Access-Control-Request-Method"
		acrh = "Access-Control-Request-Headers"
		pnaH = "Access-Control-Request-Private-Network"
	)
	for _, tc := range []struct {
		name  string
		m     *Middleware
		req   *http.Request
		want  map[string]string // headers of the 204; nil for a 403
		rule  string
		cause error
	}{
		{"PUT with JSON and a custom header", m, request("OPTIONS", "/v1/items/1", "https://app.example.com", acrm, "PUT", acrh, "content-type,x-trace"),
			map[string]string{
				"Access-Control-Allow-Origin":      "https://app.example.com",
				"Access-Control-Allow-Methods":     "GET, POST, PUT",
				"Access-Control-Allow-Headers":     "content-type, x-trace",
				"Access-Control-Max-Age":           "600",
				"Access-Control-Allow-Credentials": "true",
			}, "https://app.example.com", nil},
		{"header list spelled loosely", m, request("OPTIONS", "/", "https://a.example.com", acrm, "POST", acrh, " Content-Type , ,X-TRACE", acrh, "x-trace"),
			map[string]string{"Access-Control-Allow-Origin": "https://a.example.com"}, "https://*.example.com", nil},
		{"no header list", m, request("OPTIONS", "/", "https://a.example.com", acrm, "GET"),
			map[string]string{"Access-Control-Allow-Origin": "https://a.example.com"}, "https://*.example.com", nil},
		{"private network allowed", mPNA, request("OPTIONS", "/", "https://app.example.com", acrm, "GET", pnaH, "true"),
			map[string]string{"Access-Control-Allow-Private-Network": "true", "Access-Control-Allow-Headers": "", "Access-Control-Max-Age": ""}, "https://app.example.com", nil},
		{"private network not asked", mPNA, request("OPTIONS", "/", "https://app.example.com", acrm, "GET"),
			map[string]string{"Access-Control-Allow-Private-Network": ""}, "https://app.example.com", nil},

		{"origin refused", m, request("OPTIONS", "/", "https://evil.test", acrm, "GET"), nil, "origin", ErrOriginNotAllowed},
		{"null origin", m, request("OPTIONS", "/", "null", acrm, "GET"), nil, "origin", ErrOriginNotAllowed},
		{"method refused", m, request("OPTIONS", "/", "https://app.example.com", acrm, "DELETE"), nil, "method", ErrMethodNotAllowed},
		{"method in the wrong case", m, request("OPTIONS", "/", "https://app.example.com", acrm, "put"), nil, "method", ErrMethodNotAllowed},
		{"method empty", m, request("OPTIONS", "/", "https://app.example.com", acrm, ""), nil, "method", ErrMethodNotAllowed},
		{"method not a token", m, request("OPTIONS", "/", "https://app.example.com", acrm, "GET /"), nil, "method", ErrMethodNotAllowed},
		{"two methods", m, request("OPTIONS", "/", "https://app.example.com", acrm, "GET", acrm, "PUT"), nil, "method", ErrMethodNotAllowed},
		{"header refused", m, request("OPTIONS", "/", "https://app.example.com", acrm, "PUT", acrh, "content-type,x-evil"), nil, "headers", ErrHeadersNotAllowed},
		{"header refused in a second line", m, request("OPTIONS", "/", "https://app.example.com", acrm, "PUT", acrh, "content-type", acrh, "authorization"), nil, "headers", ErrHeadersNotAllowed},
		{"header not a token", m, request("OPTIONS", "/", "https://app.example.com", acrm, "PUT", acrh, "x-trace;x"), nil, "headers", ErrHeadersNotAllowed},
		{"header list too long", m, request("OPTIONS", "/", "https://app.example.com", acrm, "PUT", acrh, "x-trace"+strings.Repeat(" ", 4096)), nil, "headers", ErrHeadersNotAllowed},
		{"too many headers", m, request("OPTIONS", "/", "https://app.example.com", acrm, "PUT", acrh, strings.Repeat("x-trace,", 65)), nil, "headers", ErrHeadersNotAllowed},
		{"private network refused", m, request("OPTIONS", "/", "https://app.example.com", acrm, "GET", pnaH, "true"), nil, "private-network", ErrPrivateNetworkNotAllowed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res := serve(t, tc.m.Handler, tc.req)
			if res.reached {
				t.Error("next ran for a preflight")
			}
			wantVary := "Origin, Access-Control-Request-Method, Access-Control-Request-Headers, Access-Control-Request-Private-Network"
			if got := res.header.Values("Vary"); len(got) != 1 || got[0] != wantVary {
				t.Errorf("Vary = %q, want %q", got, wantVary)
			}
			err := tc.m.Check(tc.req)
			if tc.want == nil {
				if res.code != 403 || res.reason != apierrors.ReasonOriginNotAllowed {
					t.Fatalf("got %d %q, want 403 %s", res.code, res.reason, apierrors.ReasonOriginNotAllowed)
				}
				if got := res.header.Get("Access-Control-Allow-Origin"); got != "" {
					t.Errorf("a refused preflight carries Access-Control-Allow-Origin %q", got)
				}
				want := []record.Decision{{Package: "cors", Outcome: record.Deny, Reason: apierrors.ReasonOriginNotAllowed, Rule: tc.rule}}
				if !equalDecisions(res.decisions, want) {
					t.Errorf("decisions = %+v, want %+v", res.decisions, want)
				}
				if !errors.Is(err, tc.cause) {
					t.Errorf("Check = %v, want %v", err, tc.cause)
				}
				return
			}
			if res.code != http.StatusNoContent {
				t.Fatalf("status = %d (%s), want 204", res.code, res.reason)
			}
			if err != nil {
				t.Errorf("Check = %v, want nil", err)
			}
			for k, v := range tc.want {
				if got := res.header.Get(k); got != v {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
			want := []record.Decision{{Package: "cors", Outcome: record.Allow, Rule: tc.rule}}
			if !equalDecisions(res.decisions, want) {
				t.Errorf("decisions = %+v, want %+v", res.decisions, want)
			}
		})
	}
}

func TestAnyOrigin(t *testing.T) {
	t.Parallel()
	m := MustNew(Config{Policy: Policy{AllowedOrigins: []string{"*"}, ExposedHeaders: []string{"X-Request-Id"}}})
	for _, tc := range []struct {
		name, origin string
		wantCode     int
	}{
		{"any origin", "https://anyone.test", 200},
		{"loopback", "http://127.0.0.1:3000", 200},
		{"null is not an origin", "null", 403},
		{"malformed", "https://anyone.test/", 403},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res := serve(t, m.Handler, request("GET", "/", tc.origin))
			if res.code != tc.wantCode {
				t.Fatalf("status = %d, want %d", res.code, tc.wantCode)
			}
			if tc.wantCode != 200 {
				return
			}
			if got := res.header.Get("Access-Control-Allow-Origin"); got != "*" {
				t.Errorf("Access-Control-Allow-Origin = %q, want *", got)
			}
			if got := res.header.Get("Access-Control-Allow-Credentials"); got != "" {
				t.Errorf("Access-Control-Allow-Credentials = %q with *, want none", got)
			}
		})
	}
}

func TestZeroPolicyRefusesEveryOrigin(t *testing.T) {
	t.Parallel()
	m := MustNew(Config{})
	if res := serve(t, m.Handler, request("GET", "/", "https://app.example.com")); res.code != 403 || res.reached {
		t.Errorf("got %d (reached %v), want 403", res.code, res.reached)
	}
	if res := serve(t, m.Handler, request("GET", "/", "")); res.code != 200 || !res.reached {
		t.Errorf("request without Origin: got %d (reached %v), want 200", res.code, res.reached)
	}
}

func TestSameOrigin(t *testing.T) {
	t.Parallel()
	m := MustNew(Config{Policy: testPolicy})
	tlsReq := func(r *http.Request) *http.Request { r.TLS = &tls.ConnectionState{}; return r }
	plain := func(r *http.Request) *http.Request { r.TLS = nil; return r } // NewRequest sets TLS for https targets
	for _, tc := range []struct {
		name    string
		req     *http.Request
		reached bool
	}{
		{"Sec-Fetch-Site same-origin", request("POST", "https://api.example.org/v1/items", "https://api.example.org", "Sec-Fetch-Site", "same-origin"), true},
		{"Sec-Fetch-Site same-origin, preflight passes to next", request("OPTIONS", "https://api.example.org/v1/items", "https://api.example.org", "Sec-Fetch-Site", "same-origin", "Access-Control-Request-Method", "PUT"), true},
		{"Host and TLS match, no Sec-Fetch-Site", tlsReq(request("POST", "https://api.example.org/v1/items", "https://api.example.org")), true},
		{"Host with default port", tlsReq(request("POST", "https://api.example.org:443/v1/items", "https://api.example.org")), true},
		{"plain HTTP on a port", request("POST", "http://127.0.0.1:8080/", "http://127.0.0.1:8080"), true},
		{"null from a no-referrer page of the same origin", request("POST", "https://api.example.org/v1/items", "null", "Sec-Fetch-Site", "same-origin"), true},
		{"null from a sandboxed frame", request("POST", "https://api.example.org/v1/items", "null", "Sec-Fetch-Site", "cross-site"), false},
		{"null without Sec-Fetch-Site", request("POST", "https://api.example.org/v1/items", "null"), false},
		{"Sec-Fetch-Site same-site", request("POST", "https://api.example.org/", "https://api.example.org", "Sec-Fetch-Site", "same-site"), false},
		{"Sec-Fetch-Site cross-site though the Host matches", tlsReq(request("POST", "https://api.example.org/", "https://api.example.org", "Sec-Fetch-Site", "cross-site")), false},
		{"https origin, plain connection (a proxy in front: list it)", plain(request("POST", "https://api.example.org/", "https://api.example.org")), false},
		{"http origin, TLS connection", tlsReq(request("POST", "https://api.example.org/", "http://api.example.org")), false},
		{"port differs", request("POST", "http://127.0.0.1:8080/", "http://127.0.0.1:8081"), false},
		{"same origin spelled as a browser never does", request("POST", "http://api.example.org/", "http://API.example.org", "Sec-Fetch-Site", "same-origin"), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res := serve(t, m.Handler, tc.req)
			if res.reached != tc.reached {
				t.Fatalf("reached = %v (status %d), want %v", res.reached, res.code, tc.reached)
			}
			if !tc.reached {
				if res.code != 403 {
					t.Errorf("status = %d, want 403", res.code)
				}
				return
			}
			if got := res.header.Get("Access-Control-Allow-Origin"); got != "" {
				t.Errorf("a same-origin response carries Access-Control-Allow-Origin %q", got)
			}
			want := []record.Decision{{Package: "cors", Outcome: record.Skip, Rule: "same-origin"}}
			if !equalDecisions(res.decisions, want) {
				t.Errorf("decisions = %+v, want %+v", res.decisions, want)
			}
		})
	}
}

func TestVaryIsAdded(t *testing.T) {
	t.Parallel()
	m := MustNew(Config{Policy: testPolicy})
	for _, origin := range []string{"", "https://app.example.com", "https://evil.test"} {
		h := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Add("Vary", "Accept")
		}))
		rr := httptest.NewRecorder()
		rr.Header().Set("Vary", "Accept-Encoding")
		h.ServeHTTP(rr, request("GET", "/", origin))
		got := strings.Join(rr.Header().Values("Vary"), "|")
		want := "Accept-Encoding|Origin"
		if origin != "https://evil.test" {
			want += "|Accept"
		}
		if got != want {
			t.Errorf("Origin %q: Vary = %q, want %q", origin, got, want)
		}
	}
	// The shared value is never written into.
	if varyOrigin[0] != "Origin" || len(varyOrigin) != 1 {
		t.Errorf("varyOrigin changed: %q", varyOrigin)
	}
}

// TestConfigIsCopied: changing the caller's slices after New changes
// nothing.
func TestConfigIsCopied(t *testing.T) {
	t.Parallel()
	origins := []string{"https://app.example.com"}
	methods := []string{"GET"}
	m := MustNew(Config{Policy: Policy{AllowedOrigins: origins, AllowedMethods: methods}})
	origins[0], methods[0] = "https://evil.test", "DELETE"
	if err := m.Check(request("GET", "/", "https://app.example.com")); err != nil {
		t.Errorf("Check = %v after the caller changed its slices", err)
	}
	if err := m.Check(request("DELETE", "/", "https://app.example.com")); err == nil {
		t.Error("DELETE allowed after the caller changed its slices")
	}
}

// TestWildcardEchoSharesNoSpareCapacity: a wildcard hit echoes the request's
// own Origin slice as Access-Control-Allow-Origin, so it must not hand the
// response spare capacity in the request's backing array: a handler that
// adds to the response header must not write into the request's.
func TestWildcardEchoSharesNoSpareCapacity(t *testing.T) {
	t.Parallel()
	m := MustNew(Config{Policy: testPolicy})
	req := request("GET", "/v1/items", "")
	backing := make([]string, 1, 4)
	backing[0] = "https://shop.example.com"
	req.Header["Origin"] = backing
	h := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Add("Access-Control-Allow-Origin", "https://added.test")
	}))
	rr := httptest.NewRecorder()
	h.ServeHTTP(rr, req)
	if got, want := rr.Header().Values("Access-Control-Allow-Origin"), []string{"https://shop.example.com", "https://added.test"}; !slices.Equal(got, want) {
		t.Errorf("Access-Control-Allow-Origin = %q, want %q", got, want)
	}
	if got := backing[:2][1]; got != "" {
		t.Errorf("request's Origin backing array written: %q, want untouched", got)
	}
	if got, want := req.Header["Origin"], []string{"https://shop.example.com"}; !slices.Equal(got, want) {
		t.Errorf("request Origin = %q, want %q", got, want)
	}
}
