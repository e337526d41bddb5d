package auth

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"net/netip"
	"net/textproto"

	"github.com/apishield/apishield/internal/clientip"
)

// Defaults of CertificateBindingConfig.
const (
	// DefaultClientCertHeader is RFC 9440's header for a client
	// certificate forwarded by a TLS-terminating proxy.
	DefaultClientCertHeader = "Client-Cert"
	// DefaultMaxClientCertHeaderSize bounds a forwarded certificate.
	DefaultMaxClientCertHeaderSize = 16 << 10
)

// CertificateBindingConfig configures certificate-bound access tokens
// (RFC 8705 §3) for one authenticator ([JWTConfig.CertificateBinding]): a
// token whose cnf["x5t#S256"] is the SHA-256 thumbprint of a client
// certificate is accepted only on a request that presents that
// certificate. The zero value disables them: such tokens are refused
// (check "unverified_binding").
//
// The certificate is the one the TLS handshake received (r.TLS), which
// proved that the client holds its private key. Which certificates the
// handshake takes at all is the TLS configuration's business (tlsconfig):
// the binding itself needs no CA, as RFC 8705 §2.2 allows.
type CertificateBindingConfig struct {
	// Enabled turns the check on.
	Enabled bool
	// TrustedProxies, if not empty, lists the TLS-terminating proxies
	// whose forwarded certificate (Header) is believed: a request whose
	// connection comes from one of them is checked against the header's
	// certificate, never against the proxy's own TLS connection. From any
	// other address the header is ignored. Empty means certificates are
	// taken from the connection only.
	TrustedProxies []netip.Prefix
	// Header names the header a trusted proxy forwards the certificate in:
	// an RFC 8941 byte sequence (":" base64 of the DER ":"), as RFC 9440
	// defines. Empty means "Client-Cert". Ignored without TrustedProxies.
	Header string
	// MaxHeaderSize bounds the header before it is decoded. Zero means
	// 16 KiB.
	MaxHeaderSize int
}

// certBinder is a validated CertificateBindingConfig.
type certBinder struct {
	proxies *clientip.Resolver // nil: no forwarded certificates
	header  string             // canonical
	maxSize int
}

// newCertBinder validates cfg. It returns nil for a disabled config.
func newCertBinder(cfg CertificateBindingConfig) (*certBinder, error) {
	if !cfg.Enabled {
		if len(cfg.TrustedProxies) > 0 || cfg.Header != "" || cfg.MaxHeaderSize != 0 {
			return nil, configErr("CertificateBinding is configured but not Enabled")
		}
		return nil, nil
	}
	c := &certBinder{maxSize: cfg.MaxHeaderSize}
	switch {
	case c.maxSize == 0:
		c.maxSize = DefaultMaxClientCertHeaderSize
	case c.maxSize < 0:
		return nil, configErr("CertificateBinding.MaxHeaderSize must not be negative")
	}
	if len(cfg.TrustedProxies) == 0 {
		if cfg.Header != "" {
			return nil, configErr("CertificateBinding.Header is set without TrustedProxies: nobody could send it")
		}
		return c, nil
	}
	h := cfg.Header
	if h == "" {
		h = DefaultClientCertHeader
	}
	if !isToken(h) {
		return nil, configErr("CertificateBinding.Header %q is not a header name", h)
	}
	c.header = textproto.CanonicalMIMEHeaderKey(h)
	res, err := clientip.New(clientip.Config{TrustedProxies: cfg.TrustedProxies})
	if err != nil {
		return nil, configErr("CertificateBinding.TrustedProxies: %v", err)
	}
	c.proxies = res
	return c, nil
}

// certificate returns the DER of the request's client certificate: the
// forwarded one when the connection comes from a trusted proxy, else the
// TLS connection's. check is the failed check when there is none or the
// header is malformed.
func (c *certBinder) certificate(r *http.Request) (der []byte, check string) {
	if c.proxies != nil && c.proxies.TrustsPeer(r.RemoteAddr) {
		vals := r.Header[c.header]
		switch {
		case len(vals) == 0:
			return nil, "cert_missing"
		case len(vals) > 1 || len(vals[0]) > c.maxSize:
			return nil, "cert_header_invalid"
		}
		v := vals[0]
		if len(v) < 3 || v[0] != ':' || v[len(v)-1] != ':' {
			return nil, "cert_header_invalid"
		}
		der, err := base64.StdEncoding.Strict().DecodeString(v[1 : len(v)-1])
		if err != nil || len(der) == 0 {
			return nil, "cert_header_invalid"
		}
		return der, ""
	}
	if r.TLS == nil || !r.TLS.HandshakeComplete || len(r.TLS.PeerCertificates) == 0 {
		return nil, "cert_missing"
	}
	return r.TLS.PeerCertificates[0].Raw, ""
}

// check verifies that the request's client certificate has the thumbprint
// x5t (cnf["x5t#S256"], base64url of its SHA-256).
func (c *certBinder) check(r *http.Request, x5t string) error {
	var want [sha256.Size]byte
	if !decodeFixed(want[:], x5t) {
		return invalid("cnf_invalid")
	}
	der, bad := c.certificate(r)
	if bad != "" {
		return invalid(bad)
	}
	got := sha256.Sum256(der)
	if subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
		return invalid("cert_mismatch")
	}
	return nil
}
