package auth_test

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/apishield/apishield/auth"
	"github.com/apishield/apishield/tlsconfig"
)

func mustPrefixes(t testing.TB, ss ...string) []netip.Prefix {
	t.Helper()
	var out []netip.Prefix
	for _, s := range ss {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, p)
	}
	return out
}

func x5tOf(der []byte) string {
	s := sha256.Sum256(der)
	return base64.RawURLEncoding.EncodeToString(s[:])
}

func certBoundToken(t testing.TB, der []byte) string {
	return sign(t, "ES256", keys(t).ec256, `{"alg":"ES256","kid":"ES256","typ":"at+jwt"}`,
		claimsJSON(time.Now(), `"cnf":{"x5t#S256":"`+x5tOf(der)+`"}`))
}

// TestCertificateBoundEndToEnd: a certificate-bound token (RFC 8705) works
// on a real mutual-TLS connection with its certificate, and is refused on
// one with another certificate or none: a thief needs the private key.
func TestCertificateBoundEndToEnd(t *testing.T) {
	t.Parallel()
	serverCA := newCertAuthority(t, "server CA")
	clientCA := newCertAuthority(t, "client CA")
	srvCert := serverCA.issue(t, []string{"localhost"}, []net.IP{net.IPv4(127, 0, 0, 1)})
	owner := clientCA.issue(t, nil, nil, "spiffe://example.org/owner")
	thief := clientCA.issue(t, nil, nil, "spiffe://example.org/thief")
	tok := certBoundToken(t, owner.Certificate[0])

	j := newVerifier(t, newJWKSServer(standardSet(t)), func(c *auth.JWTConfig) {
		c.CertificateBinding = auth.CertificateBindingConfig{Enabled: true}
	})
	m := auth.MustNew(auth.Config{Authenticators: []auth.Authenticator{j}, Logger: discardLogger()})
	checks := make(chan string, 1)
	h := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, _ := auth.FromContext(r.Context())
		json.NewEncoder(w).Encode(map[string]string{"subject": p.Subject, "binding": p.Binding})
	}))
	cfg, err := tlsconfig.Server(tlsconfig.Config{
		Certificates: []tls.Certificate{srvCert}, ClientCAs: clientCA.pool, ClientAuth: tls.VerifyClientCertIfGiven,
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, err := m.Authenticate(r)
		select {
		case checks <- auth.CheckOf(err):
		default:
		}
		h.ServeHTTP(w, r)
	}))
	srv.TLS = cfg
	srv.StartTLS()
	t.Cleanup(srv.Close)

	get := func(cert *tls.Certificate) (int, string) {
		t.Helper()
		tc := &tls.Config{RootCAs: serverCA.pool, MinVersion: tls.VersionTLS12}
		if cert != nil {
			tc.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return cert, nil }
		}
		tr := &http.Transport{TLSClientConfig: tc}
		defer tr.CloseIdleConnections()
		req, _ := http.NewRequest("GET", srv.URL+"/v1/items", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := (&http.Client{Transport: tr, Timeout: 10 * time.Second}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	for _, tc := range []struct {
		name      string
		cert      *tls.Certificate
		wantCode  int
		wantCheck string
	}{
		{"the bound certificate", &owner, 200, ""},
		{"another certificate", &thief, 401, "cert_mismatch"},
		{"no certificate", nil, 401, "cert_missing"},
	} {
		code, body := get(tc.cert)
		check := <-checks
		if code != tc.wantCode || check != tc.wantCheck {
			t.Errorf("%s: got %d %s check %q, want %d %q", tc.name, code, body, check, tc.wantCode, tc.wantCheck)
		}
		if code == 200 && !strings.Contains(body, `"binding":"mtls"`) {
			t.Errorf("%s: principal %s, want binding mtls", tc.name, body)
		}
	}
}

// TestCertificateBoundForwarded: behind a TLS-terminating proxy, the
// certificate comes from the RFC 9440 Client-Cert header, believed only
// from a trusted proxy's address.
func TestCertificateBoundForwarded(t *testing.T) {
	t.Parallel()
	ca := newCertAuthority(t, "client CA")
	owner := ca.issue(t, nil, nil, "spiffe://example.org/owner")
	der := owner.Certificate[0]
	tok := certBoundToken(t, der)
	sf := ":" + base64.StdEncoding.EncodeToString(der) + ":"
	j := newVerifier(t, newJWKSServer(standardSet(t)), func(c *auth.JWTConfig) {
		c.CertificateBinding = auth.CertificateBindingConfig{Enabled: true, TrustedProxies: mustPrefixes(t, "10.0.0.0/8")}
	})
	m := auth.MustNew(auth.Config{Authenticators: []auth.Authenticator{j}, Logger: discardLogger()})
	other := ca.issue(t, nil, nil, "spiffe://example.org/other")
	for _, tc := range []struct {
		name      string
		remote    string
		headers   []string
		tls       bool // the connection itself carries owner's certificate
		wantCheck string
	}{
		{"trusted proxy forwards the certificate", "10.1.2.3:4444", []string{sf}, false, ""},
		{"trusted proxy forwards another certificate", "10.1.2.3:4444", []string{":" + base64.StdEncoding.EncodeToString(other.Certificate[0]) + ":"}, false, "cert_mismatch"},
		{"trusted proxy forwards nothing", "10.1.2.3:4444", nil, false, "cert_missing"},
		{"trusted proxy, header twice", "10.1.2.3:4444", []string{sf, sf}, false, "cert_header_invalid"},
		{"trusted proxy, not a byte sequence", "10.1.2.3:4444", []string{base64.StdEncoding.EncodeToString(der)}, false, "cert_header_invalid"},
		{"trusted proxy, bad base64", "10.1.2.3:4444", []string{":not base64!:"}, false, "cert_header_invalid"},
		{"trusted proxy, oversized header", "10.1.2.3:4444", []string{":" + strings.Repeat("A", 20<<10) + ":"}, false, "cert_header_invalid"},
		{"untrusted peer's header is ignored", "192.0.2.7:4444", []string{sf}, false, "cert_missing"},
		{"untrusted peer with the certificate on its connection", "192.0.2.7:4444", []string{":" + base64.StdEncoding.EncodeToString(other.Certificate[0]) + ":"}, true, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest("GET", "/v1/items", nil)
			req.RemoteAddr = tc.remote
			req.Header.Set("Authorization", "Bearer "+tok)
			for _, h := range tc.headers {
				req.Header.Add("Client-Cert", h)
			}
			if tc.tls {
				leaf, _ := x509.ParseCertificate(der)
				req.TLS = &tls.ConnectionState{HandshakeComplete: true, PeerCertificates: []*x509.Certificate{leaf}}
			} else {
				req.TLS = nil
			}
			p, err := m.Authenticate(req)
			if got := auth.CheckOf(err); got != tc.wantCheck {
				t.Fatalf("got %v (check %q), want %q", err, got, tc.wantCheck)
			}
			if err == nil && p.Binding != auth.BindingMTLS {
				t.Errorf("got binding %q, want mtls", p.Binding)
			}
		})
	}
	// Without CertificateBinding, a certificate-bound token is refused
	// even with its certificate.
	plain := auth.MustNew(auth.Config{Authenticators: []auth.Authenticator{newVerifier(t, newJWKSServer(standardSet(t)), nil)}, Logger: discardLogger()})
	req := httptest.NewRequest("GET", "/v1/items", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	leaf, _ := x509.ParseCertificate(der)
	req.TLS = &tls.ConnectionState{HandshakeComplete: true, PeerCertificates: []*x509.Certificate{leaf}}
	if _, err := plain.Authenticate(req); auth.CheckOf(err) != "unverified_binding" {
		t.Fatalf("binding disabled: got %v, want unverified_binding", err)
	}
}
