// Package tlsconfig builds the transport layer of an API: hardened
// *tls.Config values for servers and clients, mutual TLS with identity
// checks, certificates and client CA bundles that rotate without a restart,
// HSTS, and an http.Server with timeouts, connection bounds and a
// rate-limited error log.
//
// It protects against man-in-the-middle attacks that rely on old protocol
// versions or weak cipher suites (downgrades, CBC padding oracles, RSA key
// exchange without forward secrecy), against services accepting calls from
// any holder of a certificate their CA signed, and against outages caused by
// certificates that expire because rotating them needed a restart.
//
// # Profiles
//
// [Server] and [Client] apply a [Profile] after Mozilla's server-side TLS
// guidelines 6.0. [Intermediate], the zero value, accepts TLS 1.2 and 1.3,
// with TLS 1.2 limited to the six ECDHE suites with AES-GCM or
// ChaCha20-Poly1305. [Modern] accepts TLS 1.3 only.
//
// CurvePreferences is deliberately left nil: crypto/tls then chooses the key
// exchanges, and since Go 1.24 its default list starts with the post-quantum
// hybrid X25519MLKEM768 (then X25519, P-256, P-384), so connections between
// current Go programs and browsers are protected against
// harvest-now-decrypt-later. Setting CurvePreferences yourself on the
// returned config would turn that off unless you list X25519MLKEM768.
// Session tickets stay on; crypto/tls rotates their keys daily.
//
// # Serving HTTPS
//
//	cert, err := tlsconfig.NewReloader("tls.crt", "tls.key")
//	...
//	tcfg, err := tlsconfig.Server(tlsconfig.Config{GetCertificate: cert.GetCertificate})
//	...
//	hsts, err := tlsconfig.NewHSTS(tlsconfig.HSTSConfig{})
//	...
//	srv, err := tlsconfig.NewHTTPServer(tlsconfig.HTTPServerConfig{
//		Addr: ":8443", Handler: hsts.Handler(mux), TLSConfig: tcfg, Logger: logger,
//	})
//	...
//	err = srv.ListenAndServeTLS("", "")
//
// The handler may be a ServeMux, a chi router (r.Use(hsts.Handler)) or a
// gorilla/mux router (r.Use(hsts.Handler)); the TLS configuration does not
// care which.
//
// # Connection bounds
//
// Idle keep-alive connections cost a server a file descriptor and about
// 30 KiB each, and a client can open thousands. [NewHTTPServer] bounds
// the connections open at once: DefaultMaxConns (10000) overall and
// DefaultMaxConnsPerClient (256) per client network, the TCP peer's IPv4
// address or IPv6 /64. A connection over a bound is closed at once,
// before its TLS handshake, counted and logged (rate-limited), and idle
// connections are closed after DefaultIdleTimeout (30s). The bounds are
// a [ConnLimiter], which an http.Server built by hand can use through
// [ConnLimiter.Listener]:
//
//	lim, err := tlsconfig.NewConnLimiter(tlsconfig.ConnLimitConfig{})
//	...
//	err = srv.ServeTLS(lim.Listener(ln), "", "")
//
// Behind a load balancer every connection comes from the balancer: raise
// MaxConnsPerClient (or set it negative) and IdleTimeout there, and bound
// clients at the balancer.
//
// # Mutual TLS
//
// Setting ClientCAs, ClientCAFile or ClientCAReloader makes a server require
// and verify client certificates. AllowedDNSNames, AllowedURIs and
// AllowedSPIFFEIDs then narrow which verified clients are accepted. The
// check runs in tls.Config.VerifyConnection, which crypto/tls calls on
// resumed sessions as well as full handshakes (VerifyPeerCertificate is
// skipped on resumption), so a session ticket cannot smuggle a refused
// identity past it.
//
// Handlers read the verified identity with [PeerIdentity]; its
// [Identity.Subject] is the one name to map to an application principal.
// A certificate carries many names, but only its Subject is checked
// against the allow-lists, so the Subject of an admitted peer is always
// the allowed name that matched: a certificate with the SANs
// victim.internal and allowed.example (in that order) is refused by an
// allow-list of allowed.example rather than handed to the application as
// victim.internal. The common name and IP SANs are never the identity.
// auth maps the Subject to a principal with method "mtls" once it is given
// PeerIdentity (tlsconfig imports nothing of apishield's, and auth does not
// import tlsconfig, so the application joins them):
//
//	m, err := auth.New(auth.Config{
//		Authenticators: []auth.Authenticator{jwt}, // optional with certificates
//		ClientCertificate: func(r *http.Request) (string, bool) {
//			id, ok := tlsconfig.PeerIdentity(r)
//			return id.Subject(), ok
//		},
//	})
//
// A token or API key in the request's headers then still takes precedence
// over the certificate; see auth's documentation.
//
// [Client] builds the other side for service-to-service calls: roots, a
// client certificate (static or from a [Reloader]), the expected server name
// and optionally the server identities to accept.
//
// # Rotation
//
// A [Reloader] serves GetCertificate from an atomically swapped certificate
// and polls its files; a new pair is validated before it is swapped in, and
// a bad one is refused and logged while the old one keeps serving.
// [Reloader.NotAfter] exposes the expiry for monitoring. A [CAReloader] does
// the same for a client CA bundle.
//
// A client CA that is rotated out stays out for resumed sessions too. Go
// before 1.25.7 and 1.24.13 did not re-check a resumed session's chain
// against the CAs configured since it was established, which is why go.mod
// asks for Go 1.25.7; and VerifyConnection checks every resumed session's
// chain against the current client CAs itself ([ErrStaleSession]), so the
// promise holds whatever the toolchain and even when a rotation lands in
// the middle of a handshake.
//
// # Development certificates
//
// [SelfSigned] makes a one-day ECDSA P-256 certificate for a development
// server and [WriteCertificatePEM] writes it out for curl --cacert. They are
// for development only.
//
// # Monitoring
//
// Reloaders report through the OpenTelemetry API, under the scope
// github.com/apishield/apishield/tlsconfig, to the provider of
// [WithMeterProvider] (the global provider if not given); nothing is
// recorded until the application installs an SDK.
// apishield.tls.certificate.expiry is a gauge of the seconds until expiry,
// with attribute certificate: leaf for the certificate a [Reloader] serves,
// client_ca for the CA of a [CAReloader]'s bundle that expires first. With
// several reloaders of a kind it reports the nearest expiry. It goes
// negative once a certificate has expired; alert well before zero.
//
// # Security
//
// This package does not:
//   - terminate TLS in front of a proxy: behind a TLS-terminating load
//     balancer, r.TLS is nil, HSTS is not sent and PeerIdentity reports
//     false; configure TLS, HSTS and client certificates at the proxy;
//   - check revocation (CRL, OCSP): keep client certificates short-lived
//     and rotate them instead;
//   - match wildcards in the allow-lists: names are exact;
//   - make the CA trustworthy: with no allow-list, every certificate the
//     client CAs signed is accepted, under the first name in it, so mTLS
//     deserves a private CA;
//   - reload RootCAs of a Client: build a new Client config to rotate them;
//   - protect the private key at rest: file permissions are yours to set;
//   - see past a proxy when bounding connections: the per-client bound
//     counts TCP peers, and forwarding headers do not exist yet when a
//     connection is accepted; bound requests per client with ratelimit;
//   - bound a connection once a handler hijacks it under the ConnState
//     hook (a WebSocket, say); a ConnLimiter.Listener counts it until it
//     is closed.
//
// A tls.Config returned by [Server] or [Client] must not be modified after
// it is first used, as crypto/tls requires.
package tlsconfig
