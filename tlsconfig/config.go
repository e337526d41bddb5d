package tlsconfig

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"time"
)

// ErrInvalidConfig is wrapped by every error [Server], [Client], [NewHTTPServer]
// and [NewHSTS] return for a configuration they refuse.
var ErrInvalidConfig = errors.New("tlsconfig: invalid config")

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidConfig, fmt.Sprintf(format, args...))
}

// Config describes a TLS endpoint, server or client. [Server] and [Client]
// read it once and do not keep it; fields that do not apply to the side
// being built must be left zero and are refused otherwise, so a
// misplaced setting is never silently ignored.
type Config struct {
	// Profile selects protocol versions and cipher suites. The zero value is
	// Intermediate (TLS 1.2 with AEAD suites, and TLS 1.3).
	Profile Profile

	// Certificates are the certificate chains this side presents: for a
	// server its serving certificates, for a client its client certificate.
	// Set either Certificates or one of GetCertificate/GetClientCertificate,
	// not both. A server needs one of them; a client needs none unless the
	// server asks for a certificate.
	Certificates []tls.Certificate
	// GetCertificate returns the serving certificate (server only), for
	// example [Reloader.GetCertificate] to rotate certificates without a
	// restart. Nil means Certificates are used.
	GetCertificate func(*tls.ClientHelloInfo) (*tls.Certificate, error)
	// GetClientCertificate returns the client certificate (client only), for
	// example [Reloader.GetClientCertificate]. Nil means Certificates are used.
	GetClientCertificate func(*tls.CertificateRequestInfo) (*tls.Certificate, error)

	// ClientCAs is the pool of certificate authorities a server verifies
	// client certificates against (server only). Setting ClientCAs,
	// ClientCAFile or ClientCAReloader turns mutual TLS on. Set at most one
	// of the three. If all are nil, clients are not asked for certificates.
	//
	// A resumed session is re-checked in VerifyConnection: its chain must
	// still end in a CA of this pool (or of the reloader's current bundle),
	// or the handshake fails with [ErrStaleSession]. Rotate client CAs with
	// ClientCAReloader or by building a new config with [Server], not by
	// changing ClientCAs on a Clone: the re-check keeps using the pool
	// given here.
	ClientCAs *x509.CertPool
	// ClientCAFile is a PEM bundle of client CAs, read once by [Server].
	ClientCAFile string
	// ClientCAReloader serves a client CA bundle that is reloaded when its
	// file changes; the change applies to new handshakes without a restart.
	ClientCAReloader *CAReloader
	// ClientAuth is the server's client-certificate policy when client CAs
	// are set. The zero value (tls.NoClientCert) then means
	// tls.RequireAndVerifyClientCert; tls.VerifyClientCertIfGiven is the one
	// other accepted value. Policies that accept unverified certificates
	// (RequestClientCert, RequireAnyClientCert) are refused.
	ClientAuth tls.ClientAuthType

	// AllowedDNSNames, AllowedURIs and AllowedSPIFFEIDs restrict which
	// verified peers are accepted: the peer's identity, [Identity.Subject],
	// must be listed (exact match; DNS names case-insensitively, without
	// wildcards; a SPIFFE ID only counts on a certificate whose only URI SAN
	// it is). The lists are alternatives: a match in any one admits the
	// peer. An allowed name elsewhere in the certificate does not count: a
	// certificate with the SANs victim.internal and allowed.example, in
	// that order, or with a URI SAN beside the allowed DNS name, is refused,
	// because the application would see victim.internal or the URI. So the
	// identity handed to the application is always the allow-listed name
	// that matched. Have your CA put the name you list first (URI SANs come
	// before DNS SANs). Entries that no certificate name could ever equal
	// are refused.
	//
	// On a server they apply to client certificates and require client CAs;
	// on a client they apply to the server's certificate, on top of the usual
	// check of ServerName against any of its names. If all are empty and
	// VerifyIdentity is nil, every peer whose chain verifies is accepted and
	// its identity is the first name of its certificate in Subject's order:
	// the CA is then the whole policy, so give mTLS services a CA of their
	// own.
	AllowedDNSNames  []string
	AllowedURIs      []string
	AllowedSPIFFEIDs []string
	// VerifyIdentity, if set, is called with every verified peer identity
	// after the allow-lists accepted it (or when there are none), on full
	// handshakes and resumed sessions alike; a non-nil error aborts the
	// handshake. It should decide on id.Subject(), the name the application
	// sees, not on whichever of the certificate's names it likes.
	VerifyIdentity func(Identity) error

	// RootCAs is the pool a client verifies server certificates against
	// (client only). Nil, with RootCAFile empty, means the system roots.
	RootCAs *x509.CertPool
	// RootCAFile is a PEM bundle of roots for a client, read once by [Client].
	// To rotate roots, build a new config with [Client]: it has a session
	// cache of its own, so no session established under the old roots can
	// resume through it. A Clone would share the old cache.
	RootCAFile string
	// ServerName is the name a client expects in the server's certificate
	// and sends in SNI (client only). Empty means it is taken from the
	// address dialled, as http.Transport does.
	ServerName string

	// NextProtos lists ALPN protocols. Nil lets http.Server add "h2" and
	// "http/1.1" itself; with ClientCAReloader, nil means those two, because
	// the per-handshake configuration is derived from the one Server returns
	// and http.Server's own additions do not reach it.
	NextProtos []string
}

// Server returns a hardened server configuration for cfg. The result may be
// given to http.Server.TLSConfig or tls.NewListener; like any tls.Config it
// must not be modified after use. Session tickets stay on, and the key
// exchanges are crypto/tls's defaults, so post-quantum X25519MLKEM768 is
// offered.
func Server(cfg Config) (*tls.Config, error) {
	if !cfg.Profile.valid() {
		return nil, invalid("unknown profile %v", cfg.Profile)
	}
	if cfg.GetClientCertificate != nil || cfg.RootCAs != nil || cfg.RootCAFile != "" || cfg.ServerName != "" {
		return nil, invalid("GetClientCertificate, RootCAs, RootCAFile and ServerName are client settings")
	}
	switch {
	case len(cfg.Certificates) > 0 && cfg.GetCertificate != nil:
		return nil, invalid("set Certificates or GetCertificate, not both")
	case len(cfg.Certificates) == 0 && cfg.GetCertificate == nil:
		return nil, invalid("a server needs Certificates or GetCertificate")
	}

	c := &tls.Config{
		Certificates:   append([]tls.Certificate(nil), cfg.Certificates...),
		GetCertificate: cfg.GetCertificate,
		NextProtos:     cloneStrings(cfg.NextProtos),
	}
	cfg.Profile.apply(c)

	pol, err := newPolicy(&cfg)
	if err != nil {
		return nil, invalid("%v", err)
	}
	n := 0
	for _, set := range []bool{cfg.ClientCAs != nil, cfg.ClientCAFile != "", cfg.ClientCAReloader != nil} {
		if set {
			n++
		}
	}
	if n > 1 {
		return nil, invalid("set at most one of ClientCAs, ClientCAFile and ClientCAReloader")
	}
	if n == 0 {
		if cfg.ClientAuth != tls.NoClientCert {
			return nil, invalid("ClientAuth %v needs ClientCAs, ClientCAFile or ClientCAReloader", cfg.ClientAuth)
		}
		if pol.restricts() {
			return nil, invalid("client identity checks need ClientCAs, ClientCAFile or ClientCAReloader")
		}
		return c, nil
	}

	switch cfg.ClientAuth {
	case tls.NoClientCert, tls.RequireAndVerifyClientCert:
		c.ClientAuth = tls.RequireAndVerifyClientCert
	case tls.VerifyClientCertIfGiven:
		c.ClientAuth = tls.VerifyClientCertIfGiven
	default:
		return nil, invalid("ClientAuth %v accepts unverified client certificates", cfg.ClientAuth)
	}
	// roots is the pool resumed sessions are checked against in
	// VerifyConnection: the static pool, or the reloader's current one.
	var roots func() *x509.CertPool
	switch {
	case cfg.ClientCAs != nil:
		c.ClientCAs = cfg.ClientCAs
	case cfg.ClientCAFile != "":
		pem, err := os.ReadFile(cfg.ClientCAFile)
		if err != nil {
			return nil, invalid("ClientCAFile: %v", err)
		}
		pool, _, err := parseCABundle(pem, time.Now())
		if err != nil {
			return nil, invalid("ClientCAFile %s: %v", cfg.ClientCAFile, err)
		}
		c.ClientCAs = pool
	case cfg.ClientCAReloader != nil:
		// Each handshake gets a copy of c made before http.Server adds its
		// ALPN protocols to its own copy, so advertise them here.
		if c.NextProtos == nil {
			c.NextProtos = []string{"h2", "http/1.1"}
		}
		c.GetConfigForClient = cfg.ClientCAReloader.configFor(c)
		roots = cfg.ClientCAReloader.Pool
	}
	if roots == nil {
		pool := c.ClientCAs
		roots = func() *x509.CertPool { return pool }
	}
	c.VerifyConnection = pol.verifyConnection(c.ClientAuth == tls.RequireAndVerifyClientCert, roots)
	return c, nil
}

// Client returns a hardened client configuration for cfg, for
// service-to-service calls: set it as http.Transport.TLSClientConfig or pass
// it to tls.Dial. Certificate verification cannot be turned off.
func Client(cfg Config) (*tls.Config, error) {
	if !cfg.Profile.valid() {
		return nil, invalid("unknown profile %v", cfg.Profile)
	}
	if cfg.GetCertificate != nil || cfg.ClientCAs != nil || cfg.ClientCAFile != "" ||
		cfg.ClientCAReloader != nil || cfg.ClientAuth != tls.NoClientCert {
		return nil, invalid("GetCertificate, ClientCAs, ClientCAFile, ClientCAReloader and ClientAuth are server settings")
	}
	if len(cfg.Certificates) > 0 && cfg.GetClientCertificate != nil {
		return nil, invalid("set Certificates or GetClientCertificate, not both")
	}
	if cfg.RootCAs != nil && cfg.RootCAFile != "" {
		return nil, invalid("set RootCAs or RootCAFile, not both")
	}
	c := &tls.Config{
		Certificates:         append([]tls.Certificate(nil), cfg.Certificates...),
		GetClientCertificate: cfg.GetClientCertificate,
		RootCAs:              cfg.RootCAs,
		ServerName:           cfg.ServerName,
		NextProtos:           cloneStrings(cfg.NextProtos),
		// A client-side session cache makes resumption work out of the box;
		// the identity policy still runs on resumed sessions.
		ClientSessionCache: tls.NewLRUClientSessionCache(0),
	}
	cfg.Profile.apply(c)
	if cfg.RootCAFile != "" {
		pem, err := os.ReadFile(cfg.RootCAFile)
		if err != nil {
			return nil, invalid("RootCAFile: %v", err)
		}
		pool, _, err := parseCABundle(pem, time.Now())
		if err != nil {
			return nil, invalid("RootCAFile %s: %v", cfg.RootCAFile, err)
		}
		c.RootCAs = pool
	}
	pol, err := newPolicy(&cfg)
	if err != nil {
		return nil, invalid("%v", err)
	}
	if pol.restricts() {
		c.VerifyConnection = pol.verifyConnection(true, nil)
	}
	return c, nil
}

func cloneStrings(s []string) []string {
	if s == nil {
		return nil
	}
	return append([]string(nil), s...)
}
