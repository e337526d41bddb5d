package tlsconfig

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
)

// ErrIdentityNotAllowed is returned (wrapped in an [*IdentityError]) when a
// peer's certificate is trusted but names no identity the configuration
// allows.
var ErrIdentityNotAllowed = errors.New("tlsconfig: peer identity not allowed")

// IdentityError reports a peer that failed the identity policy. Its message
// names the peer's SANs for the server's log; it never reaches the peer,
// which sees only a TLS alert.
type IdentityError struct {
	Identity Identity
	Err      error
}

// Error describes the refused identity.
func (e *IdentityError) Error() string {
	return fmt.Sprintf("%v: subject %q (dns %q, uris %q)", e.Err, e.Identity.Subject(), e.Identity.DNSNames, e.Identity.URIs)
}

// Unwrap returns the underlying reason, such as [ErrIdentityNotAllowed].
func (e *IdentityError) Unwrap() error { return e.Err }

// Identity is a peer's verified certificate identity: the subject
// alternative names of the leaf certificate of a chain that crypto/tls
// verified against the configured roots. DNSNames, EmailAddresses,
// IPAddresses, Certificate and Chain share memory with the connection's
// certificates and must not be modified.
type Identity struct {
	// SPIFFEID is the peer's SPIFFE ID when its certificate is an X.509-SVID:
	// exactly one URI SAN, with scheme spiffe and a valid trust domain and
	// path. Otherwise it is empty.
	SPIFFEID string
	// DNSNames are the leaf's DNS SANs.
	DNSNames []string
	// URIs are the leaf's URI SANs, as strings.
	URIs []string
	// EmailAddresses are the leaf's email SANs.
	EmailAddresses []string
	// IPAddresses are the leaf's IP SANs.
	IPAddresses []net.IP
	// CommonName is the leaf's subject common name. It is informational only:
	// the policy never matches on it, as RFC 6125 deprecates it for identity.
	CommonName string
	// Certificate is the verified leaf certificate.
	Certificate *x509.Certificate
	// Chain is the verified chain, leaf first, root last.
	Chain []*x509.Certificate
}

// Subject returns one stable name for the peer, for logs and for mapping the
// identity to an application principal (for example auth's Principal with
// method "mtls"): the SPIFFE ID if present, else the first URI SAN, else the
// first DNS SAN, else the first email SAN, else the common name.
func (id Identity) Subject() string {
	switch {
	case id.SPIFFEID != "":
		return id.SPIFFEID
	case len(id.URIs) > 0:
		return id.URIs[0]
	case len(id.DNSNames) > 0:
		return id.DNSNames[0]
	case len(id.EmailAddresses) > 0:
		return id.EmailAddresses[0]
	default:
		return id.CommonName
	}
}

// PeerIdentity returns the verified certificate identity of the client that
// sent r. It reports false for plain-HTTP requests and for TLS requests
// without a verified client certificate, including certificates that were
// presented but not verified (tls.RequestClientCert, tls.RequireAnyClientCert),
// so a handler can never mistake an unverified certificate for an identity.
func PeerIdentity(r *http.Request) (Identity, bool) {
	if r == nil || r.TLS == nil {
		return Identity{}, false
	}
	return IdentityFromState(*r.TLS)
}

// IdentityFromState returns the verified peer identity of a TLS connection,
// from either side. It reports false if the peer's certificate was not
// verified against the configured roots.
func IdentityFromState(cs tls.ConnectionState) (Identity, bool) {
	if len(cs.VerifiedChains) == 0 || len(cs.VerifiedChains[0]) == 0 {
		return Identity{}, false
	}
	return identityOf(cs.VerifiedChains[0]), true
}

func identityOf(chain []*x509.Certificate) Identity {
	leaf := chain[0]
	id := Identity{
		DNSNames:       leaf.DNSNames,
		EmailAddresses: leaf.EmailAddresses,
		IPAddresses:    leaf.IPAddresses,
		CommonName:     leaf.Subject.CommonName,
		Certificate:    leaf,
		Chain:          chain,
	}
	if len(leaf.URIs) > 0 {
		id.URIs = make([]string, len(leaf.URIs))
		for i, u := range leaf.URIs {
			id.URIs[i] = u.String()
		}
	}
	// An X.509-SVID carries exactly one URI SAN; a certificate with more is
	// not an SVID, and picking one of its URIs would let a CA that signs
	// several URIs into one certificate confuse the policy.
	if len(id.URIs) == 1 {
		if _, err := ParseSPIFFEID(id.URIs[0]); err == nil {
			id.SPIFFEID = id.URIs[0]
		}
	}
	return id
}

// maxSPIFFEIDLen bounds SPIFFE IDs, as the SPIFFE ID specification does.
const maxSPIFFEIDLen = 2048

// ParseSPIFFEID checks that s is a valid SPIFFE ID ("spiffe://trust-domain/path")
// and returns its trust domain. The rules are those of the SPIFFE ID
// specification: lower-case scheme and trust domain of [a-z0-9.-_], no port,
// user info, query or fragment, and path segments of [A-Za-z0-9.-_] that are
// neither empty, "." nor "..".
func ParseSPIFFEID(s string) (trustDomain string, err error) {
	bad := func(why string) (string, error) {
		return "", fmt.Errorf("tlsconfig: invalid SPIFFE ID %.64q: %s", s, why)
	}
	if len(s) > maxSPIFFEIDLen {
		return bad("longer than 2048 bytes")
	}
	rest, ok := strings.CutPrefix(s, "spiffe://")
	if !ok {
		return bad(`scheme must be "spiffe://"`)
	}
	td, path, _ := strings.Cut(rest, "/")
	if td == "" {
		return bad("empty trust domain")
	}
	for i := 0; i < len(td); i++ {
		c := td[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '_') {
			return bad("trust domain must be lower-case letters, digits, '.', '-' or '_'")
		}
	}
	if path == "" {
		if strings.HasSuffix(rest, "/") {
			return bad("trailing slash")
		}
		return td, nil
	}
	for seg := range strings.SplitSeq(path, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return bad("empty, '.' or '..' path segment")
		}
		for i := 0; i < len(seg); i++ {
			c := seg[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '_') {
				return bad("path must be letters, digits, '.', '-' or '_'")
			}
		}
	}
	return td, nil
}

// policy is the compiled identity allow-list of a Config.
type policy struct {
	dns    map[string]struct{}
	uris   map[string]struct{}
	spiffe map[string]struct{}
	custom func(Identity) error
}

func newPolicy(c *Config) (*policy, error) {
	p := &policy{custom: c.VerifyIdentity}
	if len(c.AllowedDNSNames) > 0 {
		p.dns = make(map[string]struct{}, len(c.AllowedDNSNames))
		for _, n := range c.AllowedDNSNames {
			if n == "" || strings.ContainsAny(n, "* \t/") {
				return nil, fmt.Errorf("AllowedDNSNames: %q is not an exact DNS name (wildcards are not supported)", n)
			}
			p.dns[strings.ToLower(strings.TrimSuffix(n, "."))] = struct{}{}
		}
	}
	if len(c.AllowedURIs) > 0 {
		p.uris = make(map[string]struct{}, len(c.AllowedURIs))
		for _, u := range c.AllowedURIs {
			pu, err := url.Parse(u)
			if err != nil || pu.Scheme == "" {
				return nil, fmt.Errorf("AllowedURIs: %q is not an absolute URI", u)
			}
			p.uris[u] = struct{}{}
		}
	}
	if len(c.AllowedSPIFFEIDs) > 0 {
		p.spiffe = make(map[string]struct{}, len(c.AllowedSPIFFEIDs))
		for _, s := range c.AllowedSPIFFEIDs {
			if _, err := ParseSPIFFEID(s); err != nil {
				return nil, fmt.Errorf("AllowedSPIFFEIDs: %w", err)
			}
			p.spiffe[s] = struct{}{}
		}
	}
	return p, nil
}

func (p *policy) restricts() bool {
	return p.dns != nil || p.uris != nil || p.spiffe != nil || p.custom != nil
}

// check applies the allow-lists to a verified identity: the peer passes if
// any allow-list matches (they are alternatives), and then the custom hook,
// if set, must also accept it.
func (p *policy) check(id Identity) error {
	if p.dns != nil || p.uris != nil || p.spiffe != nil {
		if !p.matches(id) {
			return &IdentityError{Identity: id, Err: ErrIdentityNotAllowed}
		}
	}
	if p.custom != nil {
		if err := p.custom(id); err != nil {
			return &IdentityError{Identity: id, Err: err}
		}
	}
	return nil
}

func (p *policy) matches(id Identity) bool {
	if id.SPIFFEID != "" {
		if _, ok := p.spiffe[id.SPIFFEID]; ok {
			return true
		}
	}
	for _, u := range id.URIs {
		if _, ok := p.uris[u]; ok {
			return true
		}
	}
	for _, n := range id.DNSNames {
		if _, ok := p.dns[strings.ToLower(n)]; ok {
			return true
		}
	}
	return false
}

// verifyConnection is installed as tls.Config.VerifyConnection. Unlike
// VerifyPeerCertificate, crypto/tls calls VerifyConnection on resumed
// sessions too, with the verified chains stored in the session, so a ticket
// issued under a laxer policy cannot carry a refused identity past this
// check.
func (p *policy) verifyConnection(requireVerified bool) func(tls.ConnectionState) error {
	return func(cs tls.ConnectionState) error {
		id, ok := IdentityFromState(cs)
		if !ok {
			if requireVerified {
				return errors.New("tlsconfig: peer presented no verified certificate")
			}
			return nil
		}
		return p.check(id)
	}
}
