package tlsconfig_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/tls"
	"crypto/x509"
	"net"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/apishield/apishield/tlsconfig"
)

func TestSelfSigned(t *testing.T) {
	t.Parallel()
	cert, err := tlsconfig.SelfSigned("localhost", "api.test", "127.0.0.1", "::1")
	if err != nil {
		t.Fatal(err)
	}
	l := cert.Leaf
	if l == nil {
		t.Fatal("Leaf not set")
	}
	if k, ok := l.PublicKey.(*ecdsa.PublicKey); !ok || k.Curve != elliptic.P256() {
		t.Fatalf("key %T, want ECDSA P-256", l.PublicKey)
	}
	if !slices.Equal(l.DNSNames, []string{"localhost", "api.test"}) {
		t.Errorf("DNS SANs %v", l.DNSNames)
	}
	if len(l.IPAddresses) != 2 || !l.IPAddresses[0].Equal(net.IPv4(127, 0, 0, 1)) || !l.IPAddresses[1].Equal(net.IPv6loopback) {
		t.Errorf("IP SANs %v", l.IPAddresses)
	}
	if life := time.Until(l.NotAfter); life > tlsconfig.SelfSignedValidity || life < tlsconfig.SelfSignedValidity-time.Minute {
		t.Errorf("valid for %v more, want about %v", life, tlsconfig.SelfSignedValidity)
	}

	def, err := tlsconfig.SelfSigned()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(def.Leaf.DNSNames, []string{"localhost"}) || len(def.Leaf.IPAddresses) != 2 {
		t.Errorf("default SANs %v %v, want localhost, 127.0.0.1, ::1", def.Leaf.DNSNames, def.Leaf.IPAddresses)
	}
	for _, bad := range []string{"", "a b", "http://x", "x/y"} {
		if _, err := tlsconfig.SelfSigned(bad); err == nil {
			t.Errorf("SelfSigned(%q) succeeded", bad)
		}
	}
}

// TestSelfSignedThroughFile does what a developer does: write the
// certificate out and trust that file, then connect by name and by IP.
func TestSelfSignedThroughFile(t *testing.T) {
	t.Parallel()
	cert, err := tlsconfig.SelfSigned()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "dev-cert.pem")
	if err := tlsconfig.WriteCertificatePEM(path, cert); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(data, []byte("PRIVATE KEY")) {
		t.Fatal("the PEM file contains the private key")
	}
	if !bytes.Equal(data, tlsconfig.CertificatePEM(cert)) {
		t.Fatal("file differs from CertificatePEM")
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, want 0644", fi.Mode().Perm())
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(data) {
		t.Fatal("file is not a PEM certificate")
	}
	cfg, err := tlsconfig.Server(tlsconfig.Config{Certificates: []tls.Certificate{cert}})
	if err != nil {
		t.Fatal(err)
	}
	srv := startTLS(t, cfg)
	for _, name := range []string{"localhost", "127.0.0.1"} {
		if _, err := dial(srv.addr, &tls.Config{RootCAs: pool, ServerName: name}); err != nil {
			t.Errorf("dial as %s: %v", name, err)
		}
	}
	if _, err := dial(srv.addr, &tls.Config{RootCAs: pool, ServerName: "example.com"}); err == nil {
		t.Error("certificate accepted for a name it does not carry")
	}
	if err := tlsconfig.WriteCertificatePEM(path, tls.Certificate{}); err == nil {
		t.Error("WriteCertificatePEM wrote an empty certificate")
	}
	if err := tlsconfig.WriteCertificatePEM(filepath.Join(t.TempDir(), "missing", "x.pem"), cert); err == nil {
		t.Error("WriteCertificatePEM into a missing directory succeeded")
	}
}
