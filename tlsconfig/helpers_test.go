package tlsconfig_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// testCA is a throwaway certificate authority for one test.
type testCA struct {
	cert *x509.Certificate
	key  crypto.Signer
	pool *x509.CertPool
	pem  []byte
}

func newCA(t testing.TB, name string) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          randSerial(t),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
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
	return &testCA{cert: cert, key: key, pool: pool, pem: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
}

func randSerial(t testing.TB) *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 96))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// leaf describes a certificate for testCA.issue. Zero validity means valid
// from an hour ago for a day.
type leaf struct {
	dns       []string
	uris      []string
	ips       []net.IP
	emails    []string
	cn        string // "test leaf" if empty
	notBefore time.Time
	notAfter  time.Time
	rsa       bool
}

// issued is a certificate with its PEM encodings.
type issued struct {
	tls     tls.Certificate
	certPEM []byte
	keyPEM  []byte
}

var rsaKey = sync.OnceValues(func() (*rsa.PrivateKey, error) { return rsa.GenerateKey(rand.Reader, 2048) })

func (ca *testCA) issue(t testing.TB, l leaf) issued {
	t.Helper()
	var key crypto.Signer
	if l.rsa {
		k, err := rsaKey()
		if err != nil {
			t.Fatal(err)
		}
		key = k
	} else {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		key = k
	}
	now := time.Now()
	if l.notBefore.IsZero() {
		l.notBefore = now.Add(-time.Hour)
	}
	if l.notAfter.IsZero() {
		l.notAfter = now.Add(24 * time.Hour)
	}
	if l.cn == "" {
		l.cn = "test leaf"
	}
	tmpl := &x509.Certificate{
		SerialNumber:   randSerial(t),
		Subject:        pkix.Name{CommonName: l.cn},
		NotBefore:      l.notBefore,
		NotAfter:       l.notAfter,
		KeyUsage:       x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:    []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		DNSNames:       l.dns,
		IPAddresses:    l.ips,
		EmailAddresses: l.emails,
	}
	for _, u := range l.uris {
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
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
	c, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	return issued{tls: c, certPEM: certPEM, keyPEM: keyPEM}
}

// serverLeaf is a serving certificate for the loopback names tests dial.
func (ca *testCA) serverLeaf(t testing.TB) issued {
	return ca.issue(t, leaf{dns: []string{"localhost"}, ips: []net.IP{net.IPv4(127, 0, 0, 1)}})
}

func writeFile(t testing.TB, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

func writePair(t testing.TB, dir string, c issued) (certFile, keyFile string) {
	t.Helper()
	certFile, keyFile = filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	writeFile(t, certFile, c.certPEM)
	writeFile(t, keyFile, c.keyPEM)
	return certFile, keyFile
}

// tlsServer accepts TLS connections on a loopback port, completes the
// handshake, writes one byte and closes. Each connection's handshake error
// (nil on success) is sent on errs.
type tlsServer struct {
	addr string
	errs chan error
}

func startTLS(t testing.TB, cfg *tls.Config) *tlsServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &tlsServer{addr: ln.Addr().String(), errs: make(chan error, 4096)}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				tc := tls.Server(c, cfg)
				err := tc.HandshakeContext(context.Background())
				if err == nil {
					_, err = tc.Write([]byte("x"))
				}
				select {
				case s.errs <- err:
				default:
				}
			}()
		}
	}()
	return s
}

// nextErr returns the server-side result of the next connection.
func (s *tlsServer) nextErr(t testing.TB) error {
	t.Helper()
	select {
	case err := <-s.errs:
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("server saw no connection")
		return nil
	}
}

// dial performs a handshake and reads the server's byte, which also makes
// the client process TLS 1.3 session tickets and see a client-certificate
// refusal that TLS 1.3 reports only after the client's handshake returns.
func dial(addr string, cfg *tls.Config) (tls.ConnectionState, error) {
	c, err := tls.Dial("tcp", addr, cfg)
	if err != nil {
		return tls.ConnectionState{}, err
	}
	defer c.Close()
	var b [1]byte
	_, err = io.ReadFull(c, b[:])
	return c.ConnectionState(), err
}

// clientFor is a plain crypto/tls client that trusts ca, for tests that must
// control the client's offer directly.
func clientFor(ca *testCA) *tls.Config {
	return &tls.Config{RootCAs: ca.pool, ServerName: "localhost"}
}

// logRecorder is a slog handler that keeps records for assertions.
type logRecorder struct {
	mu      sync.Mutex
	records []slog.Record
	notify  chan struct{}
}

func newLogRecorder() *logRecorder { return &logRecorder{notify: make(chan struct{}, 1024)} }

func (h *logRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (h *logRecorder) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	h.records = append(h.records, r.Clone())
	h.mu.Unlock()
	select {
	case h.notify <- struct{}{}:
	default:
	}
	return nil
}
func (h *logRecorder) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *logRecorder) WithGroup(string) slog.Handler      { return h }

func (h *logRecorder) snapshot() []slog.Record {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]slog.Record(nil), h.records...)
}

func (h *logRecorder) count(level slog.Level) int {
	n := 0
	for _, r := range h.snapshot() {
		if r.Level == level {
			n++
		}
	}
	return n
}

func attr(r slog.Record, key string) (slog.Value, bool) {
	var v slog.Value
	found := false
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == key {
			v, found = a.Value, true
			return false
		}
		return true
	})
	return v, found
}
