// Command dpop is a starter for an API whose access tokens are useless to
// whoever copies them: it accepts only DPoP-bound tokens (RFC 9449), each
// request proven by a signature of the key the token was issued to, with
// server nonces, and refuses a proof seen before.
//
//	go run ./examples/dpop
//
// It serves the API on loopback beside a development issuer
// (auth/authtest) that mints bound tokens, then plays two parties against
// it: the client that holds the key, and a thief that copied its token and
// one of its requests. It prints what the API answers each and exits with
// status 1 if any answer is not the expected one.
//
// server.go is the part to copy: the API's wiring. client.go is what a
// DPoP client does (your OAuth client library does it for you).
package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/apishield/apishield/auth/authtest"
)

func main() {
	if err := run(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "dpop:", err)
		os.Exit(1)
	}
}

// audience is the API's identifier, the aud of its tokens.
const audience = "https://api.example.com"

func run(out io.Writer) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	origin := "http://" + ln.Addr().String()
	// DEVELOPMENT ONLY: an issuer in this process. In your copy, the
	// issuer is your identity provider, which binds tokens to the key of
	// the client's DPoP proof at the token endpoint.
	dev, err := authtest.New(authtest.Config{Issuer: origin + "/issuer", Audience: []string{audience}, TTL: time.Hour})
	if err != nil {
		return err
	}
	api, err := newAPI(context.Background(), origin, dev.URL(), dev.Client())
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: api, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	defer srv.Close()
	fmt.Fprintf(out, "API on %s: DPoP-bound tokens only, server nonces, replayed proofs refused.\n\n", origin)
	return walkthrough(out, origin, dev)
}
