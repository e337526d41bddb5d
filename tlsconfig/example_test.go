package tlsconfig_test

import (
	"crypto/tls"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"time"

	"github.com/apishield/apishield/tlsconfig"
)

func ExampleServer() {
	cert, err := tlsconfig.SelfSigned("localhost")
	if err != nil {
		log.Fatal(err)
	}
	cfg, err := tlsconfig.Server(tlsconfig.Config{Certificates: []tls.Certificate{cert}})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("min version:", tls.VersionName(cfg.MinVersion))
	for _, id := range cfg.CipherSuites {
		fmt.Println(tls.CipherSuiteName(id))
	}
	fmt.Println("curve preferences left to crypto/tls:", cfg.CurvePreferences == nil)
	// Output:
	// min version: TLS 1.2
	// TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256
	// TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
	// TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384
	// TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384
	// TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256
	// TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256
	// curve preferences left to crypto/tls: true
}

func ExampleServer_modern() {
	cert, err := tlsconfig.SelfSigned()
	if err != nil {
		log.Fatal(err)
	}
	cfg, err := tlsconfig.Server(tlsconfig.Config{Profile: tlsconfig.Modern, Certificates: []tls.Certificate{cert}})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(tls.VersionName(cfg.MinVersion), len(cfg.CipherSuites))
	// Output: TLS 1.3 0
}

// ExampleServer_mutualTLS requires client certificates from one CA and
// accepts only the billing service's SPIFFE ID. Handlers read the caller
// with PeerIdentity.
func ExampleServer_mutualTLS() {
	cert, err := tlsconfig.SelfSigned("ledger.internal")
	if err != nil {
		log.Fatal(err)
	}
	// Stand-in for the client CA bundle your PKI issues.
	clientCA, err := tlsconfig.SelfSigned("client-ca.internal")
	if err != nil {
		log.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "mtls")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	caFile := filepath.Join(dir, "client-cas.pem")
	if err := tlsconfig.WriteCertificatePEM(caFile, clientCA); err != nil {
		log.Fatal(err)
	}

	cfg, err := tlsconfig.Server(tlsconfig.Config{
		Certificates:     []tls.Certificate{cert},
		ClientCAFile:     caFile,
		AllowedSPIFFEIDs: []string{"spiffe://example.org/ns/prod/sa/billing"},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(cfg.ClientAuth)
	// Output: RequireAndVerifyClientCert
}

func ExamplePeerIdentity() {
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, ok := tlsconfig.PeerIdentity(r)
		if !ok {
			http.Error(w, "client certificate required", http.StatusUnauthorized)
			return
		}
		fmt.Fprintf(w, "hello %s", id.Subject())
	})
	w := httptest.NewRecorder()
	handler.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "http://api.example/", nil))
	fmt.Println(w.Code)
	// Output: 401
}

func ExampleNewHSTS() {
	hsts, err := tlsconfig.NewHSTS(tlsconfig.HSTSConfig{})
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	h := hsts.Handler(mux)

	r := httptest.NewRequest(http.MethodGet, "https://api.example/", nil)
	r.TLS = &tls.ConnectionState{HandshakeComplete: true}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	fmt.Println(w.Header().Get("Strict-Transport-Security"))
	// Output: max-age=63072000
}

// ExampleSelfSigned shows the development setup of a quickstart server: a
// certificate made at start-up, written out for curl --cacert.
func ExampleSelfSigned() {
	cert, err := tlsconfig.SelfSigned("localhost", "127.0.0.1")
	if err != nil {
		log.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "quickstart")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	caFile := filepath.Join(dir, "dev-cert.pem")
	if err := tlsconfig.WriteCertificatePEM(caFile, cert); err != nil {
		log.Fatal(err)
	}
	fmt.Println(cert.Leaf.DNSNames, cert.Leaf.IPAddresses, cert.Leaf.NotAfter.Sub(cert.Leaf.NotBefore))
	// Output: [localhost] [127.0.0.1] 24h5m0s
}

// ExampleNewReloader rotates the serving certificate from files that a
// renewal agent replaces.
func ExampleNewReloader() {
	rl, err := tlsconfig.NewReloader("/etc/tls/tls.crt", "/etc/tls/tls.key",
		tlsconfig.WithInterval(30*time.Second), tlsconfig.WithLogger(slog.Default()))
	if err != nil {
		log.Fatal(err) // a service must not start without a certificate
	}
	defer rl.Close()
	cfg, err := tlsconfig.Server(tlsconfig.Config{GetCertificate: rl.GetCertificate})
	if err != nil {
		log.Fatal(err)
	}
	srv, err := tlsconfig.NewHTTPServer(tlsconfig.HTTPServerConfig{Addr: ":8443", Handler: http.NotFoundHandler(), TLSConfig: cfg})
	if err != nil {
		log.Fatal(err)
	}
	log.Fatal(srv.ListenAndServeTLS("", ""))
}

// ExampleClient calls another service over mutual TLS, presenting a
// rotating client certificate and accepting only the expected server
// identity.
func ExampleClient() {
	ca, err := tlsconfig.SelfSigned("ledger.internal")
	if err != nil {
		log.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "client")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	roots := filepath.Join(dir, "roots.pem")
	if err := tlsconfig.WriteCertificatePEM(roots, ca); err != nil {
		log.Fatal(err)
	}
	cfg, err := tlsconfig.Client(tlsconfig.Config{
		Profile:          tlsconfig.Modern,
		RootCAFile:       roots,
		ServerName:       "ledger.internal",
		AllowedSPIFFEIDs: []string{"spiffe://example.org/ns/prod/sa/ledger"},
	})
	if err != nil {
		log.Fatal(err)
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: cfg, ForceAttemptHTTP2: true}}
	_ = client
	fmt.Println(tls.VersionName(cfg.MinVersion), cfg.ServerName)
	// Output: TLS 1.3 ledger.internal
}

// ExampleConnLimiter bounds the connections of an http.Server built by
// hand; NewHTTPServer does the same by itself.
func ExampleConnLimiter() {
	lim, err := tlsconfig.NewConnLimiter(tlsconfig.ConnLimitConfig{
		MaxConns:          1000,
		MaxConnsPerClient: 32,
	})
	if err != nil {
		log.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	srv := &http.Server{Handler: http.NotFoundHandler(), ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(lim.Listener(ln))
	defer srv.Close()

	fmt.Printf("%+v\n", lim.Stats())
	// Output: {Open:0 RefusedOverall:0 RefusedPerClient:0}
}
