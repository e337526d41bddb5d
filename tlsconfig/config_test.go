package tlsconfig_test

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"path/filepath"
	"slices"
	"testing"

	"github.com/apishield/apishield/tlsconfig"
)

func TestServerConfigFields(t *testing.T) {
	t.Parallel()
	ca := newCA(t, "fields CA")
	cert := ca.serverLeaf(t)
	tests := []struct {
		profile tlsconfig.Profile
		min     uint16
		suites  []uint16
	}{
		{tlsconfig.Intermediate, tls.VersionTLS12, tlsconfig.Intermediate.CipherSuites()},
		{tlsconfig.Modern, tls.VersionTLS13, nil},
	}
	for _, tt := range tests {
		c, err := tlsconfig.Server(tlsconfig.Config{Profile: tt.profile, Certificates: []tls.Certificate{cert.tls}})
		if err != nil {
			t.Fatal(err)
		}
		if c.MinVersion != tt.min || c.MaxVersion != tls.VersionTLS13 {
			t.Errorf("%v: versions %x..%x, want %x..%x", tt.profile, c.MinVersion, c.MaxVersion, tt.min, tls.VersionTLS13)
		}
		if !slices.Equal(c.CipherSuites, tt.suites) {
			t.Errorf("%v: suites %v, want %v", tt.profile, c.CipherSuites, tt.suites)
		}
		if c.CurvePreferences != nil {
			t.Errorf("%v: CurvePreferences = %v, want nil so X25519MLKEM768 stays on", tt.profile, c.CurvePreferences)
		}
		if c.SessionTicketsDisabled {
			t.Errorf("%v: session tickets disabled", tt.profile)
		}
		if c.ClientAuth != tls.NoClientCert || c.VerifyConnection != nil {
			t.Errorf("%v: client auth set without client CAs", tt.profile)
		}
	}
}

func TestConfigValidation(t *testing.T) {
	t.Parallel()
	ca := newCA(t, "validation CA")
	cert := ca.serverLeaf(t)
	certs := []tls.Certificate{cert.tls}
	getCert := func(*tls.ClientHelloInfo) (*tls.Certificate, error) { return &cert.tls, nil }
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "not.pem")
	writeFile(t, notPEM, []byte("hello"))
	leafOnly := filepath.Join(dir, "leaf.pem")
	writeFile(t, leafOnly, cert.certPEM)
	caFile := filepath.Join(dir, "ca.pem")
	writeFile(t, caFile, ca.pem)
	car, err := tlsconfig.NewCAReloader(caFile, tlsconfig.WithInterval(0))
	if err != nil {
		t.Fatal(err)
	}

	server := []struct {
		name string
		cfg  tlsconfig.Config
	}{
		{"no certificate", tlsconfig.Config{}},
		{"both certificate sources", tlsconfig.Config{Certificates: certs, GetCertificate: getCert}},
		{"unknown profile", tlsconfig.Config{Profile: 9, Certificates: certs}},
		{"client setting RootCAs", tlsconfig.Config{Certificates: certs, RootCAs: ca.pool}},
		{"client setting ServerName", tlsconfig.Config{Certificates: certs, ServerName: "x"}},
		{"two CA sources", tlsconfig.Config{Certificates: certs, ClientCAs: ca.pool, ClientCAFile: caFile}},
		{"CA pool and reloader", tlsconfig.Config{Certificates: certs, ClientCAs: ca.pool, ClientCAReloader: car}},
		{"ClientAuth without CAs", tlsconfig.Config{Certificates: certs, ClientAuth: tls.RequireAndVerifyClientCert}},
		{"allow-list without CAs", tlsconfig.Config{Certificates: certs, AllowedDNSNames: []string{"a.example"}}},
		{"VerifyIdentity without CAs", tlsconfig.Config{Certificates: certs, VerifyIdentity: func(tlsconfig.Identity) error { return nil }}},
		{"RequireAnyClientCert", tlsconfig.Config{Certificates: certs, ClientCAs: ca.pool, ClientAuth: tls.RequireAnyClientCert}},
		{"RequestClientCert", tlsconfig.Config{Certificates: certs, ClientCAs: ca.pool, ClientAuth: tls.RequestClientCert}},
		{"missing CA file", tlsconfig.Config{Certificates: certs, ClientCAFile: filepath.Join(dir, "absent.pem")}},
		{"CA file without PEM", tlsconfig.Config{Certificates: certs, ClientCAFile: notPEM}},
		{"CA file with a leaf", tlsconfig.Config{Certificates: certs, ClientCAFile: leafOnly}},
		{"wildcard DNS name", tlsconfig.Config{Certificates: certs, ClientCAs: ca.pool, AllowedDNSNames: []string{"*.example"}}},
		{"empty DNS name", tlsconfig.Config{Certificates: certs, ClientCAs: ca.pool, AllowedDNSNames: []string{""}}},
		{"DNS name with a port", tlsconfig.Config{Certificates: certs, ClientCAs: ca.pool, AllowedDNSNames: []string{"a.example:443"}}},
		{"DNS name with an empty label", tlsconfig.Config{Certificates: certs, ClientCAs: ca.pool, AllowedDNSNames: []string{"a..example"}}},
		{"email address as DNS name", tlsconfig.Config{Certificates: certs, ClientCAs: ca.pool, AllowedDNSNames: []string{"a@example.org"}}},
		{"relative URI", tlsconfig.Config{Certificates: certs, ClientCAs: ca.pool, AllowedURIs: []string{"billing"}}},
		{"URI no SAN can spell", tlsconfig.Config{Certificates: certs, ClientCAs: ca.pool, AllowedURIs: []string{"HTTPS://a.example/x"}}},
		{"bad SPIFFE ID", tlsconfig.Config{Certificates: certs, ClientCAs: ca.pool, AllowedSPIFFEIDs: []string{"spiffe://Example.org/x"}}},
	}
	for _, tt := range server {
		t.Run("server/"+tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := tlsconfig.Server(tt.cfg)
			if !errors.Is(err, tlsconfig.ErrInvalidConfig) {
				t.Fatalf("Server() = %v, %v; want an error wrapping ErrInvalidConfig", c, err)
			}
		})
	}

	client := []struct {
		name string
		cfg  tlsconfig.Config
	}{
		{"unknown profile", tlsconfig.Config{Profile: -1}},
		{"server setting GetCertificate", tlsconfig.Config{GetCertificate: getCert}},
		{"server setting ClientCAs", tlsconfig.Config{ClientCAs: ca.pool}},
		{"server setting ClientAuth", tlsconfig.Config{ClientAuth: tls.RequireAndVerifyClientCert}},
		{"server setting ClientCAReloader", tlsconfig.Config{ClientCAReloader: car}},
		{"both client certificate sources", tlsconfig.Config{Certificates: certs, GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return nil, nil }}},
		{"both root sources", tlsconfig.Config{RootCAs: ca.pool, RootCAFile: caFile}},
		{"missing root file", tlsconfig.Config{RootCAFile: filepath.Join(dir, "absent.pem")}},
		{"root file without PEM", tlsconfig.Config{RootCAFile: notPEM}},
		{"bad SPIFFE ID", tlsconfig.Config{AllowedSPIFFEIDs: []string{"https://example.org/x"}}},
	}
	for _, tt := range client {
		t.Run("client/"+tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := tlsconfig.Client(tt.cfg)
			if !errors.Is(err, tlsconfig.ErrInvalidConfig) {
				t.Fatalf("Client() = %v, %v; want an error wrapping ErrInvalidConfig", c, err)
			}
		})
	}
}

func TestServerClientAuthDefaults(t *testing.T) {
	t.Parallel()
	ca := newCA(t, "auth CA")
	cert := ca.serverLeaf(t)
	tests := []struct {
		in, want tls.ClientAuthType
	}{
		{tls.NoClientCert, tls.RequireAndVerifyClientCert},
		{tls.RequireAndVerifyClientCert, tls.RequireAndVerifyClientCert},
		{tls.VerifyClientCertIfGiven, tls.VerifyClientCertIfGiven},
	}
	for _, tt := range tests {
		c, err := tlsconfig.Server(tlsconfig.Config{Certificates: []tls.Certificate{cert.tls}, ClientCAs: ca.pool, ClientAuth: tt.in})
		if err != nil {
			t.Fatal(err)
		}
		if c.ClientAuth != tt.want {
			t.Errorf("ClientAuth %v became %v, want %v", tt.in, c.ClientAuth, tt.want)
		}
		if c.VerifyConnection == nil {
			t.Errorf("ClientAuth %v: no VerifyConnection", tt.in)
		}
	}
}

func TestClientConfigFields(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ca := newCA(t, "client fields CA")
	caFile := filepath.Join(dir, "ca.pem")
	writeFile(t, caFile, ca.pem)
	c, err := tlsconfig.Client(tlsconfig.Config{Profile: tlsconfig.Modern, RootCAFile: caFile, ServerName: "api.internal"})
	if err != nil {
		t.Fatal(err)
	}
	if c.MinVersion != tls.VersionTLS13 || c.InsecureSkipVerify || c.ServerName != "api.internal" || c.ClientSessionCache == nil {
		t.Errorf("unexpected client config: min %x, insecure %v, server name %q, session cache %v",
			c.MinVersion, c.InsecureSkipVerify, c.ServerName, c.ClientSessionCache)
	}
	if !c.RootCAs.Equal(func() *x509.CertPool { p := x509.NewCertPool(); p.AddCert(ca.cert); return p }()) {
		t.Error("RootCAFile was not loaded into RootCAs")
	}
}
