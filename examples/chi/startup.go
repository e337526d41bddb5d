package main

// startup.go is what this example does around its own wiring: it plays its
// own identity provider, with auth/authtest, so that it runs with no
// configuration; it prints demo tokens and commands to try; and it serves
// until interrupted. examples/quickstart, chi, gorilla, gateway and openapi
// carry this same file (a test keeps the copies identical).
//
// In your copy, point auth.JWTConfig.Issuer at your identity provider
// (Auth0, Keycloak, Entra ID, Okta…), leave HTTPClient nil, and delete the
// development issuer, its routes and the demo tokens.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/apishield/apishield/auth"
	"github.com/apishield/apishield/auth/authtest"
)

// newDevIssuer makes the DEVELOPMENT-ONLY issuer at base (the example's own
// URL, where it serves the issuer's discovery document and key set), whose
// one-hour tokens are for audience. Its key lives in memory until the
// process ends.
func newDevIssuer(base, audience string) (*authtest.Issuer, error) {
	return authtest.New(authtest.Config{Issuer: base, Audience: []string{audience}, ClientID: "apishield-demo", TTL: time.Hour})
}

// newVerifier builds the JWT verifier for the development issuer, with
// roles read from the "roles" claim. It reaches the issuer's documents in
// process (dev.Client()), because it is built before the server that
// serves them starts; with a real identity provider, HTTPClient stays nil.
func newVerifier(ctx context.Context, dev *authtest.Issuer, audience string, logger *slog.Logger) (*auth.JWT, error) {
	return auth.NewJWT(ctx, auth.JWTConfig{
		Issuer:     dev.URL(),
		Audience:   []string{audience},
		Type:       auth.TypeAccessToken,
		RolePaths:  []string{"/roles"},
		HTTPClient: dev.Client(),
		Logger:     logger,
	})
}

// A demoToken is one of the tokens the example prints, as a shell variable
// to export.
type demoToken struct {
	name, about, token string
}

// demoTokens issues one token per kind of caller the example's policy
// tells apart: TOKEN (items:read items:write), READER (items:read), ADMIN
// (role admin, password only) and ADMIN_MFA (role admin, second factor).
func demoTokens(dev *authtest.Issuer) []demoToken {
	now := time.Now()
	return []demoToken{
		{"TOKEN", "demo-user, scopes items:read items:write",
			dev.Token(authtest.Claims{Subject: "demo-user", Scopes: []string{"items:read", "items:write"}})},
		{"READER", "reader-user, scope items:read only",
			dev.Token(authtest.Claims{Subject: "reader-user", Scopes: []string{"items:read"}})},
		{"ADMIN", "admin-user, role admin, signed in with a password only",
			dev.Token(authtest.Claims{Subject: "admin-user", Scopes: []string{"items:read"}, Roles: []string{"admin"},
				AMR: []string{"pwd"}, AuthTime: now})},
		{"ADMIN_MFA", "admin-user, role admin, signed in with a second factor",
			dev.Token(authtest.Claims{Subject: "admin-user", Scopes: []string{"items:read"}, Roles: []string{"admin"},
				AMR: []string{"pwd", "mfa"}, AuthTime: now})},
	}
}

// printBanner prints what the example prints once its listener is ready:
// its headline, the demo tokens as export lines, the commands to try under
// tryHeading (each ending with the status it should produce), and how to
// stop. CI pastes those lines into a shell and checks every status.
func printBanner(w io.Writer, headline, base string, tokens []demoToken, tryHeading string, commands []string) {
	fmt.Fprintf(w, "%s\n\n", headline)
	fmt.Fprintf(w, "Demo access tokens from the development issuer at %s, valid for 1 hour:\n", base)
	for _, t := range tokens {
		fmt.Fprintf(w, "  export %s=%s  # %s\n", t.name, t.token, t.about)
	}
	fmt.Fprintf(w, "\n%s\n", tryHeading)
	for _, c := range commands {
		fmt.Fprintf(w, "  %s\n", c)
	}
	fmt.Fprintln(w, "\nPress Ctrl-C to stop.")
}

// serve runs serveFn (srv.Serve or srv.ServeTLS on the example's listener)
// until it fails or ctx is done, then shuts srv down, giving requests in
// flight ten seconds.
func serve(ctx context.Context, srv *http.Server, serveFn func() error) error {
	errc := make(chan error, 1)
	go func() { errc <- serveFn() }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
