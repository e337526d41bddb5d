package auth

// Sender-constrained tokens (RFC 7800's cnf claim) are bound to a key the
// client must prove it holds: DPoP's cnf.jkt (RFC 9449) or a mutual-TLS
// certificate's cnf["x5t#S256"] (RFC 8705). auth does not check that proof
// yet. Accepting such a token as a plain bearer token would throw away the
// one property the binding exists for (a stolen token is useless without
// the key), so every token that carries cnf — any member, any value, even
// an empty object — is refused as invalid_token with the check
// "unverified_binding", and the DPoP authorization scheme is refused
// rather than ignored.
//
// checkConfirmation is the seam for binding verification. It will need
// the request's proof (the DPoP header and its replay cache, or the TLS
// client certificate), so it will move to where the request is known, and
// a verified-token cache hit must then re-check the binding, which is
// per request, not per token.

// errUnverifiedBinding refuses a sender-constrained token.
var errUnverifiedBinding = invalid("unverified_binding")

// checkConfirmation refuses claims that bind the token to a key (cnf).
func checkConfirmation(claims map[string]any) error {
	if _, bound := claims["cnf"]; bound {
		return errUnverifiedBinding
	}
	return nil
}

// isDPoPScheme reports whether an Authorization scheme is DPoP (RFC 9449
// §7.1), compared case-insensitively like every auth scheme.
func isDPoPScheme(scheme string) bool {
	return len(scheme) == 4 && (scheme[0]|0x20) == 'd' && (scheme[1]|0x20) == 'p' && (scheme[2]|0x20) == 'o' && (scheme[3]|0x20) == 'p'
}
