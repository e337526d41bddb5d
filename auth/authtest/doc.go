// Package authtest is an OpenID provider for tests and development, in
// the spirit of net/http/httptest: it mints signed access tokens for any
// subject, scopes, roles and authentication methods, and serves its OpenID
// discovery document and key set, so that code behind auth's JWT
// verification runs with no identity provider at all.
//
// # Not for production
//
// An Issuer signs whatever it is asked to sign, for anyone, and its keys
// live in memory only: they are made when it starts and die with the
// process. Its handlers serve public documents without authentication,
// and there is no token endpoint, no login and no revocation. Never point
// a production verifier at one: in a real deployment auth.JWTConfig names
// your identity provider (Auth0, Keycloak, Entra ID, Okta…) and this
// package is not linked.
//
// # Wiring
//
// In a test, [NewServer] starts an issuer on a loopback httptest server,
// whose URL is the issuer identifier; auth finds its keys by discovery, as
// it would a real provider's:
//
//	idp := authtest.NewServer(authtest.Config{Audience: []string{"https://api.test"}})
//	defer idp.Close()
//	jwt, err := auth.NewJWT(ctx, auth.JWTConfig{
//		Issuer:   idp.URL(),
//		Audience: []string{"https://api.test"},
//		Type:     auth.TypeAccessToken,
//	})
//	token := idp.Token(authtest.Claims{Subject: "alice", Scopes: []string{"items:read"}})
//
// A development server that plays its own identity provider (as the
// examples do) makes an [Issuer] with [New] at its own URL, serves
// [Issuer.ServeDiscovery] and [Issuer.ServeJWKS] (or [Issuer.Handler]) on
// its router, and gives the verifier [Issuer.Client], which reaches those
// documents in process, since the verifier is built before the server
// that serves them starts.
//
// # Tokens
//
// Tokens are RFC 9068 JWT access tokens (typ "at+jwt") with iss, sub, aud,
// client_id, iat, exp and jti, and scope, roles, amr, acr and auth_time
// when [Claims] sets them; Claims.Extra adds or overrides any claim. They
// are signed with the issuer's current key, ES256 unless
// Config.Algorithm says otherwise, and name it by kid (its RFC 7638
// thumbprint). [Issuer.Rotate] makes a new current key and keeps the old
// one published; [Issuer.Retire] unpublishes a key.
//
// An Issuer is safe for concurrent use.
//
// # Sender-constrained tokens
//
// A [DPoPKey] plays a DPoP client (RFC 9449): [DPoPKey.Confirmation] is
// the cnf claim that binds a token to it, and [DPoPKey.Proof] makes the
// proof for one request. [CertificateConfirmation] is the cnf claim of a
// token bound to a TLS client certificate (RFC 8705). For tests only:
//
//	key, err := authtest.NewDPoPKey("ES256")
//	tok := idp.Token(authtest.Claims{Subject: "alice",
//		Extra: map[string]any{"cnf": key.Confirmation()}})
//	req.Header.Set("Authorization", "DPoP "+tok)
//	req.Header.Set("DPoP", key.Proof("GET", "https://api.test/v1/items", tok, ""))
//
// # Security
//
// What it does not do: anything a production identity provider must do.
// It holds keys in memory, authenticates no one, and refuses nothing that
// it is asked to sign. It exists so that tests exercise auth's real
// verification path (discovery, key set, signature, claims) instead of a
// stub.
package authtest
