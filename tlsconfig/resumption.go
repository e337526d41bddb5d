package tlsconfig

import (
	"crypto/x509"
	"errors"
	"time"
)

// ErrStaleSession is returned by a server's VerifyConnection when a client
// resumes a session whose certificate chain the current client CAs no
// longer trust: the CA it was verified against has been rotated out since
// the session was established.
var ErrStaleSession = errors.New("tlsconfig: resumed session's client certificate is no longer trusted")

// resumedChainTrusted reports whether any of a resumed session's verified
// chains is still within its validity period at now and still ends in a
// CA of roots, the server's current client CA pool.
//
// crypto/tls does the same check itself since Go 1.25.7 and 1.24.13, and
// go.mod asks for such a toolchain, but it checks the pool of the
// tls.Config serving the handshake. With a [CAReloader] that is the pool
// picked when the ClientHello arrived, so a rotation landing during the
// handshake would still let a session of the old CA resume; and a program
// built with an older toolchain does not check at all. Doing it here, in
// VerifyConnection, against the pool tlsconfig itself serves, makes the
// promise hold whatever the toolchain: a session established under a CA
// does not resume once that CA is gone.
//
// As crypto/tls does, only the chain's anchor is looked up in the pool: the
// chain was fully verified when the session was established. Looking a
// certificate up in a pool that holds it costs a hash, not a signature.
func resumedChainTrusted(chains [][]*x509.Certificate, roots *x509.CertPool, now time.Time) bool {
	opts := x509.VerifyOptions{
		Roots:       roots,
		CurrentTime: now,
		KeyUsages:   []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
chains:
	for _, chain := range chains {
		if len(chain) == 0 {
			continue
		}
		for _, c := range chain {
			if now.Before(c.NotBefore) || now.After(c.NotAfter) {
				continue chains
			}
		}
		if _, err := chain[len(chain)-1].Verify(opts); err == nil {
			return true
		}
	}
	return false
}
