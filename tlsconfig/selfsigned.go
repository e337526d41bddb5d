package tlsconfig

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// SelfSignedValidity is the lifetime of a [SelfSigned] certificate.
const SelfSignedValidity = 24 * time.Hour

// SelfSigned returns a fresh self-signed ECDSA P-256 certificate for hosts
// (DNS names or IP addresses), valid for [SelfSignedValidity]. With no
// hosts it covers "localhost", 127.0.0.1 and ::1. Its Leaf is set.
//
// It is for development only, such as a quickstart server on a laptop: no
// client trusts it unless told to (write it out with [WriteCertificatePEM]
// and pass the file to curl --cacert), its key exists only in memory, and it
// expires within a day so it cannot quietly become a production
// certificate. Production services load certificates issued by a CA, with
// a [Reloader].
func SelfSigned(hosts ...string) (tls.Certificate, error) {
	if len(hosts) == 0 {
		hosts = []string{"localhost", "127.0.0.1", "::1"}
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return tls.Certificate{}, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "apishield development certificate", Organization: []string{"apishield development only"}},
		NotBefore:             now.Add(-5 * time.Minute), // tolerate small clock skew
		NotAfter:              now.Add(SelfSignedValidity),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		// It is its own trust anchor for curl --cacert, so it is marked as a
		// CA; MaxPathLenZero stops it from vouching for anything but itself.
		IsCA:           true,
		MaxPathLen:     0,
		MaxPathLenZero: true,
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
			continue
		}
		if h == "" || strings.ContainsAny(h, " /:\t") {
			return tls.Certificate{}, fmt.Errorf("tlsconfig: SelfSigned: %q is neither a DNS name nor an IP address", h)
		}
		tmpl.DNSNames = append(tmpl.DNSNames, h)
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, nil
}

// CertificatePEM returns the certificate chain of c in PEM, leaf first. It
// never includes the private key.
func CertificatePEM(c tls.Certificate) []byte {
	var out []byte
	for _, der := range c.Certificate {
		out = append(out, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})...)
	}
	return out
}

// WriteCertificatePEM writes the certificate chain of c (never its key) to
// path as PEM, readable by all (mode 0644), replacing the file atomically so
// a reader never sees half a certificate. It is how a development server
// hands its [SelfSigned] certificate to curl --cacert.
func WriteCertificatePEM(path string, c tls.Certificate) error {
	if len(c.Certificate) == 0 {
		return errors.New("tlsconfig: WriteCertificatePEM: no certificate")
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".cert-*.pem")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // no-op after a successful rename
	if _, err := tmp.Write(CertificatePEM(c)); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
