// Package oidctest runs a real OpenID provider, panva's oidc-provider 8 on
// Node.js, for auth's end-to-end tests, and is the client that gets tokens
// from it: plain JWT access tokens, DPoP-bound ones (RFC 9449, with and
// without server nonces), certificate-bound ones over mutual TLS (RFC 8705),
// and opaque ones to introspect (RFC 7662) and revoke (RFC 7009).
//
// It is for tests only. Start installs the provider pinned by the lock file
// beside provider.mjs (npm ci, once), starts it on a loopback port and
// discovers its endpoints. A machine without a suitable Node.js and npm, or
// without a way to the npm registry for the first install, skips the test
// through internal/testenv, or fails it under APISHIELD_REQUIRE_NODE=1.
//
// The clients every provider registers are constants of this package, so a
// test names the credentials it uses; the keys and certificates are made by
// the package (PKI, NewDPoPKey) with crypto/ecdsa and crypto/x509.
package oidctest
