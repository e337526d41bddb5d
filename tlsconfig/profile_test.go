package tlsconfig_test

import (
	"crypto/tls"
	"slices"
	"testing"

	"github.com/apishield/apishield/tlsconfig"
)

// permissive is a server configuration that accepts everything crypto/tls
// can still speak. Each refusal test first shows that it accepts the same
// client, so a refusal by tlsconfig is proof of the profile, not of a client
// that could never connect anywhere.
func permissive(certs ...tls.Certificate) *tls.Config {
	var all []uint16
	for _, s := range tls.CipherSuites() {
		all = append(all, s.ID)
	}
	for _, s := range tls.InsecureCipherSuites() {
		all = append(all, s.ID)
	}
	return &tls.Config{Certificates: certs, MinVersion: tls.VersionTLS10, CipherSuites: all}
}

func serverConfig(t *testing.T, p tlsconfig.Profile, certs ...tls.Certificate) *tls.Config {
	t.Helper()
	c, err := tlsconfig.Server(tlsconfig.Config{Profile: p, Certificates: certs})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestProfilesRefuseWeakClients(t *testing.T) {
	t.Parallel()
	ca := newCA(t, "profiles CA")
	ec := ca.serverLeaf(t)
	rs := ca.issue(t, leaf{dns: []string{"localhost"}, rsa: true})

	cbc := []uint16{
		tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA,
		tls.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA,
		tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256,
		tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
		tls.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA,
		tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256,
		tls.TLS_RSA_WITH_AES_128_CBC_SHA,
		tls.TLS_RSA_WITH_AES_256_CBC_SHA,
		tls.TLS_RSA_WITH_AES_128_CBC_SHA256,
	}
	tests := []struct {
		name    string
		profile tlsconfig.Profile
		client  func() *tls.Config
	}{
		{"intermediate/TLS1.0", tlsconfig.Intermediate, func() *tls.Config {
			c := clientFor(ca)
			c.MinVersion, c.MaxVersion = tls.VersionTLS10, tls.VersionTLS10
			return c
		}},
		{"intermediate/TLS1.1", tlsconfig.Intermediate, func() *tls.Config {
			c := clientFor(ca)
			c.MinVersion, c.MaxVersion = tls.VersionTLS11, tls.VersionTLS11
			return c
		}},
		{"modern/TLS1.0", tlsconfig.Modern, func() *tls.Config {
			c := clientFor(ca)
			c.MinVersion, c.MaxVersion = tls.VersionTLS10, tls.VersionTLS10
			return c
		}},
		{"modern/TLS1.1", tlsconfig.Modern, func() *tls.Config {
			c := clientFor(ca)
			c.MinVersion, c.MaxVersion = tls.VersionTLS11, tls.VersionTLS11
			return c
		}},
		{"modern/TLS1.2", tlsconfig.Modern, func() *tls.Config {
			c := clientFor(ca)
			c.MaxVersion = tls.VersionTLS12
			return c
		}},
		{"intermediate/CBC only", tlsconfig.Intermediate, func() *tls.Config {
			c := clientFor(ca)
			c.MaxVersion, c.CipherSuites = tls.VersionTLS12, cbc
			return c
		}},
		{"intermediate/RSA key exchange only", tlsconfig.Intermediate, func() *tls.Config {
			c := clientFor(ca)
			c.MaxVersion = tls.VersionTLS12
			c.CipherSuites = []uint16{tls.TLS_RSA_WITH_AES_128_GCM_SHA256, tls.TLS_RSA_WITH_AES_256_GCM_SHA384}
			return c
		}},
		{"intermediate/3DES only", tlsconfig.Intermediate, func() *tls.Config {
			c := clientFor(ca)
			c.MaxVersion = tls.VersionTLS12
			c.CipherSuites = []uint16{tls.TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA, tls.TLS_RSA_WITH_3DES_EDE_CBC_SHA}
			return c
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			control := startTLS(t, permissive(ec.tls, rs.tls))
			if _, err := dial(control.addr, tt.client()); err != nil {
				t.Fatalf("control: a permissive server refused the client, so the test proves nothing: %v", err)
			}
			srv := startTLS(t, serverConfig(t, tt.profile, ec.tls, rs.tls))
			cs, err := dial(srv.addr, tt.client())
			if err == nil {
				t.Fatalf("handshake succeeded with %s / %s, want refusal", tls.VersionName(cs.Version), tls.CipherSuiteName(cs.CipherSuite))
			}
			if serr := srv.nextErr(t); serr == nil {
				t.Fatal("server reports success, want a handshake error")
			}
		})
	}
}

func TestIntermediateNegotiatesEachAEADSuite(t *testing.T) {
	t.Parallel()
	ca := newCA(t, "suites CA")
	ec := ca.serverLeaf(t)
	rs := ca.issue(t, leaf{dns: []string{"localhost"}, rsa: true})
	srv := startTLS(t, serverConfig(t, tlsconfig.Intermediate, ec.tls, rs.tls))
	suites := tlsconfig.Intermediate.CipherSuites()
	if len(suites) != 6 {
		t.Fatalf("Intermediate has %d TLS 1.2 suites, want 6", len(suites))
	}
	for _, id := range suites {
		t.Run(tls.CipherSuiteName(id), func(t *testing.T) {
			c := clientFor(ca)
			c.MaxVersion, c.CipherSuites = tls.VersionTLS12, []uint16{id}
			cs, err := dial(srv.addr, c)
			if err != nil {
				t.Fatal(err)
			}
			if cs.Version != tls.VersionTLS12 || cs.CipherSuite != id {
				t.Fatalf("got %s / %s, want TLS 1.2 / %s", tls.VersionName(cs.Version), tls.CipherSuiteName(cs.CipherSuite), tls.CipherSuiteName(id))
			}
		})
	}
}

func TestProfilesNegotiateTLS13WithPostQuantumKeyExchange(t *testing.T) {
	t.Parallel()
	ca := newCA(t, "pq CA")
	ec := ca.serverLeaf(t)
	for _, p := range []tlsconfig.Profile{tlsconfig.Intermediate, tlsconfig.Modern} {
		t.Run(p.String(), func(t *testing.T) {
			t.Parallel()
			srv := startTLS(t, serverConfig(t, p, ec.tls))
			c := clientFor(ca)
			c.ClientSessionCache = tls.NewLRUClientSessionCache(1)
			cs, err := dial(srv.addr, c)
			if err != nil {
				t.Fatal(err)
			}
			if cs.Version != tls.VersionTLS13 {
				t.Errorf("version %s, want TLS 1.3", tls.VersionName(cs.Version))
			}
			if cs.CurveID != tls.X25519MLKEM768 {
				t.Errorf("key exchange %v, want X25519MLKEM768 (CurvePreferences must stay nil)", cs.CurveID)
			}
			cs, err = dial(srv.addr, c)
			if err != nil {
				t.Fatal(err)
			}
			if !cs.DidResume {
				t.Error("second connection did not resume: session tickets must stay on")
			}
		})
	}
}

func TestProfileAccessors(t *testing.T) {
	t.Parallel()
	if got := tlsconfig.Modern.CipherSuites(); got != nil {
		t.Errorf("Modern.CipherSuites() = %v, want nil", got)
	}
	s := tlsconfig.Intermediate.CipherSuites()
	s[0] = tls.TLS_RSA_WITH_RC4_128_SHA
	if slices.Contains(tlsconfig.Intermediate.CipherSuites(), tls.TLS_RSA_WITH_RC4_128_SHA) {
		t.Error("CipherSuites returned the package's own slice")
	}
	for _, id := range tlsconfig.Intermediate.CipherSuites() {
		var found bool
		for _, cs := range tls.CipherSuites() {
			if cs.ID == id {
				found = true
			}
		}
		if !found {
			t.Errorf("%s is not among crypto/tls's secure suites", tls.CipherSuiteName(id))
		}
	}
	tests := []struct {
		p    tlsconfig.Profile
		name string
		min  uint16
	}{
		{tlsconfig.Intermediate, "intermediate", tls.VersionTLS12},
		{tlsconfig.Modern, "modern", tls.VersionTLS13},
		{tlsconfig.Profile(7), "Profile(7)", tls.VersionTLS12},
	}
	for _, tt := range tests {
		if got := tt.p.String(); got != tt.name {
			t.Errorf("String() = %q, want %q", got, tt.name)
		}
		if got := tt.p.MinVersion(); got != tt.min {
			t.Errorf("%v.MinVersion() = %x, want %x", tt.p, got, tt.min)
		}
	}
}
