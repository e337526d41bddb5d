package auth_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apishield/apishield/auth"
	"github.com/apishield/apishield/internal/record"
)

const billingSPIFFE = "spiffe://example.org/ns/prod/sa/billing"

// certHeader marks test requests whose connection "has" a verified client
// certificate; fakePeer reports its value as the subject. The unit tests
// exercise the seam without TLS; mtls_e2e_test.go runs a real handshake.
const certHeader = "X-Test-Peer"

func fakePeer(calls *atomic.Int32) auth.PeerFunc {
	return func(r *http.Request) (string, bool) {
		if calls != nil {
			calls.Add(1)
		}
		v, ok := r.Header[certHeader]
		if !ok {
			return "", false
		}
		return v[0], true
	}
}

func TestClientCertificate(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	s, apiKey := newStack(t, func(c *auth.Config) { c.ClientCertificate = fakePeer(&calls) })
	good := validToken(t, "ES256", time.Now())
	withCert := func(r *http.Request) { r.Header.Set(certHeader, billingSPIFFE) }
	cases := []struct {
		name       string
		req        func(r *http.Request)
		wantStatus int
		wantMethod string // or the problem's reason
		wantSub    string
		wantRule   string
		wantPeer   bool // whether the certificate is consulted
	}{
		{"certificate alone", withCert, 200, "mtls", billingSPIFFE, "mtls", true},
		{"no certificate, no header", func(*http.Request) {}, 401, "unauthenticated", "", ":no_credentials", true},
		{"certificate and a valid token: the token wins", func(r *http.Request) {
			withCert(r)
			r.Header.Set("Authorization", "Bearer "+good)
		}, 200, "jwt", "alice", "bearer", false},
		{"certificate and a valid API key: the key wins", func(r *http.Request) {
			withCert(r)
			r.Header.Set("X-API-Key", apiKey)
		}, 200, "api_key", "billing-service", "api_key", false},
		{"certificate and an invalid token", func(r *http.Request) {
			withCert(r)
			r.Header.Set("Authorization", "Bearer x.y.z")
		}, 401, "invalid_token", "", "bearer:", false},
		{"certificate and a malformed header", func(r *http.Request) {
			withCert(r)
			r.Header.Set("Authorization", "Bearer ")
		}, 401, "invalid_token", "", ":malformed_authorization", false},
		{"certificate and a token in the query", func(r *http.Request) {
			withCert(r)
			r.URL.RawQuery = "access_token=" + good
		}, 401, "invalid_token", "", ":query_token", false},
		{"certificate and Basic, which auth does not take", func(r *http.Request) {
			withCert(r)
			r.SetBasicAuth("a", "b")
		}, 200, "mtls", billingSPIFFE, "mtls", true},
		{"Basic without a certificate", func(r *http.Request) { r.SetBasicAuth("a", "b") }, 401, "unauthenticated", "", ":unsupported_scheme", true},
		{"certificate naming nobody", func(r *http.Request) { r.Header.Set(certHeader, "") }, 401, "invalid_token", "", "mtls:empty_subject", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest("GET", "/v1/items", nil)
			tc.req(req)
			before := calls.Load()
			w := httptest.NewRecorder()
			s.h.ServeHTTP(w, req)
			if w.Code != tc.wantStatus {
				t.Fatalf("status = %d, want %d; body %s", w.Code, tc.wantStatus, w.Body)
			}
			if consulted := calls.Load() != before; consulted != tc.wantPeer {
				t.Errorf("certificate consulted = %v, want %v", consulted, tc.wantPeer)
			}
			ds := s.lastRec.Decisions()
			if len(ds) != 1 || ds[0].Package != "auth" {
				t.Fatalf("decisions = %+v", ds)
			}
			d := ds[0]
			if !strings.Contains(d.Rule, tc.wantRule) {
				t.Errorf("decision rule = %q, want it to contain %q", d.Rule, tc.wantRule)
			}
			if tc.wantStatus == 200 {
				var got map[string]string
				if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
					t.Fatal(err)
				}
				rp := s.lastRec.Principal()
				if got["subject"] != tc.wantSub || got["method"] != tc.wantMethod {
					t.Errorf("handler saw %v, want subject %q method %q", got, tc.wantSub, tc.wantMethod)
				}
				if rp.Subject != tc.wantSub || rp.Method != tc.wantMethod || d.Outcome != record.Allow || d.Reason != tc.wantMethod {
					t.Errorf("record principal %+v, decision %+v", rp, d)
				}
				return
			}
			var prob struct{ Reason string }
			if err := json.Unmarshal(w.Body.Bytes(), &prob); err != nil {
				t.Fatal(err)
			}
			if prob.Reason != tc.wantMethod || d.Reason != tc.wantMethod || d.Outcome != record.Deny {
				t.Errorf("reason %q, decision %+v, want %q", prob.Reason, d, tc.wantMethod)
			}
			if w.Header().Get("WWW-Authenticate") == "" {
				t.Error("401 without a WWW-Authenticate challenge though bearer and API keys are configured")
			}
			if strings.Contains(w.Body.String(), "empty_subject") {
				t.Errorf("response reveals the check: %s", w.Body)
			}
		})
	}
}

// TestClientCertificateWithoutAuthenticator: a header credential of a kind
// no authenticator verifies counts as no credential (as it does without
// certificates), so the certificate identifies the caller.
func TestClientCertificateWithoutAuthenticator(t *testing.T) {
	t.Parallel()
	keysAuth, _, _ := newAPIKeys(t)
	m, err := auth.New(auth.Config{Authenticators: []auth.Authenticator{keysAuth}, ClientCertificate: fakePeer(nil)})
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Authorization", "Bearer a.b.c")
	r.Header.Set(certHeader, billingSPIFFE)
	if p, err := m.Authenticate(r); err != nil || p.Method != auth.MethodMTLS || p.Subject != billingSPIFFE {
		t.Errorf("bearer without a bearer authenticator, with a certificate: %+v, %v", p, err)
	}
	r.Header.Del(certHeader)
	if _, err := m.Authenticate(r); !errors.Is(err, auth.ErrNoCredentials) || auth.CheckOf(err) != "no_authenticator_for_bearer" {
		t.Errorf("bearer without a bearer authenticator, without a certificate: %v", err)
	}
}

// TestClientCertificateOnly: a middleware may take client certificates and
// nothing else. Its 401 carries no WWW-Authenticate, since no HTTP scheme
// asks for a certificate, rather than an empty one.
func TestClientCertificateOnly(t *testing.T) {
	t.Parallel()
	m, err := auth.New(auth.Config{ClientCertificate: fakePeer(nil)})
	if err != nil {
		t.Fatal(err)
	}
	h := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, _ := auth.FromContext(r.Context())
		w.Write([]byte(p.Subject))
	}))
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set(certHeader, billingSPIFFE)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != 200 || w.Body.String() != billingSPIFFE {
		t.Errorf("certificate: %d %s", w.Code, w.Body)
	}
	for name, mod := range map[string]func(*http.Request){
		"nothing":       func(*http.Request) {},
		"bearer token":  func(r *http.Request) { r.Header.Set("Authorization", "Bearer a.b.c") },
		"empty subject": func(r *http.Request) { r.Header.Set(certHeader, "") },
	} {
		r := httptest.NewRequest("GET", "/", nil)
		mod(r)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != 401 || w.Header().Get("Content-Type") != "application/problem+json" {
			t.Errorf("%s: %d %s", name, w.Code, w.Body)
		}
		if v, ok := w.Header()["Www-Authenticate"]; ok {
			t.Errorf("%s: WWW-Authenticate %q sent with no HTTP scheme configured", name, v)
		}
	}
}

func TestClientCertificateAnonymous(t *testing.T) {
	t.Parallel()
	keysAuth, _, _ := newAPIKeys(t)
	m, err := auth.New(auth.Config{Authenticators: []auth.Authenticator{keysAuth}, ClientCertificate: fakePeer(nil), AllowAnonymous: true})
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest("GET", "/", nil)
	if p, err := m.Authenticate(r); p != nil || err != nil {
		t.Errorf("no certificate, anonymous allowed: %+v, %v", p, err)
	}
	r.Header.Set(certHeader, billingSPIFFE)
	if p, err := m.Authenticate(r); err != nil || p == nil || p.Method != auth.MethodMTLS {
		t.Errorf("certificate, anonymous allowed: %+v, %v", p, err)
	}
	r.Header.Set(certHeader, "")
	if _, err := m.Authenticate(r); !errors.Is(err, auth.ErrInvalidToken) {
		t.Errorf("certificate naming nobody, anonymous allowed: %v, want ErrInvalidToken", err)
	}
}
