package oidctest

import (
	"crypto/sha256"
	"crypto/tls"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/apishield/apishield/tlsconfig"
)

// TestPKI runs real TLS handshakes with the certificates: a server with
// tlsconfig's mutual TLS accepts the PKI's client certificate and sees it
// as the peer (the certificate a bound token's thumbprint names), and
// refuses one from another authority.
func TestPKI(t *testing.T) {
	t.Parallel()
	pki := NewPKI(t)
	cfg, err := tlsconfig.Server(tlsconfig.Config{Certificates: []tls.Certificate{pki.ServerCert(t)}, ClientCAs: pki.Pool})
	if err != nil {
		t.Fatal(err)
	}
	peers := make(chan string, 1)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		peers <- Thumbprint(r.TLS.PeerCertificates[0])
	}))
	srv.TLS = cfg
	srv.StartTLS()
	defer srv.Close()

	get := func(cert tls.Certificate) error {
		c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pki.Pool, Certificates: []tls.Certificate{cert}}}}
		defer c.CloseIdleConnections()
		resp, err := c.Get(srv.URL)
		if err != nil {
			return err
		}
		return resp.Body.Close()
	}
	cert := pki.ClientCert(t, "client.test")
	if err := get(cert); err != nil {
		t.Fatalf("client certificate of the PKI: %v", err)
	}
	sum := sha256.Sum256(cert.Certificate[0])
	if got, want := <-peers, base64.RawURLEncoding.EncodeToString(sum[:]); got != want {
		t.Errorf("peer thumbprint = %q, want %q", got, want)
	}
	if err := get(NewPKI(t).ClientCert(t, "client.test")); err == nil {
		t.Error("a client certificate of another authority was accepted")
	}
}
