package auth_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/apishield/apishield/auth"
	"github.com/apishield/apishield/internal/record"
	"github.com/apishield/apishield/tlsconfig"
)

// certAuthority is a throwaway CA for one test (a trimmed copy of
// tlsconfig's test helper: auth's tests may import tlsconfig, auth may not).
type certAuthority struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pool *x509.CertPool
}

func newCertAuthority(t testing.TB, name string) *certAuthority {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          certSerial(t),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &certAuthority{cert: cert, key: key, pool: pool}
}

func certSerial(t testing.TB) *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 96))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// issue signs a leaf for both server and client use with the given SANs.
func (ca *certAuthority) issue(t testing.TB, dns []string, ips []net.IP, uris ...string) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: certSerial(t),
		Subject:      pkix.Name{CommonName: "test leaf"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		DNSNames:     dns,
		IPAddresses:  ips,
	}
	for _, u := range uris {
		pu, err := url.Parse(u)
		if err != nil {
			t.Fatal(err)
		}
		tmpl.URIs = append(tmpl.URIs, pu)
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, key.Public(), ca.key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// TestMutualTLSEndToEnd runs auth's middleware behind a real crypto/tls
// handshake configured by tlsconfig, wired as auth's documentation shows.
func TestMutualTLSEndToEnd(t *testing.T) {
	t.Parallel()
	serverCA := newCertAuthority(t, "server CA")
	clientCA := newCertAuthority(t, "client CA")
	srvCert := serverCA.issue(t, []string{"localhost"}, []net.IP{net.IPv4(127, 0, 0, 1)})
	billing := clientCA.issue(t, nil, nil, billingSPIFFE)

	m, err := auth.New(auth.Config{
		Authenticators: []auth.Authenticator{newVerifier(t, newJWKSServer(standardSet(t)), nil)},
		ClientCertificate: func(r *http.Request) (string, bool) {
			id, ok := tlsconfig.PeerIdentity(r)
			return id.Subject(), ok
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	recs := make(chan record.Principal, 1)
	app := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := auth.FromContext(r.Context())
		if !ok {
			http.Error(w, "no principal", 500)
			return
		}
		json.NewEncoder(w).Encode(map[string]string{"subject": p.Subject, "method": p.Method})
	}))
	// The outer handler reads the request record after auth, as audit does.
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w, r, rec := record.Install(w, r)
		app.ServeHTTP(w, r)
		recs <- rec.Principal()
	})
	start := func(clientAuth tls.ClientAuthType) string {
		cfg, err := tlsconfig.Server(tlsconfig.Config{
			Certificates: []tls.Certificate{srvCert},
			ClientCAs:    clientCA.pool,
			ClientAuth:   clientAuth,
		})
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewUnstartedServer(h)
		srv.TLS = cfg
		srv.StartTLS()
		t.Cleanup(srv.Close)
		return srv.URL
	}
	required := start(tls.RequireAndVerifyClientCert)
	optional := start(tls.VerifyClientCertIfGiven)

	client := func(cert *tls.Certificate) *http.Client {
		cfg := &tls.Config{RootCAs: serverCA.pool, MinVersion: tls.VersionTLS12}
		if cert != nil {
			// Presented whatever CAs the server names, so a test never
			// passes because no certificate was sent.
			cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return cert, nil }
		}
		tr := &http.Transport{TLSClientConfig: cfg}
		t.Cleanup(tr.CloseIdleConnections)
		return &http.Client{Transport: tr, Timeout: 10 * time.Second}
	}
	get := func(c *http.Client, url, authz string) (*http.Response, []byte) {
		t.Helper()
		req, err := http.NewRequest("GET", url, nil)
		if err != nil {
			t.Fatal(err)
		}
		if authz != "" {
			req.Header.Set("Authorization", authz)
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp, body
	}
	reason := func(body []byte) string {
		var p struct{ Reason string }
		json.Unmarshal(body, &p)
		return p.Reason
	}

	t.Run("SPIFFE certificate", func(t *testing.T) {
		for _, url := range []string{required, optional} {
			resp, body := get(client(&billing), url, "")
			var got map[string]string
			json.Unmarshal(body, &got)
			if resp.StatusCode != 200 || got["method"] != "mtls" || got["subject"] != billingSPIFFE {
				t.Errorf("%s: %d %s, want 200 with the mtls principal %s", url, resp.StatusCode, body, billingSPIFFE)
			}
			if rp := <-recs; rp.Method != "mtls" || rp.Subject != billingSPIFFE {
				t.Errorf("record principal %+v", rp)
			}
		}
	})
	t.Run("no certificate and no header", func(t *testing.T) {
		resp, body := get(client(nil), optional, "")
		if resp.StatusCode != 401 || reason(body) != "unauthenticated" {
			t.Errorf("%d %s, want 401 unauthenticated", resp.StatusCode, body)
		}
		if rp := <-recs; rp != (record.Principal{}) {
			t.Errorf("record principal %+v, want none", rp)
		}
	})
	t.Run("certificate and an invalid bearer token", func(t *testing.T) {
		resp, body := get(client(&billing), required, "Bearer x.y.z")
		if resp.StatusCode != 401 || reason(body) != "invalid_token" {
			t.Errorf("%d %s, want 401 invalid_token: the header credential wins", resp.StatusCode, body)
		}
		if rp := <-recs; rp != (record.Principal{}) {
			t.Errorf("record principal %+v, want none", rp)
		}
	})
}
