package auth

import "net/http"

// A PeerFunc returns the verified client certificate identity of the
// connection that sent r: one stable name for the peer, and whether the
// connection presented a certificate that TLS verified against the
// configured client CAs. It must report false for plain-HTTP requests and
// for certificates that were presented but not verified.
// tlsconfig.PeerIdentity meets that contract:
//
//	ClientCertificate: func(r *http.Request) (string, bool) {
//		id, ok := tlsconfig.PeerIdentity(r)
//		return id.Subject(), ok
//	},
//
// auth takes a function rather than importing tlsconfig, so that either
// package can be used alone. It must be safe for concurrent use.
type PeerFunc func(r *http.Request) (subject string, ok bool)

// kindMTLS marks a principal proven by the TLS client certificate in the
// request record. It is not a header credential kind: no [Authenticator]
// may claim it, and [New] refuses one that does.
const kindMTLS CredentialKind = 3

// fromCertificate turns the connection's verified client certificate into
// a principal. ok is false when the connection has none. A verified
// certificate that names nobody (no usable URI, DNS or email SAN: the
// common name never counts) is refused rather than treated as absent: the client did present a credential, and
// an empty subject would make every such client the same caller.
func (m *Middleware) fromCertificate(r *http.Request) (p *Principal, ok bool, err error) {
	subject, ok := m.peer(r)
	if !ok {
		return nil, false, nil
	}
	if subject == "" {
		return nil, true, invalid("empty_subject")
	}
	return &Principal{Subject: subject, Method: MethodMTLS}, true, nil
}
