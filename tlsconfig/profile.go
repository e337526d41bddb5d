package tlsconfig

import (
	"crypto/tls"
	"fmt"
)

// Profile selects the protocol versions and cipher suites a configuration
// accepts, after Mozilla's server-side TLS guidelines (version 6.0). The zero
// value is [Intermediate].
type Profile int

const (
	// Intermediate accepts TLS 1.2 and TLS 1.3. TLS 1.2 is limited to the six
	// ECDHE suites with an AEAD cipher (AES-GCM and ChaCha20-Poly1305): no
	// CBC, no RSA key exchange, no 3DES, no RC4. TLS 1.3 suites are all AEAD
	// and are not configurable in crypto/tls. This is the default because it
	// still serves clients that lack TLS 1.3.
	Intermediate Profile = iota
	// Modern accepts TLS 1.3 only. Choose it when every client is known to
	// speak TLS 1.3, such as service-to-service traffic.
	Modern
)

// String returns the profile's name.
func (p Profile) String() string {
	switch p {
	case Intermediate:
		return "intermediate"
	case Modern:
		return "modern"
	default:
		return fmt.Sprintf("Profile(%d)", int(p))
	}
}

// intermediateSuites are the TLS 1.2 suites of Mozilla's intermediate profile
// that crypto/tls implements (it has no DHE suites). The order is only a hint:
// crypto/tls orders suites itself, preferring AES-GCM where the CPU has AES
// instructions and ChaCha20-Poly1305 where it does not.
var intermediateSuites = []uint16{
	tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
	tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
}

// CipherSuites returns the TLS 1.2 cipher suites the profile accepts, in a
// fresh slice. It is empty for [Modern], which does not speak TLS 1.2.
func (p Profile) CipherSuites() []uint16 {
	if p == Modern {
		return nil
	}
	return append([]uint16(nil), intermediateSuites...)
}

// MinVersion returns the lowest protocol version the profile accepts.
func (p Profile) MinVersion() uint16 {
	if p == Modern {
		return tls.VersionTLS13
	}
	return tls.VersionTLS12
}

func (p Profile) valid() bool { return p == Intermediate || p == Modern }

// apply sets the protocol fields the profile owns on c.
//
// CurvePreferences is left nil on purpose: crypto/tls then offers its own
// default key exchanges, which since Go 1.24 start with the post-quantum
// hybrid X25519MLKEM768 and follow the standard library's improvements in
// every Go release. Setting it would silently turn post-quantum key
// exchange off.
func (p Profile) apply(c *tls.Config) {
	c.MinVersion = p.MinVersion()
	c.MaxVersion = tls.VersionTLS13
	c.CipherSuites = p.CipherSuites()
	c.CurvePreferences = nil
	c.SessionTicketsDisabled = false
}
