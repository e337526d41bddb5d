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
	"time"

	"github.com/apishield/apishield/internal/hostname"
)

// ErrIdentityNotAllowed is returned (wrapped in an [*IdentityError]) when a
// peer's certificate is trusted but names no identity the configuration
// allows.
var ErrIdentityNotAllowed = errors.New("tlsconfig: peer identity not allowed")

// IdentityError reports a peer that failed the identity policy. Its message
// names the peer's identity and SANs for the server's log; it never reaches
// the peer, which sees only a TLS alert.
type IdentityError struct {
	Identity Identity
	Err      error
}

// Error describes the refused identity.
func (e *IdentityError) Error() string {
	return fmt.Sprintf("%v: subject %q (dns %q, uris %q, emails %q)", e.Err, e.Identity.Subject(),
		e.Identity.DNSNames, e.Identity.URIs, e.Identity.EmailAddresses)
}

// Unwrap returns the underlying reason, such as [ErrIdentityNotAllowed].
func (e *IdentityError) Unwrap() error { return e.Err }

// Identity is a peer's verified certificate identity: the subject
// alternative names of the leaf certificate of a chain that crypto/tls
// verified against the configured roots. DNSNames, EmailAddresses,
// IPAddresses, Certificate and Chain share memory with the connection's
// certificates and must not be modified.
//
// A certificate may carry many names; the application must use exactly
// one, [Identity.Subject], which is the name the allow-lists of [Config]
// check. The other fields are for logs and for a VerifyIdentity hook.
type Identity struct {
	// SPIFFEID is the peer's SPIFFE ID when its certificate is an X.509-SVID:
	// exactly one URI SAN, with scheme spiffe and a valid trust domain and
	// path. Otherwise it is empty.
	SPIFFEID string
	// DNSNames are the leaf's DNS SANs, as the certificate spells them.
	DNSNames []string
	// URIs are the leaf's URI SANs, as strings.
	URIs []string
	// EmailAddresses are the leaf's email SANs.
	EmailAddresses []string
	// IPAddresses are the leaf's IP SANs. They are never the Subject.
	IPAddresses []net.IP
	// CommonName is the leaf's subject common name. It is informational only:
	// it is never the Subject and the policy never matches on it, as RFC 6125
	// deprecates it for identity and crypto/x509 ignores it since Go 1.15.
	CommonName string
	// Certificate is the verified leaf certificate.
	Certificate *x509.Certificate
	// Chain is the verified chain, leaf first, root last.
	Chain []*x509.Certificate
}

// Subject returns the peer's identity: the one name to log and to map to
// an application principal (auth does so with method "mtls"). It is the
// first of these that the certificate has:
//
//   - its first URI SAN that is an absolute URI (for an X.509-SVID, its
//     SPIFFE ID);
//   - its first DNS SAN that is a valid DNS name (letters, digits, '-' and
//     '_' in dot-separated labels, no wildcard, no trailing dot), in lower
//     case;
//   - its first email SAN that is a valid address (a local part without
//     ':', '@' or spaces, '@', a valid DNS name), its domain in lower case.
//
// Names malformed for their kind are skipped, so one kind can never pass
// for another: a URI always has a scheme and a ':', a DNS name has neither
// ':' nor '@', an address has an '@' and no ':'. The common name and IP
// SANs are never the subject: a certificate without a usable SAN has an
// empty Subject, which auth refuses.
//
// With an allow-list (AllowedDNSNames, AllowedURIs, AllowedSPIFFEIDs),
// [Server] and [Client] admit a peer only if its Subject is on the list, so
// the Subject of an admitted peer is always the allow-listed name that
// matched, never another name that the certificate carries beside it.
// Without one, every name the CA put in the certificate is vouched for by
// the CA, and Subject is the first by the order above: the CA, through the
// names and their order in what it signs, decides who the peer is.
func (id Identity) Subject() string {
	_, name := id.subject()
	return name
}

// nameKind is the kind of SAN an identity's subject comes from.
type nameKind uint8

const (
	kindNone nameKind = iota
	kindURI
	kindDNS
	kindEmail
)

// subject implements Subject, and reports the kind of name it chose.
func (id Identity) subject() (nameKind, string) {
	for _, u := range id.URIs {
		if isAbsoluteURI(u) {
			return kindURI, u
		}
	}
	for _, n := range id.DNSNames {
		if c, ok := canonicalDNSName(n); ok {
			return kindDNS, c
		}
	}
	for _, e := range id.EmailAddresses {
		if c, ok := canonicalEmail(e); ok {
			return kindEmail, c
		}
	}
	return kindNone, ""
}

// canonicalDNSName checks that s is a DNS name of non-empty labels of at
// most 63 letters, digits, '-' or '_', and returns it in lower case.
func canonicalDNSName(s string) (string, bool) {
	if !hostname.Valid(s, true) {
		return "", false
	}
	return strings.ToLower(s), true
}

// canonicalEmail checks that s is local@domain with a local part free of
// ':', '@', spaces and control characters and a valid DNS domain, and
// returns it with the domain in lower case.
func canonicalEmail(s string) (string, bool) {
	local, domain, ok := strings.Cut(s, "@")
	if !ok || local == "" || len(local) > 64 {
		return "", false
	}
	for i := 0; i < len(local); i++ {
		if c := local[i]; c <= ' ' || c >= 0x7f || c == ':' {
			return "", false
		}
	}
	d, ok := canonicalDNSName(domain)
	if !ok {
		return "", false
	}
	if d == domain {
		return s, true
	}
	return local + "@" + d, true
}

// isAbsoluteURI reports whether u, a URI SAN as url.URL.String writes it,
// starts with a scheme (RFC 3986 §3.1) and its ':'. A relative reference
// cannot: url.URL.String prefixes "./" to one whose first segment has a
// colon.
func isAbsoluteURI(u string) bool {
	for i := 0; i < len(u); i++ {
		c := u[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		case i > 0 && (c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.'):
		case i > 0 && c == ':':
			return true
		default:
			return false
		}
	}
	return false
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
			cn, ok := canonicalDNSName(strings.TrimSuffix(n, "."))
			if !ok {
				return nil, fmt.Errorf("AllowedDNSNames: %q is not an exact DNS name (letters, digits, '-' and '_' in labels; wildcards are not supported)", n)
			}
			p.dns[cn] = struct{}{}
		}
	}
	if len(c.AllowedURIs) > 0 {
		p.uris = make(map[string]struct{}, len(c.AllowedURIs))
		for _, u := range c.AllowedURIs {
			pu, err := url.Parse(u)
			if err != nil || pu.Scheme == "" || pu.String() != u || !isAbsoluteURI(u) {
				return nil, fmt.Errorf("AllowedURIs: %q is not an absolute URI in the form a certificate's URI SAN reads", u)
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
// its subject is on one of them (they are alternatives), and then the custom
// hook, if set, must also accept it.
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

// matches reports whether the identity's subject, the one name the
// application sees, is allow-listed. Other names in the certificate do not
// count: admitting a certificate for an allowed name it carries while the
// application sees another would hand the application an identity nobody
// allowed.
func (p *policy) matches(id Identity) bool {
	kind, name := id.subject()
	switch kind {
	case kindURI:
		if _, ok := p.uris[name]; ok {
			return true
		}
		_, ok := p.spiffe[name]
		return ok && id.SPIFFEID == name
	case kindDNS:
		_, ok := p.dns[name]
		return ok
	}
	return false
}

// verifyConnection is installed as tls.Config.VerifyConnection. Unlike
// VerifyPeerCertificate, crypto/tls calls VerifyConnection on resumed
// sessions too, with the verified chains stored in the session, so a ticket
// issued under a laxer policy cannot carry a refused identity past this
// check. roots, if not nil, returns the server's current client CA pool: a
// resumed session must still chain to it (see resumedChainTrusted).
func (p *policy) verifyConnection(requireVerified bool, roots func() *x509.CertPool) func(tls.ConnectionState) error {
	return func(cs tls.ConnectionState) error {
		id, ok := IdentityFromState(cs)
		if !ok {
			if requireVerified {
				return errors.New("tlsconfig: peer presented no verified certificate")
			}
			return nil
		}
		if cs.DidResume && roots != nil && !resumedChainTrusted(cs.VerifiedChains, roots(), time.Now()) {
			return &IdentityError{Identity: id, Err: ErrStaleSession}
		}
		return p.check(id)
	}
}
