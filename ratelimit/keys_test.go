package ratelimit

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/apishield/apishield/auth"
	apierrors "github.com/apishield/apishield/errors"
	"github.com/apishield/apishield/internal/record"
)

// keyOf runs fn on a request carrying headers (name, value pairs; a name
// may repeat).
func keyOf(fn KeyFunc, headers ...string) (string, error) {
	r := httptest.NewRequest("GET", "/", nil)
	for i := 0; i+1 < len(headers); i += 2 {
		r.Header.Add(headers[i], headers[i+1])
	}
	b, err := fn(nil, r)
	return string(b), err
}

// TestByAPIKeyOneKeyPerCredential: every spelling of one credential that
// auth accepts is one key, so a client cannot multiply its budget by
// respelling its Authorization header.
func TestByAPIKeyOneKeyPerCredential(t *testing.T) {
	t.Parallel()
	const cred = "ask_0123456789abcdef_k3y"
	want, err := keyOf(mustKey(ByAPIKey("X-API-Key")), "X-API-Key", cred)
	if err != nil || !strings.HasPrefix(want, "key:") || strings.Contains(want, cred) {
		t.Fatalf("X-API-Key: got %q, %v; want a hashed key", want, err)
	}
	for _, tc := range []struct{ name, header, value string }{
		{"ApiKey scheme", "Authorization", "ApiKey " + cred},
		{"lower-case scheme", "Authorization", "apikey " + cred},
		{"upper-case scheme", "Authorization", "APIKEY " + cred},
		{"Bearer scheme", "Authorization", "Bearer " + cred},
		{"lower-case Bearer", "Authorization", "bearer " + cred},
		{"header name's case", "authorization", "Bearer " + cred},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := keyOf(mustKey(ByAPIKey(tc.header)), tc.header, tc.value)
			if err != nil || got != want {
				t.Fatalf("got %q, %v; want %q", got, err, want)
			}
		})
	}
}

// TestByAPIKeyMalformed: a key header auth would refuse is refused here
// too (ErrMalformedKey), never keyed on a bucket of its own, and never
// let through unkeyed.
func TestByAPIKeyMalformed(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("k", maxKeyValue+1)
	for _, tc := range []struct {
		name    string
		header  string
		headers []string
		want    error // nil: a key
	}{
		{"Authorization: two spaces after the scheme", "Authorization", []string{"Authorization", "ApiKey  k"}, ErrMalformedKey},
		{"Authorization: many spaces after the scheme", "Authorization", []string{"Authorization", "Bearer     k"}, ErrMalformedKey},
		{"Authorization: tab after the scheme", "Authorization", []string{"Authorization", "ApiKey\tk"}, ErrMalformedKey},
		{"Authorization: scheme without credential", "Authorization", []string{"Authorization", "Bearer"}, ErrMalformedKey},
		{"Authorization: scheme and a space", "Authorization", []string{"Authorization", "Bearer "}, ErrMalformedKey},
		{"Authorization: space inside the credential", "Authorization", []string{"Authorization", "Bearer k k"}, ErrMalformedKey},
		{"Authorization: trailing space", "Authorization", []string{"Authorization", "Bearer k "}, ErrMalformedKey},
		{"Authorization: leading space", "Authorization", []string{"Authorization", " Bearer k"}, ErrMalformedKey},
		{"Authorization: not token68", "Authorization", []string{"Authorization", "Bearer k@y"}, ErrMalformedKey},
		{"Authorization: '=' inside", "Authorization", []string{"Authorization", "Bearer k=y"}, ErrMalformedKey},
		{"Authorization: empty", "Authorization", []string{"Authorization", ""}, ErrMalformedKey},
		{"Authorization: too long", "Authorization", []string{"Authorization", "Bearer " + long}, ErrMalformedKey},
		{"Authorization: twice", "Authorization", []string{"Authorization", "Bearer k", "Authorization", "Bearer j"}, ErrMalformedKey},
		{"Authorization: twice the same", "Authorization", []string{"Authorization", "Bearer k", "Authorization", "Bearer k"}, ErrMalformedKey},
		{"Authorization: Basic is no credential to auth", "Authorization", []string{"Authorization", "Basic dTpw"}, ErrNoKey},
		{"Authorization: absent", "Authorization", nil, ErrNoKey},
		{"X-API-Key: empty", "X-API-Key", []string{"X-API-Key", ""}, ErrMalformedKey},
		{"X-API-Key: leading space", "X-API-Key", []string{"X-API-Key", " k"}, ErrMalformedKey},
		{"X-API-Key: trailing space", "X-API-Key", []string{"X-API-Key", "k "}, ErrMalformedKey},
		{"X-API-Key: trailing tab", "X-API-Key", []string{"X-API-Key", "k\t"}, ErrMalformedKey},
		{"X-API-Key: inner space", "X-API-Key", []string{"X-API-Key", "k k"}, ErrMalformedKey},
		{"X-API-Key: not ASCII", "X-API-Key", []string{"X-API-Key", "k\u00e9"}, ErrMalformedKey},
		{"X-API-Key: too long", "X-API-Key", []string{"X-API-Key", long}, ErrMalformedKey},
		{"X-API-Key: twice", "X-API-Key", []string{"X-API-Key", "k", "X-API-Key", "j"}, ErrMalformedKey},
		{"X-API-Key: absent", "X-API-Key", nil, ErrNoKey},
		{"X-API-Key: longest", "X-API-Key", []string{"X-API-Key", long[1:]}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := keyOf(mustKey(ByAPIKey(tc.header)), tc.headers...)
			if tc.want == nil {
				if err != nil || !strings.HasPrefix(got, "key:") {
					t.Fatalf("got %q, %v; want a key", got, err)
				}
				return
			}
			if !errors.Is(err, tc.want) || got != "" {
				t.Fatalf("got %q, %v; want %v", got, err, tc.want)
			}
		})
	}
}

// TestHandlerMalformedKey: a credential respelled does not escape its
// budget, and a malformed one gets a 400 problem, not a bucket.
func TestHandlerMalformedKey(t *testing.T) {
	t.Parallel()
	ps := []Policy{{Name: "p", Limit: 1, Period: time.Hour}}
	h := MustNew(Config{Name: "key", Key: mustKey(ByAPIKey("Authorization")), Policies: ps}).Handler(okHandler)
	req := func(v string) *http.Request {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Authorization", v)
		return r
	}
	if w, _ := serve(h, req("ApiKey k")); w.Code != http.StatusNoContent {
		t.Fatalf("first request: got %d, want 204", w.Code)
	}
	for _, v := range []string{"apikey k", "Bearer k", "BEARER k"} {
		if w, _ := serve(h, req(v)); w.Code != http.StatusTooManyRequests {
			t.Errorf("%q after the budget was spent: got %d, want 429", v, w.Code)
		}
	}
	for _, v := range []string{"ApiKey  k", "ApiKey   k", "ApiKey\tk", "ApiKey", "ApiKey k k", "Bearer k@"} {
		w, rec := serve(h, req(v))
		if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), `"reason":"malformed_request"`) ||
			w.Header().Get("Content-Type") != "application/problem+json" {
			t.Errorf("%q: got %d %s, want a 400 malformed_request problem", v, w.Code, w.Body)
		}
		if ds := rec.Decisions(); len(ds) != 1 || ds[0].Outcome != record.Deny || ds[0].Reason != apierrors.ReasonMalformedRequest {
			t.Errorf("%q: decisions %+v, want one malformed_request denial", v, ds)
		}
	}
	shadow := MustNew(Config{Key: mustKey(ByAPIKey("Authorization")), Policies: ps, Shadow: true}).Handler(okHandler)
	w, rec := serve(shadow, req("ApiKey\tk"))
	if w.Code != http.StatusNoContent {
		t.Errorf("shadow: got %d, want passed through", w.Code)
	}
	if ds := rec.Decisions(); len(ds) != 1 || ds[0].Outcome != record.Skip || ds[0].Reason != apierrors.ReasonMalformedRequest {
		t.Errorf("shadow: decisions %+v, want a recorded malformed_request skip", ds)
	}
}

// TestBySubject: every principal auth can produce is counted, each
// authority's subjects and client IDs apart; one that names nobody is
// refused, not let through.
func TestBySubject(t *testing.T) {
	t.Parallel()
	key := func(p *auth.Principal) (string, error) {
		r := httptest.NewRequest("GET", "/", nil)
		if p != nil {
			r = r.WithContext(auth.NewContext(r.Context(), p))
		}
		b, err := BySubject()(nil, r)
		return string(b), err
	}
	for _, tc := range []struct {
		name string
		p    *auth.Principal
		want error  // nil: a key
		kind string // the key's prefix
	}{
		{"JWT user", &auth.Principal{Subject: "alice", Issuer: "https://a", ClientID: "app", Method: auth.MethodJWT}, nil, "sub:"},
		{"client-credentials token", &auth.Principal{Issuer: "https://a", ClientID: "app", Method: auth.MethodJWT}, nil, "cid:"},
		{"API key", &auth.Principal{Subject: "svc", ClientID: "0123456789abcdef", Method: auth.MethodAPIKey}, nil, "sub:"},
		{"API key without subject", &auth.Principal{ClientID: "0123456789abcdef", Method: auth.MethodAPIKey}, nil, "cid:"},
		{"mTLS certificate", &auth.Principal{Subject: "spiffe://example.org/svc", Method: auth.MethodMTLS}, nil, "sub:"},
		{"principal naming nobody", &auth.Principal{Issuer: "https://a", Method: auth.MethodJWT}, ErrUnidentified, ""},
		{"empty principal", &auth.Principal{}, ErrUnidentified, ""},
		{"no principal", nil, ErrNoKey, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := key(tc.p)
			if tc.want != nil {
				if !errors.Is(err, tc.want) {
					t.Fatalf("got %q, %v; want %v", got, err, tc.want)
				}
				return
			}
			if err != nil || !strings.HasPrefix(got, tc.kind) {
				t.Fatalf("got %q, %v; want a %q key", got, err, tc.kind)
			}
		})
	}

	// Pairs that must not share a budget.
	for _, tc := range []struct {
		name string
		a, b *auth.Principal
	}{
		{"one subject, two issuers", &auth.Principal{Subject: "alice", Issuer: "https://a"}, &auth.Principal{Subject: "alice", Issuer: "https://b"}},
		{"a subject and a client ID spelled the same", &auth.Principal{Subject: "app", Issuer: "https://a"}, &auth.Principal{ClientID: "app", Issuer: "https://a"}},
		{"API key and mTLS, one subject", &auth.Principal{Subject: "svc", Method: auth.MethodAPIKey}, &auth.Principal{Subject: "svc", Method: auth.MethodMTLS}},
		{"an issuer named like a method", &auth.Principal{Subject: "svc", Issuer: "mtls"}, &auth.Principal{Subject: "svc", Method: "mtls"}},
		{"issuer and subject boundary", &auth.Principal{Subject: "b\x00c", Issuer: "a"}, &auth.Principal{Subject: "c", Issuer: "a\x00b"}},
		{"two client IDs", &auth.Principal{ClientID: "app1", Issuer: "https://a"}, &auth.Principal{ClientID: "app2", Issuer: "https://a"}},
	} {
		ka, errA := key(tc.a)
		kb, errB := key(tc.b)
		if errA != nil || errB != nil || ka == kb {
			t.Errorf("%s: got %q (%v) and %q (%v), want two different keys", tc.name, ka, errA, kb, errB)
		}
	}
	// One subject of one issuer is one client, however its token came.
	ka, _ := key(&auth.Principal{Subject: "alice", Issuer: "https://a", ClientID: "web", Method: auth.MethodJWT})
	kb, _ := key(&auth.Principal{Subject: "alice", Issuer: "https://a", ClientID: "cli", Method: "introspection"})
	if ka != kb {
		t.Errorf("one issuer's subject through two clients: got %q and %q, want one key", ka, kb)
	}
}

// TestHandlerUnidentifiedPrincipal: a principal without subject or client
// ID is refused with 403, not passed unlimited; anonymous requests still
// pass undecided, for the per-IP limiter in front.
func TestHandlerUnidentifiedPrincipal(t *testing.T) {
	t.Parallel()
	ps := []Policy{{Name: "p", Limit: 1, Period: time.Hour}}
	h := MustNew(Config{Name: "subject", Key: BySubject(), Policies: ps}).Handler(okHandler)
	withPrincipal := func(p *auth.Principal) *http.Request {
		r := httptest.NewRequest("GET", "/", nil)
		return r.WithContext(auth.NewContext(r.Context(), p))
	}
	for i := range 3 {
		w, rec := serve(h, withPrincipal(&auth.Principal{Issuer: "https://a", Method: auth.MethodJWT}))
		if w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), `"reason":"forbidden"`) {
			t.Fatalf("request %d naming nobody: got %d %s, want a 403 forbidden problem", i, w.Code, w.Body)
		}
		if ds := rec.Decisions(); len(ds) != 1 || ds[0].Outcome != record.Deny || ds[0].Reason != apierrors.ReasonForbidden {
			t.Errorf("decisions %+v, want one forbidden denial", ds)
		}
	}
	// A client-credentials token is counted by its client ID.
	codes := []int{}
	for range 2 {
		w, _ := serve(h, withPrincipal(&auth.Principal{Issuer: "https://a", ClientID: "app", Method: auth.MethodJWT}))
		codes = append(codes, w.Code)
	}
	if codes[0] != http.StatusNoContent || codes[1] != http.StatusTooManyRequests {
		t.Errorf("client-credentials token: got codes %v, want [204 429]", codes)
	}
	if w, rec := serve(h, httptest.NewRequest("GET", "/", nil)); w.Code != http.StatusNoContent || rec.Decisions()[0].Outcome != record.Skip {
		t.Errorf("anonymous request: got %d %+v, want passed through as a skip", w.Code, rec.Decisions())
	}
}

// TestKeyFuncRule: every key function built from configuration checks it
// when it is built, and returns an error wrapping ErrInvalidConfig with no
// function, rather than a function that fails, or limits nothing, on
// every request. (BySubject and ByRoute take nothing that can be wrong and
// return the function alone: the compiler holds them to that.)
func TestKeyFuncRule(t *testing.T) {
	t.Parallel()
	trusted, _ := ParseTrustedProxies([]string{"10.0.0.0/8"})
	route := func(*http.Request) string { return "GET /x" }
	for _, tc := range []struct {
		name  string
		build func() (KeyFunc, error)
		ok    bool
	}{
		{"ByIP", func() (KeyFunc, error) { return ByIP(IPConfig{TrustedProxies: trusted}) }, true},
		{"ByIP IPv6Bits 47", func() (KeyFunc, error) { return ByIP(IPConfig{IPv6Bits: 47}) }, false},
		{"ByIP Header without TrustedProxies", func() (KeyFunc, error) { return ByIP(IPConfig{Header: "X-Forwarded-For"}) }, false},
		{"ByIP unknown Header", func() (KeyFunc, error) { return ByIP(IPConfig{TrustedProxies: trusted, Header: "X-Client-IP"}) }, false},
		{"ByIP negative MaxHops", func() (KeyFunc, error) { return ByIP(IPConfig{MaxHops: -1}) }, false},
		{"ByAPIKey", func() (KeyFunc, error) { return ByAPIKey("X-API-Key") }, true},
		{"ByAPIKey lower case", func() (KeyFunc, error) { return ByAPIKey("authorization") }, true},
		{"ByAPIKey empty", func() (KeyFunc, error) { return ByAPIKey("") }, false},
		{"ByAPIKey space", func() (KeyFunc, error) { return ByAPIKey("X API Key") }, false},
		{"ByAPIKey colon", func() (KeyFunc, error) { return ByAPIKey("X-API-Key:") }, false},
		{"ByAPIKey newline", func() (KeyFunc, error) { return ByAPIKey("X-API-Key\n") }, false},
		{"ByAPIKey non-ASCII", func() (KeyFunc, error) { return ByAPIKey("X-Schlüssel") }, false},
		{"ByAPIKey Host", func() (KeyFunc, error) { return ByAPIKey("host") }, false},
		{"ByAPIKey Transfer-Encoding", func() (KeyFunc, error) { return ByAPIKey("Transfer-Encoding") }, false},
		{"ByAPIKey Trailer", func() (KeyFunc, error) { return ByAPIKey("Trailer") }, false},
		{"ByRouteFunc", func() (KeyFunc, error) { return ByRouteFunc(route, BySubject()) }, true},
		{"ByRouteFunc without inner", func() (KeyFunc, error) { return ByRouteFunc(route, nil) }, true},
		{"ByRouteFunc nil route", func() (KeyFunc, error) { return ByRouteFunc(nil, BySubject()) }, false},
		{"Join", func() (KeyFunc, error) { return Join(BySubject(), ByRoute(nil)) }, true},
		{"Join of none", func() (KeyFunc, error) { return Join() }, false},
		{"Join with nil", func() (KeyFunc, error) { return Join(BySubject(), nil) }, false},
		{"First", func() (KeyFunc, error) { return First(BySubject()) }, true},
		{"First of none", func() (KeyFunc, error) { return First() }, false},
		{"First with nil", func() (KeyFunc, error) { return First(nil, BySubject()) }, false},
	} {
		k, err := tc.build()
		switch {
		case tc.ok && (err != nil || k == nil):
			t.Errorf("%s: %v, want a key function", tc.name, err)
		case !tc.ok && (!errors.Is(err, ErrInvalidConfig) || k != nil):
			t.Errorf("%s: %v and a function: %v; want an error wrapping ErrInvalidConfig and no function", tc.name, err, k != nil)
		}
	}
	var (
		_ KeyFunc = BySubject()
		_ KeyFunc = ByRoute(nil)
	)
}
