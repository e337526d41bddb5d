package oidctest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// PKI is a test certificate authority: it issues the TLS server
// certificates of the provider and of the API under test, and the client
// certificates of mutual-TLS clients. Its keys are ECDSA P-256, made fresh
// by NewPKI. It is safe for concurrent use.
type PKI struct {
	// CA is the authority's self-signed certificate.
	CA *x509.Certificate
	// Pool holds CA alone: RootCAs for clients of the servers it issued
	// certificates to, ClientCAs for servers that verify its clients.
	Pool *x509.CertPool

	key *ecdsa.PrivateKey
}

// NewPKI makes a new certificate authority.
func NewPKI(t testing.TB) *PKI {
	t.Helper()
	key := newECKey(t)
	tmpl := &x509.Certificate{
		SerialNumber:          serial(t),
		Subject:               pkix.Name{CommonName: "apishield oidctest CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	return &PKI{CA: ca, Pool: pool, key: key}
}

// ServerCert issues a server certificate for 127.0.0.1, ::1 and localhost.
func (p *PKI) ServerCert(t testing.TB) tls.Certificate {
	t.Helper()
	return p.issue(t, &x509.Certificate{
		Subject:     pkix.Name{CommonName: "127.0.0.1"},
		DNSNames:    []string{"localhost"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	})
}

// ClientCert issues a client certificate for cn, a DNS name: its common
// name and only subject alternative name, so tlsconfig's peer identity is
// cn.
func (p *PKI) ClientCert(t testing.TB, cn string) tls.Certificate {
	t.Helper()
	return p.issue(t, &x509.Certificate{
		Subject:     pkix.Name{CommonName: cn},
		DNSNames:    []string{cn},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	})
}

// issue signs tmpl, completed with a serial, validity and key usage, for a
// fresh key, and returns the certificate with its Leaf set.
func (p *PKI) issue(t testing.TB, tmpl *x509.Certificate) tls.Certificate {
	t.Helper()
	key := newECKey(t)
	tmpl.SerialNumber = serial(t)
	tmpl.NotBefore = time.Now().Add(-time.Hour)
	tmpl.NotAfter = time.Now().Add(24 * time.Hour)
	tmpl.KeyUsage = x509.KeyUsageDigitalSignature
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.CA, &key.PublicKey, p.key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}
}

// Thumbprint is the RFC 8705 §3.1 thumbprint of a certificate: the
// base64url SHA-256 of its DER, the value of a bound token's
// cnf["x5t#S256"].
func Thumbprint(cert *x509.Certificate) string {
	sum := sha256.Sum256(cert.Raw)
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// certJWK is the public JWK of an ECDSA certificate with the certificate
// in x5c, as self_signed_tls_client_auth registers a client's certificate
// (RFC 8705 §2.2).
func certJWK(cert tls.Certificate) map[string]any {
	jwk := publicJWK(&cert.PrivateKey.(*ecdsa.PrivateKey).PublicKey)
	jwk["x5c"] = []string{base64.StdEncoding.EncodeToString(cert.Leaf.Raw)}
	return jwk
}

// writePEM writes cert and its key as PEM files in dir, for the provider.
func writePEM(t testing.TB, dir string, cert tls.Certificate) (certFile, keyFile string) {
	t.Helper()
	keyDER, err := x509.MarshalPKCS8PrivateKey(cert.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "server.pem"), filepath.Join(dir, "server-key.pem")
	for name, block := range map[string]*pem.Block{
		certFile: {Type: "CERTIFICATE", Bytes: cert.Certificate[0]},
		keyFile:  {Type: "PRIVATE KEY", Bytes: keyDER},
	} {
		if err := os.WriteFile(name, pem.EncodeToMemory(block), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return certFile, keyFile
}

func newECKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

func serial(t testing.TB) *big.Int {
	t.Helper()
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		t.Fatal(err)
	}
	return n
}
